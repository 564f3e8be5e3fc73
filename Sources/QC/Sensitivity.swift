import Foundation
import Imaging
import Physics

/// Planar system sensitivity (NEMA NU 1 §2.6, IAEA NMQC 2.3.9): count rate per unit activity of a known source.
///
/// S = (R_source − R_background) / (f_during · A_start), in counts per second per MBq, where R is the total count
/// rate of an image (counts / frame duration), A_start the source's activity at the start of the acquisition
/// (the calibrated activity decayed from its reference time) and f_during = (1 − e^(−λT))/(λT) corrects for
/// decay during the acquisition of length T. The background is subtracted before the decay correction (it does not
/// decay with the source); IAEA NMQC and pylinac divide the source rate alone by f_during, which overstates S by
/// R_background (1/f_during − 1)/A_start.
public struct Sensitivity: Sendable {
    /// The known source.
    public struct Source: Sendable, Codable, Equatable {
        /// Calibrated activity (MBq) at `referenceTime`.
        public var activityMBq: Double
        /// When the activity was measured (nil: at the start of the acquisition).
        public var referenceTime: Date?
        /// Radionuclide name, for its half-life.
        public var radionuclide: String
        public init(activityMBq: Double, referenceTime: Date? = nil, radionuclide: String) {
            self.activityMBq = activityMBq; self.referenceTime = referenceTime; self.radionuclide = radionuclide
        }
    }

    public struct Result: Sendable, Codable, Equatable {
        public var test = "sensitivity"
        /// System sensitivity (counts per second per MBq).
        public var sensitivityCPSPerMBq: Double
        /// The same in counts per minute per µCi (the unit of older specifications).
        public var sensitivityCPMPerMicroCi: Double
        public var sourceCountRateCPS: Double
        public var backgroundCountRateCPS: Double
        public var activityAtStartMBq: Double
        public var durationSeconds: Double
        public var halfLifeSeconds: Double
        /// Factor from the reference time to the start of the acquisition (e^(−λΔt)).
        public var decayToStartFactor: Double
        /// Mean activity during the acquisition over the activity at its start.
        public var decayDuringAcquisitionFactor: Double
        public var radionuclide: String
    }

    /// - Parameters:
    ///   - image: the source image (its frame duration is required).
    ///   - acquisitionStart: when the acquisition started (needed when the source has a reference time).
    ///   - background: an image without the source (its own duration), if one was acquired.
    public static func analyze(_ image: PlanarImage, source: Source, acquisitionStart: Date?,
                               background: PlanarImage? = nil) throws(QCError) -> Result {
        guard source.activityMBq > 0, source.activityMBq.isFinite else {
            throw .invalidInput("the source activity must be a positive number of MBq (got \(source.activityMBq))")
        }
        guard let nuclide = Radionuclide.named(source.radionuclide) else {
            throw .invalidInput("unknown radionuclide \"\(source.radionuclide)\" (use a name such as Tc-99m, I-131, Lu-177)")
        }
        guard let ms = image.frameDurationMs, ms > 0 else {
            throw .invalidInput("the source image has no Actual Frame Duration; the count rate needs it")
        }
        let t = ms / 1000
        let rate = image.totalCounts / t
        guard image.totalCounts >= 10000 else {
            throw .insufficientCounts(what: "the source image", have: image.totalCounts, need: 10000, unit: "counts")
        }
        var bg = 0.0
        if let b = background {
            guard let bms = b.frameDurationMs, bms > 0 else {
                throw .invalidInput("the background image has no Actual Frame Duration; its count rate needs it")
            }
            bg = b.totalCounts / (bms / 1000)
        }
        var toStart = 1.0
        if let ref = source.referenceTime {
            guard let start = acquisitionStart else {
                throw .invalidInput("the source has a calibration time but the image has no acquisition date/time to decay it to")
            }
            toStart = Decay.factor(halfLifeSeconds: nuclide.halfLifeSeconds, elapsedSeconds: start.timeIntervalSince(ref))
        }
        let during = Decay.duringAcquisitionFactor(halfLifeSeconds: nuclide.halfLifeSeconds, durationSeconds: t)
        let a0 = source.activityMBq * toStart
        let s = (rate - bg) / (during * a0)
        guard s > 0 else {
            throw .invalidInput(String(format: "the background rate (%.0f cps) is not below the source rate (%.0f cps)", bg, rate))
        }
        return Result(sensitivityCPSPerMBq: s, sensitivityCPMPerMicroCi: s * 60 / 27.027027027027028,
                      sourceCountRateCPS: rate, backgroundCountRateCPS: bg, activityAtStartMBq: a0, durationSeconds: t,
                      halfLifeSeconds: nuclide.halfLifeSeconds, decayToStartFactor: toStart,
                      decayDuringAcquisitionFactor: during, radionuclide: nuclide.name)
    }
}
