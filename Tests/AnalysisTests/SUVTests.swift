import Foundation
import Testing
@testable import Analysis
import Imaging

/// The shared corpus beside the repository (`../shared/corpus`), or nil.
func petCorpus() -> String? {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let c = root.deletingLastPathComponent().appendingPathComponent("shared/corpus").path
    return FileManager.default.fileExists(atPath: c) ? c : nil
}

func petRelErr(_ a: Double, _ b: Double) -> Double { abs(a - b) / abs(b) }

@Suite struct BodyCompositionTests {
    // Reference values: the published formulas evaluated by hand (James 1976 with 128/148; Janmahasatian 2005;
    // Du Bois 1916). Janmahasatian and Du Bois also agree with cornerstonejs/calculate-suv's test
    // (test/calculateSUVScalingFactors.test.ts: 75 kg, 1.85 m, M, 100 Bq → suvlbmJanma 609.1533588651974,
    // suvbsa 198.13758427117767, i.e. 60.9153 kg and 1.98138 m²). Its James value (627.78) uses 120, not 128.
    @Test func jamesUses128ForMenAnd148ForWomen() {
        // 1.10·75 − 128·(75/185)² = 82.5 − 21.03725 = 61.46275
        #expect(abs(BodyComposition.leanBodyMassJames(weightKg: 75, heightCm: 185, sex: .male) - 61.46275) < 1e-4)
        // 1.07·60 − 148·(60/165)² = 64.2 − 19.57025 = 44.62975
        #expect(abs(BodyComposition.leanBodyMassJames(weightKg: 60, heightCm: 165, sex: .female) - 44.62975) < 1e-4)
    }

    @Test func janmahasatianAndDuBoisMatchAnIndependentImplementation() {
        #expect(abs(BodyComposition.leanBodyMassJanmahasatian(weightKg: 75, heightCm: 185, sex: .male) - 60.91533588651974) < 1e-9)
        // 9270·60 / (8780 + 244·22.0386) = 556200 / 14157.42 = 39.2868
        #expect(abs(BodyComposition.leanBodyMassJanmahasatian(weightKg: 60, heightCm: 165, sex: .female) - 39.28685) < 1e-4)
        #expect(abs(BodyComposition.bodySurfaceAreaDuBois(weightKg: 75, heightCm: 185) - 1.9813758427117767) < 1e-9)
    }
}

@Suite struct SUVFactorTests {
    /// A minimal BQML header: 100 kg, 100 Bq, injection = scan (no decay), as in calculate-suv's unit tests.
    func base() -> SUVHeader {
        SUVHeader(units: "BQML", decayCorrection: "ADMIN", correctedImage: ["ATTN", "DECY"], seriesDate: "20201023",
                  seriesTime: "095417", acquisitionDate: "20201023", acquisitionTime: "095417",
                  radiopharmaceuticalStartDateTime: "20201023095417", radionuclideTotalDoseBq: 100,
                  radionuclideHalfLifeSeconds: 10, patientWeightKg: 100)
    }

    @Test func adminGMLAndPhilipsCounts() throws {
        // ADMIN: no decay: 100 000 g / 100 Bq.
        #expect(try SUVCalculator.factors(base()).suvbwFactor == 1000)
        var h = base(); h.units = "GML"
        #expect(try SUVCalculator.factors(h).suvbwFactor == 1)
        // CNTS with the Philips SUV Scale Factor: taken as written (calculate-suv: 0.000551).
        h = base(); h.units = "CNTS"; h.philipsSUVScaleFactor = 0.000551; h.philipsActivityConcentrationScaleFactor = 1.602563
        #expect(try SUVCalculator.factors(h).suvbwFactor == 0.000551)
        // CNTS with only the Activity Concentration Scale Factor: 1.602563 Bq/mL per count × 1000 g/Bq.
        h.philipsSUVScaleFactor = 0
        #expect(abs(try SUVCalculator.factors(h).suvbwFactor - 1602.563) < 1e-9)
        // CNTS without either: an error naming Units.
        h.philipsActivityConcentrationScaleFactor = nil
        #expect { try SUVCalculator.factors(h) } throws: { ($0 as? SUVError)?.attribute.contains("Units") == true }
        h = base(); h.units = "PROPCPS"
        #expect(throws: SUVError.self) { try SUVCalculator.factors(h) }
    }

