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

    /// Seconds from `from` to `to` (negative when `to` is earlier).
    public static func elapsedSeconds(from: Date, to: Date) -> Double { to.timeIntervalSince(from) }

    /// Activity at `to` of a source of `nuclide` that had `activity` at `from`.
    public static func activity(_ activity: Double, from: Date, to: Date, nuclide: Radionuclide) -> Double {
        Self.activity(activity, from: from, to: to, halfLifeSeconds: nuclide.halfLifeSeconds)
    }

    /// Factor that turns the mean activity measured over an acquisition (counts ÷ duration ÷ sensitivity) that
    /// started at `acquisitionStart` and lasted `durationSeconds` into the activity at `reference`:
    /// exp(−λ (t_ref − t_start)) / [(1 − e^(−λT)) / (λT)].
    public static func correctionFactor(acquisitionStart: Date, durationSeconds: Double, reference: Date,
                                        halfLifeSeconds: Double) -> Double {
        let toReference = factor(halfLifeSeconds: halfLifeSeconds,
                                 elapsedSeconds: reference.timeIntervalSince(acquisitionStart))
        return toReference / duringAcquisitionFactor(halfLifeSeconds: halfLifeSeconds, durationSeconds: durationSeconds)
    }

    /// Activity at the reference time of a DICOM Radiopharmaceutical Information item: `activity` (e.g.
    /// Radionuclide Total Dose) at Radiopharmaceutical Start DateTime `startDT` (DT, optional offset), decayed to
    /// `to`. Returns nil when the DT cannot be parsed.
    public static func activity(_ activity: Double, atDICOMDateTime startDT: String, timezoneOffset: String? = nil,
                                to: Date, halfLifeSeconds: Double) -> Double? {
        guard let start = DICOMDateTime.parse(dt: startDT, defaultOffset: timezoneOffset) else { return nil }
        return Self.activity(activity, from: start, to: to, halfLifeSeconds: halfLifeSeconds)
    }
}

/// DICOM date and time (DA, TM, DT) with time-zone offsets, as absolute instants.
///
/// Follows PS3.5 §6.2 (VR DA, TM, DT): DA `YYYYMMDD`; TM `HH[MM[SS[.F{1-6}]]]` (and the ACR-NEMA legacy
/// `HH:MM[:SS[.F]]` that PS3.5 still asks readers to accept); DT `YYYY[MM[DD[HH[MM[SS[.F{1-6}]]]]]][&ZZXX]`
/// where `&` is `+` or `-`. Missing trailing components take their lowest value (month/day 1, time 0). Leading and
/// trailing spaces (and NUL padding) are ignored. Anything else — wrong lengths, non-digits, out-of-range fields,
/// impossible dates such as 20230230, offsets outside −12:00…+14:00 — gives `nil`; nothing traps.
public enum DICOMDateTime {
    /// Parses DT `YYYYMMDDHHMMSS.FFFFFF&ZZXX` (components after the year optional); `defaultOffset` is
    /// `±HHMM` (e.g. Timezone Offset From UTC (0008,0201)) used when the value has none; UTC when neither.
    public static func parse(dt: String, defaultOffset: String? = nil) -> Date? {
        let text = trimmed(dt)
        var body = Substring(text)
        var offsetSeconds: Int? = nil
        if let signIndex = body.firstIndex(where: { $0 == "+" || $0 == "-" }) {
            guard let off = parseOffset(String(body[signIndex...])) else { return nil }
            offsetSeconds = off
            body = body[..<signIndex]
        }
        if offsetSeconds == nil, let d = defaultOffset, !trimmed(d).isEmpty {
            guard let off = parseOffset(trimmed(d)) else { return nil }
            offsetSeconds = off
        }
        // Split the fraction.
        var fraction = 0.0
        var main = body
        if let dot = body.firstIndex(of: ".") {
            main = body[..<dot]
            guard main.count == 14, let f = parseFraction(body[body.index(after: dot)...]) else { return nil }
            fraction = f
        }
        let digits = Array(main.utf8)
        guard [4, 6, 8, 10, 12, 14].contains(digits.count), digits.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        func field(_ from: Int, _ len: Int, _ def: Int) -> Int {
            guard from + len <= digits.count else { return def }
            return digits[from..<(from + len)].reduce(0) { $0 * 10 + Int($1 - 48) }
        }
        let year = field(0, 4, 0), month = field(4, 2, 1), day = field(6, 2, 1)
        let hour = field(8, 2, 0), minute = field(10, 2, 0), second = field(12, 2, 0)
        return instant(year: year, month: month, day: day, hour: hour, minute: minute, second: second,
                       fraction: fraction, offsetSeconds: offsetSeconds ?? 0)
    }

