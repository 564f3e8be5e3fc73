import Foundation

/// Decay correction and DICOM date/time handling.
public enum Decay {
    /// Fraction remaining after `seconds`: exp(−λ t).
    public static func factor(halfLifeSeconds: Double, elapsedSeconds: Double) -> Double {
        exp(-log(2) / halfLifeSeconds * elapsedSeconds)
    }

    /// Activity at `to` of a source that had `activity` at `from`.
    public static func activity(_ activity: Double, from: Date, to: Date, halfLifeSeconds: Double) -> Double {
        activity * factor(halfLifeSeconds: halfLifeSeconds, elapsedSeconds: to.timeIntervalSince(from))
    }

    /// Mean activity over an acquisition of length `duration` starting at activity A0, as a fraction of A0:
    /// (1 − exp(−λ T)) / (λ T). Divide counts by it to correct for decay during the acquisition.
    public static func duringAcquisitionFactor(halfLifeSeconds: Double, durationSeconds: Double) -> Double {
        let x = log(2) / halfLifeSeconds * durationSeconds
        return x < 1e-9 ? 1 : (1 - exp(-x)) / x
    }
}

/// DICOM date and time (DA, TM, DT) with time-zone offsets, as absolute instants.
public enum DICOMDateTime {
    /// Parses DT `YYYYMMDDHHMMSS.FFFFFF&ZZXX` (components after the year optional); `defaultOffset` is
    /// `±HHMM` (e.g. Timezone Offset From UTC (0008,0201)) used when the value has none; UTC when neither.
    public static func parse(dt: String, defaultOffset: String? = nil) -> Date? {
        fatalError("implemented by the Physics module")
    }
    /// Combines DA `YYYYMMDD` and TM `HHMMSS.FFFFFF` (or `HH:MM:SS` legacy) with an optional `±HHMM` offset.
    public static func parse(date: String, time: String, offset: String? = nil) -> Date? {
        fatalError("implemented by the Physics module")
    }
}
