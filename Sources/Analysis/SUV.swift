import Foundation
import Imaging
import Physics

/// Patient sex as the body-composition formulas need it.
public enum PatientSex: String, Sendable, Codable, Equatable {
    case male = "M", female = "F"

    /// Parses DICOM Patient's Sex (`M`, `F`; anything else is nil).
    public init?(dicom: String?) {
        switch dicom?.trimmingCharacters(in: .whitespaces).uppercased() {
        case "M": self = .male
        case "F": self = .female
        default: return nil
        }
    }
}

/// Lean body mass and body-surface area formulas used to normalise SUV.
public enum BodyComposition {
    /// Lean body mass (kg) by James (1976), as used by PERCIST 1.0 and QIBA for SUL:
    /// male 1.10 W − 128 (W/H)², female 1.07 W − 148 (W/H)², W in kg, H in cm.
    /// Source: W.P.T. James, *Research on Obesity*, HMSO London 1976; Wahl et al., J Nucl Med 2009;50 Suppl 1:122S
    /// (PERCIST), appendix. The male coefficient is 128 (not the 120 found in some software).
    public static func leanBodyMassJames(weightKg w: Double, heightCm h: Double, sex: PatientSex) -> Double {
        let r = w / h
        switch sex {
        case .male: return 1.10 * w - 128 * r * r
        case .female: return 1.07 * w - 148 * r * r
        }
    }

    /// Lean body mass (kg) by Janmahasatian et al., Clin Pharmacokinet 2005;44(10):1051–1065:
    /// male 9270 W / (6680 + 216 BMI), female 9270 W / (8780 + 244 BMI), BMI = W / H² (kg, m).
    public static func leanBodyMassJanmahasatian(weightKg w: Double, heightCm h: Double, sex: PatientSex) -> Double {
        let bmi = w / ((h / 100) * (h / 100))
        switch sex {
        case .male: return 9270 * w / (6680 + 216 * bmi)
        case .female: return 9270 * w / (8780 + 244 * bmi)
        }
    }

    /// Body-surface area (m²) by Du Bois & Du Bois, Arch Intern Med 1916;17:863: 0.007184 · W^0.425 · H^0.725
    /// (W in kg, H in cm).
    public static func bodySurfaceAreaDuBois(weightKg w: Double, heightCm h: Double) -> Double {
        0.007184 * pow(w, 0.425) * pow(h, 0.725)
    }
}

/// The header values SUV depends on, as plain values (read from DICOM at the edge).
///
/// Field names follow the DICOM keywords. Dates and times keep their DICOM string forms (DA, TM, DT) so that the
/// rules for combining them live here, in one place.
public struct SUVHeader: Sendable, Codable, Equatable {
    /// Units (0054,1001): `BQML`, `CNTS`, `GML`, …
    public var units: String?
    /// Decay Correction (0054,1102): `START`, `ADMIN` or `NONE`.
    public var decayCorrection: String?
    /// Corrected Image (0028,0051).
    public var correctedImage: [String]
    /// Series Date / Time (DA / TM).
    public var seriesDate: String?
    public var seriesTime: String?
    /// The earliest Acquisition Date / Time (DA / TM) over the series' images.
    public var acquisitionDate: String?
    public var acquisitionTime: String?
    /// Radiopharmaceutical Start DateTime (0018,1078), DT.
    public var radiopharmaceuticalStartDateTime: String?
    /// Radiopharmaceutical Start Time (0018,1072), TM (no date).
    public var radiopharmaceuticalStartTime: String?
    /// Radionuclide Total Dose (0018,1074), Bq.
    public var radionuclideTotalDoseBq: Double?
    /// Radionuclide Half Life (0018,1075), s.
    public var radionuclideHalfLifeSeconds: Double?
    /// Radionuclide Code Sequence meaning (used only to name a half-life taken from the decay tables).
    public var radionuclide: String?
    /// Patient's Weight (0010,1030), kg.
    public var patientWeightKg: Double?
    /// Patient's Size (0010,1020), m.
    public var patientSizeM: Double?
    /// Patient's Sex (0010,0040).
    public var patientSex: String?
    /// Timezone Offset From UTC (0008,0201), `±HHMM`.
    public var timezoneOffset: String?
    /// Manufacturer (0008,0070).
    public var manufacturer: String?
    /// Philips private SUV Scale Factor (7053,xx00, creator `Philips PET Private Group`).
    public var philipsSUVScaleFactor: Double?
    /// Philips private Activity Concentration Scale Factor (7053,xx09, creator `Philips PET Private Group`).
    public var philipsActivityConcentrationScaleFactor: Double?
    /// GE private scan DateTime (0009,xx0D, creator `GEMS_PETD_01`), DT.
    public var gePrivateScanDateTime: String?