    /// Combines DA `YYYYMMDD` and TM `HHMMSS.FFFFFF` (or `HH:MM:SS` legacy) with an optional `±HHMM` offset.
    public static func parse(date: String, time: String, offset: String? = nil) -> Date? {
        guard let (year, month, day) = parseDA(trimmed(date)) else { return nil }
        guard let (hour, minute, second, fraction) = parseTM(trimmed(time)) else { return nil }
        var offsetSeconds = 0
        if let o = offset, !trimmed(o).isEmpty {
            guard let off = parseOffset(trimmed(o)) else { return nil }
            offsetSeconds = off
        }
        return instant(year: year, month: month, day: day, hour: hour, minute: minute, second: second,
                       fraction: fraction, offsetSeconds: offsetSeconds)
    }

    /// Parses a DA value (`YYYYMMDD`, or the ACR-NEMA legacy `YYYY.MM.DD`) into its fields; nil when invalid.
    public static func parseDA(_ value: String) -> (year: Int, month: Int, day: Int)? {
        var s = trimmed(value)
        if s.count == 10, Array(s)[4] == ".", Array(s)[7] == "." { s.removeAll { $0 == "." } }
        let d = Array(s.utf8)
        guard d.count == 8, d.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        let n = d.map { Int($0 - 48) }
        let y = n[0] * 1000 + n[1] * 100 + n[2] * 10 + n[3], m = n[4] * 10 + n[5], day = n[6] * 10 + n[7]
        guard validDate(y, m, day) else { return nil }
        return (y, m, day)
    }

    /// Parses a TM value (`HH[MM[SS[.F{1-6}]]]` or legacy `HH:MM[:SS[.F]]`) into hours, minutes, seconds and the
    /// fraction of a second; nil when invalid. A leap second (SS = 60) is accepted.
    public static func parseTM(_ value: String) -> (hour: Int, minute: Int, second: Int, fraction: Double)? {
        var s = Substring(trimmed(value))
        guard !s.isEmpty else { return nil }
        var fraction = 0.0
        if let dot = s.firstIndex(of: ".") {
            guard let f = parseFraction(s[s.index(after: dot)...]) else { return nil }
            fraction = f
            s = s[..<dot]
        }
        var parts: [Substring]
        if s.contains(":") {
            parts = s.split(separator: ":", omittingEmptySubsequences: false)
            guard (2...3).contains(parts.count), parts.allSatisfy({ $0.count == 2 }) else { return nil }
        } else {
            guard [2, 4, 6].contains(s.count) else { return nil }
            parts = []
            var i = s.startIndex
            while i < s.endIndex { let j = s.index(i, offsetBy: 2); parts.append(s[i..<j]); i = j }
        }
        // A fraction needs whole seconds before it.
        if fraction != 0 || value.contains(".") { guard parts.count == 3 else { return nil } }
        var nums: [Int] = []
        for p in parts {
            guard p.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let v = Int(p) else { return nil }
            nums.append(v)
        }
        let h = nums[0], m = nums.count > 1 ? nums[1] : 0, sec = nums.count > 2 ? nums[2] : 0
        guard h < 24, m < 60, sec <= 60 else { return nil }
        return (h, m, sec, fraction)
    }

    /// Parses a `±HHMM` offset (Timezone Offset From UTC (0008,0201), the `&ZZXX` of DT) into seconds east of UTC.
    /// Accepts −1200 … +1400 with minutes 00–59; nil otherwise.
    public static func parseOffset(_ value: String) -> Int? {
        let s = Array(trimmed(value).utf8)
        guard s.count == 5, s[0] == UInt8(ascii: "+") || s[0] == UInt8(ascii: "-"),
              s[1...].allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        let hh = Int(s[1] - 48) * 10 + Int(s[2] - 48), mm = Int(s[3] - 48) * 10 + Int(s[4] - 48)
        guard mm < 60 else { return nil }
        let sign = s[0] == UInt8(ascii: "-") ? -1 : 1
        let total = sign * (hh * 3600 + mm * 60)
        guard total >= -12 * 3600, total <= 14 * 3600 else { return nil }
        return total
    }

    // MARK: - Helpers

    static func trimmed(_ s: String) -> String {
        s.trimmingCharacters(in: CharacterSet(charactersIn: " \0\t\r\n"))
    }

    /// 1–6 digits after the decimal point.
    static func parseFraction(_ s: Substring) -> Double? {
        guard (1...6).contains(s.count), s.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let v = Int(s) else { return nil }
        var scale = 1.0
        for _ in 0..<s.count { scale *= 10 }
        return Double(v) / scale
    }

    static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    static func validDate(_ y: Int, _ m: Int, _ d: Int) -> Bool {
        guard y >= 1, (1...12).contains(m), d >= 1 else { return false }
        let days = [31, isLeap(y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return d <= days[m - 1]
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (m + 9) % 12
        let doy = (153 * mp + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    static func instant(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int,
                        fraction: Double, offsetSeconds: Int) -> Date? {
        guard validDate(year, month, day), hour < 24, minute < 60, second <= 60 else { return nil }
        let days = daysFromCivil(year, month, day)
        let local = Double(days) * 86400 + Double(hour * 3600 + minute * 60 + second) + fraction
        return Date(timeIntervalSince1970: local - Double(offsetSeconds))
    }
}