    @Test func startDecaysTheDoseToTheScanTime() throws {
        // 20 s after injection with a 10 s half-life: a quarter of the dose is left.
        var h = base(); h.decayCorrection = "START"; h.seriesTime = "095437"; h.acquisitionTime = "095437"
        let f = try SUVCalculator.factors(h)
        #expect(abs(f.suvbwFactor - 4000) < 1e-6)
        #expect(f.decayIntervalSeconds == 20)
        // NONE: same dose decay to the scan start, with a warning about later frames.
        h.decayCorrection = "NONE"; h.correctedImage = ["ATTN"]
        let n = try SUVCalculator.factors(h)
        #expect(abs(n.suvbwFactor - 4000) < 1e-6)
        #expect(n.warnings.contains { $0.contains("NONE") })
    }

    @Test func lbmAndBsaFactors() throws {
        var h = base(); h.patientWeightKg = 75; h.patientSizeM = 1.85; h.patientSex = "M"
        let f = try SUVCalculator.factors(h)
        #expect(f.suvbwFactor == 750)
        #expect(abs(f.suvlbmFactor! - 614.6275) < 1e-3)            // James 61.46275 kg · 1000 / 100 Bq
        #expect(abs(f.suvlbmJanmahasatianFactor! - 609.1533588651974) < 1e-6)   // calculate-suv suvlbmJanma
        #expect(abs(f.suvbsaFactor! - 198.13758427117767) < 1e-6)   // calculate-suv suvbsa (cm²/Bq)
        // Without height or sex: no LBM, with a warning.
        h.patientSex = nil
        let g = try SUVCalculator.factors(h)
        #expect(g.suvlbmFactor == nil && g.suvbsaFactor != nil)
        #expect(g.warnings.contains { $0.contains("Sex") })
        // Overrides complete the header and are reported when they replace a value.
        let o = try SUVCalculator.factors(h, overrides: SUVPatientOverrides(weightKg: 80, heightCm: 180, sex: .female))
        #expect(o.suvbwFactor == 800 && o.sex == "F" && o.heightCm == 180)
        #expect(o.warnings.contains { $0.contains("replaces Patient's Weight") })
    }

    @Test func timesAcrossMidnightAndFromTheAcquisition() throws {
        // Only a Start Time, 23:30 the day before a 00:45 series: 4500 s.
        var h = base(); h.decayCorrection = "START"; h.radionuclideHalfLifeSeconds = 6586.2
        h.radiopharmaceuticalStartDateTime = nil; h.radiopharmaceuticalStartTime = "233000"
        h.seriesDate = "20201024"; h.seriesTime = "004500"; h.acquisitionDate = "20201024"; h.acquisitionTime = "004500"
        let f = try SUVCalculator.factors(h)
        #expect(f.decayIntervalSeconds == 4500)
        #expect(f.warnings.contains { $0.contains("day before") })
        // Series later than the acquisition: the acquisition start is the decay reference (QIBA) …
        h.acquisitionTime = "003000"
        #expect(try SUVCalculator.factors(h).decayIntervalSeconds == 3600)
        // … unless GE's private scan DateTime says otherwise.
        h.gePrivateScanDateTime = "20201024003500"
        #expect(try SUVCalculator.factors(h).decayIntervalSeconds == 3900)
        // No Series Date/Time: the acquisition, with a warning; neither: an error.
        h.gePrivateScanDateTime = nil; h.seriesDate = nil
        let a = try SUVCalculator.factors(h)
        #expect(a.decayIntervalSeconds == 3600 && a.warnings.contains { $0.contains("Series Date/Time missing") })
        h.acquisitionDate = nil
        #expect { try SUVCalculator.factors(h) } throws: { ($0 as? SUVError)?.attribute.contains("SeriesDate") == true }
        // Injection after the scan: an error naming the start time.
        h = base(); h.decayCorrection = "START"; h.radiopharmaceuticalStartDateTime = "20201023115417"
        #expect { try SUVCalculator.factors(h) } throws: { ($0 as? SUVError)?.attribute.contains("RadiopharmaceuticalStart") == true }
    }