    /// Creates a header.
    public init(units: String? = nil, decayCorrection: String? = nil, correctedImage: [String] = [],
                seriesDate: String? = nil, seriesTime: String? = nil, acquisitionDate: String? = nil,
                acquisitionTime: String? = nil, radiopharmaceuticalStartDateTime: String? = nil,
                radiopharmaceuticalStartTime: String? = nil, radionuclideTotalDoseBq: Double? = nil,
                radionuclideHalfLifeSeconds: Double? = nil, radionuclide: String? = nil,
                patientWeightKg: Double? = nil, patientSizeM: Double? = nil, patientSex: String? = nil,
                timezoneOffset: String? = nil, manufacturer: String? = nil, philipsSUVScaleFactor: Double? = nil,
                philipsActivityConcentrationScaleFactor: Double? = nil, gePrivateScanDateTime: String? = nil) {
        self.units = units; self.decayCorrection = decayCorrection; self.correctedImage = correctedImage
        self.seriesDate = seriesDate; self.seriesTime = seriesTime; self.acquisitionDate = acquisitionDate
        self.acquisitionTime = acquisitionTime; self.radiopharmaceuticalStartDateTime = radiopharmaceuticalStartDateTime
        self.radiopharmaceuticalStartTime = radiopharmaceuticalStartTime
        self.radionuclideTotalDoseBq = radionuclideTotalDoseBq; self.radionuclideHalfLifeSeconds = radionuclideHalfLifeSeconds
        self.radionuclide = radionuclide; self.patientWeightKg = patientWeightKg; self.patientSizeM = patientSizeM
        self.patientSex = patientSex; self.timezoneOffset = timezoneOffset; self.manufacturer = manufacturer
        self.philipsSUVScaleFactor = philipsSUVScaleFactor
        self.philipsActivityConcentrationScaleFactor = philipsActivityConcentrationScaleFactor
        self.gePrivateScanDateTime = gePrivateScanDateTime
    }

    /// The SUV header of a series from its ``Imaging/PETAttributes`` (first image), plus what those do not hold.
    public init(pet: PETAttributes, earliestAcquisitionDate: String? = nil, earliestAcquisitionTime: String? = nil,
                timezoneOffset: String? = nil, philipsSUVScaleFactor: Double? = nil,
                philipsActivityConcentrationScaleFactor: Double? = nil, gePrivateScanDateTime: String? = nil) {
        self.init(units: pet.units, decayCorrection: pet.decayCorrection, correctedImage: pet.correctedImage,
                  seriesDate: pet.seriesDate, seriesTime: pet.seriesTime,
                  acquisitionDate: earliestAcquisitionDate ?? pet.acquisitionDate,
                  acquisitionTime: earliestAcquisitionTime ?? pet.acquisitionTime,
                  radiopharmaceuticalStartDateTime: pet.radiopharmaceutical?.startDateTime,
                  radiopharmaceuticalStartTime: pet.radiopharmaceutical?.startTime,
                  radionuclideTotalDoseBq: pet.radiopharmaceutical?.totalDoseBq,
                  radionuclideHalfLifeSeconds: pet.radiopharmaceutical?.halfLifeSeconds,
                  radionuclide: pet.radiopharmaceutical?.radionuclide,
                  patientWeightKg: pet.patientWeightKg, patientSizeM: pet.patientSizeM, patientSex: pet.patientSex,
                  timezoneOffset: timezoneOffset, manufacturer: pet.manufacturer,
                  philipsSUVScaleFactor: philipsSUVScaleFactor,
                  philipsActivityConcentrationScaleFactor: philipsActivityConcentrationScaleFactor,
                  gePrivateScanDateTime: gePrivateScanDateTime)
    }
}

/// Values the user gives on the command line that replace or complete the header.
public struct SUVPatientOverrides: Sendable, Codable, Equatable {
    /// Weight (kg).
    public var weightKg: Double?
    /// Height (cm).
    public var heightCm: Double?
    /// Sex.
    public var sex: PatientSex?
    /// Creates overrides.
    public init(weightKg: Double? = nil, heightCm: Double? = nil, sex: PatientSex? = nil) {
        self.weightKg = weightKg; self.heightCm = heightCm; self.sex = sex
    }
}

/// Why SUV factors cannot be computed.
public struct SUVError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The DICOM attribute at fault (keyword and tag), or the input named.
    public var attribute: String
    /// What is wrong.
    public var message: String
    /// Creates an error.
    public init(_ attribute: String, _ message: String) { self.attribute = attribute; self.message = message }
    public var description: String { "\(attribute): \(message)" }
}

/// The factors that turn a PET image's rescaled values into SUV, with everything they were derived from.
///
/// SUV = (rescaled value) × factor. `suvbwFactor` is in g/mL per image unit (for BQML: g/mL per Bq/mL, i.e. g/Bq),
/// so SUVbw comes out in g/mL. Lean-body-mass factors give SUL (g/mL), the BSA factor gives SUVbsa in cm²/mL.
public struct SUVFactors: Sendable, Codable, Equatable {
    /// SUV normalised to body weight: g/mL per image unit.
    public var suvbwFactor: Double
    /// SUV normalised to lean body mass by James (SUL of PERCIST 1.0), nil when height or sex is unknown.
    public var suvlbmFactor: Double?
    /// SUV normalised to lean body mass by Janmahasatian, nil when height or sex is unknown.
    public var suvlbmJanmahasatianFactor: Double?
    /// SUV normalised to body-surface area (Du Bois): cm²/mL per image unit, nil when height is unknown.
    public var suvbsaFactor: Double?
    /// Patient values used (after overrides).
    public var weightKg: Double
    public var heightCm: Double?
    public var sex: String?
    /// Lean body mass (kg) by James and by Janmahasatian, body-surface area (m²).
    public var leanBodyMassJamesKg: Double?
    public var leanBodyMassJanmahasatianKg: Double?
    public var bodySurfaceAreaM2: Double?
    /// Units (0054,1001) of the image values the factors apply to.
    public var imageUnits: String
    /// Decay Correction (0054,1102) convention used.
    public var decayCorrection: String
    /// Injected activity (Bq) at injection, and decayed to the reference time of the image values.
    public var injectedDoseBq: Double?
    public var decayedDoseBq: Double?
    /// Half-life used (s).
    public var halfLifeSeconds: Double?
    /// Injection and scan (decay reference) instants, ISO 8601 UTC; seconds between them.
    public var injectionTime: String?
    public var scanTime: String?
    public var decayIntervalSeconds: Double?
    /// How the factor was obtained (which path of the QIBA flow chart, which vendor field).
    public var method: String
    /// What was missing, assumed or inconsistent.
    public var warnings: [String]
}