    @Test func missingValuesAreErrorsOrWarningsNeverSilent() throws {
        var h = base(); h.patientWeightKg = nil
        #expect { try SUVCalculator.factors(h) } throws: { ($0 as? SUVError)?.attribute.contains("PatientWeight") == true }
        #expect(try SUVCalculator.factors(h, overrides: SUVPatientOverrides(weightKg: 100)).suvbwFactor == 1000)
        h = base(); h.radionuclideTotalDoseBq = 0
        #expect(throws: SUVError.self) { try SUVCalculator.factors(h) }
        h = base(); h.units = nil
        #expect(throws: SUVError.self) { try SUVCalculator.factors(h) }
        h = base(); h.correctedImage = ["DECY"]
        #expect(try SUVCalculator.factors(h).warnings.contains { $0.contains("ATTN") })
        // A missing half-life is taken from the decay tables for a named radionuclide, with a warning.
        h = base(); h.decayCorrection = "START"; h.radionuclideHalfLifeSeconds = nil; h.radionuclide = "^18^Fluorine"
        let f = try SUVCalculator.factors(h)
        #expect(abs(f.halfLifeSeconds! - 6586) < 10)
        #expect(f.warnings.contains { $0.contains("Half Life") })
    }

    /// The cornerstonejs/calculate-suv real-scanner headers (`../shared/corpus/pt/suv-metadata`) against that
    /// project's precomputed SUVbw factors (test/calculateSUV_SampleData.test.ts, which checks them to 1e-6 absolute).
    @Test func cornerstoneRealScannerHeaders() throws {
        guard let corpus = petCorpus() else {
            print("skipped: ../shared/corpus not found (cornerstone suv-metadata headers)"); return
        }
        let expected: [String: Double] = [
            "SIEMENS": 0.00042748316187197236,
            "GE_MEDICAL_AND_BQML": 0.0005367387681819742,
            "PHILIPS_BQML": 0.0007463747013889488,
            "RADIOPHARM_DATETIME_UNDEFINED": 0.0003721089202818729,
        ]
        for (name, want) in expected {
            let url = URL(fileURLWithPath: "\(corpus)/pt/suv-metadata/\(name)-instances.json")
            let items = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [[String: Any]])
            let first = try #require(items.first)
            func s(_ k: String, _ d: [String: Any] = first) -> String? {
                if let v = d[k] as? String { return v }
                if let v = d[k] as? NSNumber { return v.stringValue }
                return nil
            }
            func n(_ k: String, _ d: [String: Any] = first) -> Double? { (d[k] as? NSNumber)?.doubleValue ?? s(k, d).flatMap { Double($0.trimmingCharacters(in: .whitespaces)) } }
            // Earliest acquisition over the instances, as the edge reader does.
            let acq = items.map { (s("AcquisitionDate", $0) ?? "", s("AcquisitionTime", $0) ?? "") }.min { $0.1 < $1.1 }
            let philips = first["PhilipsPETPrivateGroup"] as? [String: Any] ?? [:]
            let h = SUVHeader(units: s("Units"), decayCorrection: s("DecayCorrection"),
                              correctedImage: first["CorrectedImage"] as? [String] ?? [], seriesDate: s("SeriesDate"),
                              seriesTime: s("SeriesTime"), acquisitionDate: acq?.0, acquisitionTime: acq?.1,
                              radiopharmaceuticalStartDateTime: s("RadiopharmaceuticalStartDateTime"),
                              radiopharmaceuticalStartTime: s("RadiopharmaceuticalStartTime"),
                              radionuclideTotalDoseBq: n("RadionuclideTotalDose"),
                              radionuclideHalfLifeSeconds: n("RadionuclideHalfLife"), patientWeightKg: n("PatientWeight"),
                              patientSizeM: n("PatientSize"), patientSex: s("PatientSex"),
                              philipsSUVScaleFactor: n("SUVScaleFactor", philips),
                              philipsActivityConcentrationScaleFactor: n("ActivityConcentrationScaleFactor", philips))
            let f = try SUVCalculator.factors(h)
            #expect(petRelErr(f.suvbwFactor, want) < 1e-6, "\(name): \(f.suvbwFactor) vs \(want)")
            // SUL by James (128/148) follows from the same decayed dose.
            if let hm = h.patientSizeM, let sex = PatientSex(dicom: h.patientSex) {
                let lbm = BodyComposition.leanBodyMassJames(weightKg: h.patientWeightKg!, heightCm: hm * 100, sex: sex)
                #expect(petRelErr(f.suvlbmFactor!, want * lbm / h.patientWeightKg!) < 1e-6)
            }
            if name == "RADIOPHARM_DATETIME_UNDEFINED" { #expect(f.warnings.contains { $0.contains("Start DateTime") }) }
            // Philips BQML: the private factors agree with the standard one (no disagreement warning).
            if name == "PHILIPS_BQML" { #expect(!f.warnings.contains { $0.contains("differs") }) }
        }
    }
}