/// SUV factors from PET header values, following the QIBA FDG-PET/CT profile's SUV flow chart (QIBA "Vendor-
/// neutral pseudo-code for SUV calculation", 2015) and DICOM PS3.3 C.8.9.
public enum SUVCalculator {
    /// Computes the factors. Throws ``SUVError`` naming the attribute when a number that the SUV needs is missing
    /// or invalid; anything assumed is reported in `warnings`.
    public static func factors(_ h: SUVHeader, overrides: SUVPatientOverrides = .init()) throws(SUVError) -> SUVFactors {
        var warnings: [String] = []

        // Patient.
        var weight = h.patientWeightKg
        if let w = overrides.weightKg {
            if let hw = weight, abs(hw - w) > 1e-6 { warnings.append("weight \(petNum(w)) kg given on the command line replaces Patient's Weight (0010,1030) \(petNum(hw)) kg") }
            weight = w
        }
        guard let w = weight else {
            throw SUVError("PatientWeight (0010,1030)", "missing: body weight is required for SUV (give --weight KG)")
        }
        guard w.isFinite, w > 0, w < 1000 else { throw SUVError("PatientWeight (0010,1030)", "\(petNum(w)) kg is not a plausible body weight") }
        var heightCm = h.patientSizeM.flatMap { $0 > 0 ? $0 * 100 : nil }
        if let s = h.patientSizeM, s > 3 {
            warnings.append("Patient's Size (0010,1020) is \(petNum(s)): more than 3 m, read as centimetres (value is meant in metres)")
            heightCm = s
        }
        if let hc = overrides.heightCm {
            if let old = heightCm, abs(old - hc) > 1e-6 { warnings.append("height \(petNum(hc)) cm given on the command line replaces Patient's Size (0010,1020) \(petNum(old)) cm") }
            heightCm = hc
        }
        if let hc = heightCm, !(hc > 30 && hc < 300) { throw SUVError("PatientSize (0010,1020)", "\(petNum(hc)) cm is not a plausible height") }
        var sex = PatientSex(dicom: h.patientSex)
        if let s = overrides.sex {
            if let old = sex, old != s { warnings.append("sex \(s.rawValue) given on the command line replaces Patient's Sex (0010,0040) \(old.rawValue)") }
            sex = s
        }
        var lbmJames: Double?, lbmJanma: Double?, bsa: Double?
        if let hc = heightCm {
            bsa = BodyComposition.bodySurfaceAreaDuBois(weightKg: w, heightCm: hc)
            if let s = sex {
                lbmJames = BodyComposition.leanBodyMassJames(weightKg: w, heightCm: hc, sex: s)
                lbmJanma = BodyComposition.leanBodyMassJanmahasatian(weightKg: w, heightCm: hc, sex: s)
                if let l = lbmJames, l <= 0 {
                    warnings.append("James lean body mass is \(petNum(l)) kg for \(petNum(w)) kg, \(petNum(hc)) cm (the formula fails at high BMI): SUL by James not given")
                    lbmJames = nil
                }
            } else {
                warnings.append("Patient's Sex (0010,0040) is \(h.patientSex.map { "'\($0)'" } ?? "missing"): no lean-body-mass SUV (give --sex M|F)")
            }
        } else {
            warnings.append("Patient's Size (0010,1020) is missing: no lean-body-mass or BSA SUV (give --height CM)")
        }

        // Units and corrections.
        guard let rawUnits = h.units?.trimmingCharacters(in: .whitespaces).uppercased(), !rawUnits.isEmpty else {
            throw SUVError("Units (0054,1001)", "missing: the meaning of the pixel values is unknown")
        }
        let corrected = Set(h.correctedImage.map { $0.trimmingCharacters(in: .whitespaces).uppercased() })
        if !corrected.contains("ATTN") {
            warnings.append("Corrected Image (0028,0051) lacks ATTN: the image is not attenuation corrected, SUV is not quantitative")
        }
        var decay = h.decayCorrection?.trimmingCharacters(in: .whitespaces).uppercased() ?? ""
        if decay.isEmpty {
            decay = corrected.contains("DECY") ? "START" : "NONE"
            warnings.append("Decay Correction (0054,1102) is missing: assumed \(decay) (Corrected Image \(corrected.contains("DECY") ? "contains" : "lacks") DECY)")
        }
        guard ["START", "ADMIN", "NONE"].contains(decay) else {
            throw SUVError("DecayCorrection (0054,1102)", "'\(decay)' is not START, ADMIN or NONE")
        }
        if decay != "NONE" && !corrected.contains("DECY") {
            warnings.append("Decay Correction is \(decay) but Corrected Image (0028,0051) lacks DECY: taken as decay corrected to \(decay)")
        }
        if decay == "NONE" && corrected.contains("DECY") {
            warnings.append("Decay Correction is NONE but Corrected Image (0028,0051) contains DECY: taken as not decay corrected")
        }

        func composition(_ bwFactor: Double, method: String, dose: Double?, decayed: Double?, halfLife: Double?,
                         injection: Date?, scan: Date?) -> SUVFactors {
            // Every normalisation is the body-weight one rescaled by (normaliser / weight).
            let perKg = bwFactor / (w * 1000)
            return SUVFactors(suvbwFactor: bwFactor, suvlbmFactor: lbmJames.map { perKg * $0 * 1000 },
                              suvlbmJanmahasatianFactor: lbmJanma.map { perKg * $0 * 1000 },
                              suvbsaFactor: bsa.map { perKg * $0 * 10_000 }, weightKg: w, heightCm: heightCm,
                              sex: sex?.rawValue, leanBodyMassJamesKg: lbmJames, leanBodyMassJanmahasatianKg: lbmJanma,
                              bodySurfaceAreaM2: bsa, imageUnits: rawUnits, decayCorrection: decay, injectedDoseBq: dose,
                              decayedDoseBq: decayed, halfLifeSeconds: halfLife, injectionTime: injection.map(iso),
                              scanTime: scan.map(iso),
                              decayIntervalSeconds: (injection != nil && scan != nil) ? scan!.timeIntervalSince(injection!) : nil,
                              method: method, warnings: warnings)
        }

        if rawUnits == "GML" {
            warnings.append("Units are GML: the image already holds SUVbw (factor 1); lean-body-mass and BSA factors are SUVbw rescaled by LBM/weight and BSA/weight")
            return composition(1, method: "Units GML: values are SUVbw", dose: h.radionuclideTotalDoseBq, decayed: nil,
                               halfLife: h.radionuclideHalfLifeSeconds, injection: nil, scan: nil)
        }
        let philipsSUV = h.philipsSUVScaleFactor.flatMap { $0.isFinite && $0 > 0 ? $0 : nil }
        let philipsACSF = h.philipsActivityConcentrationScaleFactor.flatMap { $0.isFinite && $0 > 0 ? $0 : nil }
        if rawUnits == "CNTS", let s = philipsSUV {
            warnings.append("Units are CNTS: SUVbw factor is the Philips private SUV Scale Factor (7053,1000) = \(petNum(s)), taken as written")
            return composition(s, method: "Units CNTS: Philips private SUV Scale Factor (7053,1000)", dose: h.radionuclideTotalDoseBq,
                               decayed: nil, halfLife: h.radionuclideHalfLifeSeconds, injection: nil, scan: nil)
        }
        var unitToBqML = 1.0
        var method = "Units BQML"
        switch rawUnits {
        case "BQML": break
        case "CNTS":
            guard let a = philipsACSF else {
                throw SUVError("Units (0054,1001)", "CNTS without a valid Philips private SUV Scale Factor (7053,1000) or Activity Concentration Scale Factor (7053,1009) (values \(h.philipsSUVScaleFactor.map(petNum) ?? "absent"), \(h.philipsActivityConcentrationScaleFactor.map(petNum) ?? "absent")): counts cannot be turned into activity concentration")
            }
            unitToBqML = a
            method = "Units CNTS: Philips private Activity Concentration Scale Factor (7053,1009) × BQML factor"
            warnings.append("Units are CNTS: counts turned into Bq/mL with the Philips private Activity Concentration Scale Factor (7053,1009) = \(petNum(a))")
        default:
            throw SUVError("Units (0054,1001)", "'\(rawUnits)' is not supported for SUV (BQML, CNTS with Philips factors, GML)")
        }

        // Activity and half-life.
        guard let dose = h.radionuclideTotalDoseBq else {
            throw SUVError("RadionuclideTotalDose (0018,1074)", "missing: injected activity is required for SUV")
        }
        guard dose.isFinite, dose > 0 else { throw SUVError("RadionuclideTotalDose (0018,1074)", "\(petNum(dose)) Bq is not a valid injected activity") }
        if dose < 1e5 { warnings.append("Radionuclide Total Dose is \(petNum(dose)) Bq: implausibly small for a PET study (MBq written instead of Bq?)") }
        var halfLife = h.radionuclideHalfLifeSeconds.flatMap { $0.isFinite && $0 > 0 ? $0 : nil }
        if halfLife == nil, decay == "START" || decay == "NONE" {
            if let name = h.radionuclide.flatMap(radionuclideName), let n = Radionuclide.named(name) {
                halfLife = n.halfLifeSeconds
                warnings.append("Radionuclide Half Life (0018,1075) is missing: \(petNum(n.halfLifeSeconds)) s of \(n.name) from the decay tables assumed")
            } else {
                throw SUVError("RadionuclideHalfLife (0018,1075)", "missing or not positive, and no known radionuclide named: the decay correction needs it")
            }
        }

        if decay == "ADMIN" {
            let f = unitToBqML * w * 1000 / dose
            if let s = philipsSUV { crossCheck(philips: s, acsf: philipsACSF, computed: w * 1000 / dose, warnings: &warnings) }
            return composition(f, method: method + ", decay corrected to administration: no decay of the dose",
                               dose: dose, decayed: dose, halfLife: halfLife, injection: nil, scan: nil)
        }

        // Times (QIBA flow chart).
        let tz = h.timezoneOffset.flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 }
        let seriesParsed = h.seriesDate.flatMap { d in h.seriesTime.flatMap { DICOMDateTime.parse(date: d, time: $0, offset: tz) } }
        let acqParsed = h.acquisitionDate.flatMap { d in h.acquisitionTime.flatMap { DICOMDateTime.parse(date: d, time: $0, offset: tz) } }
        guard let seriesDT = seriesParsed ?? acqParsed else {
            throw SUVError("SeriesDate/SeriesTime (0008,0021/0031)", "missing or invalid ('\(h.seriesDate ?? "")' '\(h.seriesTime ?? "")'), and no valid Acquisition Date/Time: the decay reference time is unknown")
        }
        if seriesParsed == nil {
            warnings.append("Series Date/Time missing or invalid ('\(h.seriesDate ?? "")' '\(h.seriesTime ?? "")'): the earliest Acquisition Date/Time is the decay reference")
        }
        var scan = seriesDT
        var scanSource = "Series Date/Time"
        if let ad = h.acquisitionDate, let at = h.acquisitionTime, let acq = DICOMDateTime.parse(date: ad, time: at, offset: tz) {
            if seriesDT > acq {
                if let ge = h.gePrivateScanDateTime, let g = DICOMDateTime.parse(dt: ge, defaultOffset: tz) {
                    scan = g; scanSource = "GE private scan DateTime (0009,xx0D)"
                } else {
                    scan = acq; scanSource = "earliest Acquisition Date/Time"
                    warnings.append("Series Date/Time is later than the earliest Acquisition Date/Time (series re-created after the scan): the acquisition start \(iso(acq)) is used as decay reference (QIBA)")
                }
            }
        } else {
            warnings.append("Acquisition Date/Time missing or invalid: Series Date/Time used as decay reference without cross-check")
        }
        var injection: Date
        if let dt = h.radiopharmaceuticalStartDateTime, !dt.trimmingCharacters(in: .whitespaces).isEmpty {
            guard let d = DICOMDateTime.parse(dt: dt, defaultOffset: tz) else {
                throw SUVError("RadiopharmaceuticalStartDateTime (0018,1078)", "'\(dt)' is not a valid DT")
            }
            injection = d
        } else if let t = h.radiopharmaceuticalStartTime, !t.trimmingCharacters(in: .whitespaces).isEmpty {
            let day = dayString(scan, offset: tz)
            guard let d = DICOMDateTime.parse(date: day, time: t, offset: tz) else {
                throw SUVError("RadiopharmaceuticalStartTime (0018,1072)", "'\(t)' is not a valid TM")
            }
            injection = d
            if injection > scan {
                injection = injection.addingTimeInterval(-86_400)
                warnings.append("Radiopharmaceutical Start DateTime (0018,1078) is missing and Start Time \(t) is later than the scan time: injection taken on the day before the scan (across midnight)")
            } else {
                warnings.append("Radiopharmaceutical Start DateTime (0018,1078) is missing: Start Time \(t) taken on the scan day \(day)")
            }
        } else {
            throw SUVError("RadiopharmaceuticalStartDateTime (0018,1078)", "neither it nor Radiopharmaceutical Start Time (0018,1072) is present: injection time unknown")
        }
        let dt = scan.timeIntervalSince(injection)
        guard dt >= 0 else {
            throw SUVError("RadiopharmaceuticalStartDateTime (0018,1078)", "injection \(iso(injection)) is after the scan time \(iso(scan)) (\(scanSource)): decay interval \(petNum(dt)) s is negative")
        }
        if dt > 7 * 86_400 { warnings.append("decay interval is \(petNum(dt / 3600)) h: check the injection and series dates") }
        let hl = halfLife!
        let decayed = dose * Decay.factor(halfLifeSeconds: hl, elapsedSeconds: dt)
        let factor = unitToBqML * w * 1000 / decayed
        if decay == "NONE" {
            warnings.append("Decay Correction is NONE: values are activity at acquisition; this factor decays the dose to the scan start \(iso(scan)) (\(scanSource)) and fits slices acquired then; slices or frames acquired later need their own factor (scinti pet suv applies one per slice)")
        }
        if rawUnits == "BQML", let s = philipsSUV { crossCheck(philips: s, acsf: philipsACSF, computed: factor, warnings: &warnings) }
        return composition(factor, method: method + ", decay \(decay): dose decayed from injection to scan time (\(scanSource))",
                           dose: dose, decayed: decayed, halfLife: hl, injection: injection, scan: scan)
    }

    /// Philips BQML series also carry the private factors; SUV Scale Factor / Activity Concentration Scale Factor
    /// should equal the standard factor. A disagreement beyond 1 % is reported, the standard value is used.
    static func crossCheck(philips s: Double, acsf: Double?, computed: Double, warnings: inout [String]) {
        guard let a = acsf else { return }
        let implied = s / a
        let rel = abs(implied - computed) / computed
        if rel > 0.01 {
            warnings.append("Philips private SUV Scale Factor / Activity Concentration Scale Factor = \(petNum(implied)) differs from the standard SUVbw factor \(petNum(computed)) by \(petNum(rel * 100)) %: the standard value is used")
        }
    }

    /// `F-18` from a code meaning such as `^18^Fluorine` or `Fluorine-18`.
    static func radionuclideName(_ meaning: String) -> String? {
        let elements = ["fluorine": "F", "gallium": "Ga", "carbon": "C", "nitrogen": "N", "oxygen": "O", "copper": "Cu",
                        "zirconium": "Zr", "rubidium": "Rb", "iodine": "I", "technetium": "Tc", "lutetium": "Lu", "yttrium": "Y"]
        let lower = meaning.lowercased()
        let digits = lower.filter(\.isNumber)
        guard !digits.isEmpty else { return meaning }
        for (k, v) in elements where lower.contains(k) { return "\(v)-\(digits)" }
        return meaning
    }

    static func dayString(_ d: Date, offset: String?) -> String {
        let secs = offset.flatMap(DICOMDateTime.parseOffset) ?? 0
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(secondsFromGMT: secs) ?? TimeZone(identifier: "UTC")!
        let c = cal.dateComponents([.year, .month, .day], from: d)
        return String(format: "%04d%02d%02d", c.year ?? 0, c.month ?? 1, c.day ?? 1)
    }

    static func iso(_ d: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: d)
    }
}

/// Compact number formatting for messages.
func petNum(_ v: Double) -> String {
    if v == 0 { return "0" }
    let a = abs(v)
    if a >= 1e-3 && a < 1e7 { return String(format: "%.6g", v) }
    return String(format: "%.6e", v)
}
