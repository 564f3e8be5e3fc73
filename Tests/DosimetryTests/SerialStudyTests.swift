import DICOM
import DICOMImaging
import Foundation
import Imaging
import Physics
import Simulation
import Testing
import Workflows
@testable import Dosimetry

/// Acceptance: a simulated Lu-177 study with known kinetics (4 visits at 4, 24, 96, 168 h), repositioned between
/// visits by known rigid motions, written as DICOM (NM RECON TOMO in Bq/mL + CT series per visit), read back,
/// registered and integrated: TIA within 5 % of the analytic truth per large VOI, registration within 2 mm.
///
/// What the "SPECT" is: the ideal quantitative image (true concentration, 2³ sub-samples per voxel, 3 % multiplicative
/// noise), not projections + OSEM — see ``SerialStudy``. Partial-volume and reconstruction bias are therefore not
/// part of this check.
@Suite struct SerialStudyTests {
    @Test func simulatedLu177StudyGivesTIAWithin5PercentAndRegistrationWithin2mm() throws {
        let study = SerialStudy.lu177Default()
        let lu = try #require(Radionuclide.named("Lu-177"))
        let dir = NSTemporaryDirectory() + "scinti-dose-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let folders = try DoseJob.writeSimulated(study, nuclide: lu, to: dir)
        #expect(folders.count == 4)
        // The whole CLI path: visits and SEG read back from DICOM (times from Radiopharmaceutical Start DateTime →
        // Acquisition Date/Time; VOIs = each organ with a 6 mm margin, written by writeSimulated as masks.dcm).
        let out = dir + "/out"
        var options = DoseJob.Options(timepoints: folders, masks: dir + "/masks.dcm", method: .voxel, fit: .auto, out: out)
        options.kernelDecays = 40_000      // the default Monte Carlo kernel at reduced statistics
        let (report, result) = try DoseJob.run(options)
        #expect(report.visits.map(\.hours) == [4, 24, 96, 168])
        // --administration overrides the file's Radiopharmaceutical Start DateTime (08:00 UTC → 02:00 UTC: +6 h);
        // a malformed one is an error naming it.
        #expect(try DoseJob.readVisit(folders[0], administration: "20260112020000+0000").point.hours == 10)
        #expect(throws: WorkflowError.self) { try DoseJob.readVisit(folders[0], administration: "yesterday") }
        // Registration: the estimated fixed→moving map against the known repositioning p ↦ R·p + t.
        for k in 1..<4 {
            let est = try #require(result.registrations[k]).transform
            let truth = study.timePoints[k].repositioning
            let m = RigidTransform(rotationDeg: truth.rotationDeg, translationMM: truth.translationMM, centerMM: .zero)
            var worst = 0.0
            for x in [-80.0, 80] { for y in [-60.0, 60] { for z in [-80.0, 80] {
                let p = Vector3(x, y, z)
                worst = max(worst, (est.apply(p) - m.apply(p)).length)
            } } }
            #expect(worst < 2, "visit \(k + 1): registration error \(worst) mm")
        }
        // TIA per VOI against the analytic integral of the generating kinetics.
        for (n, o) in study.organs.enumerated() {
            let v = report.vois[n]
            #expect(v.name == o.name)
            #expect(abs(v.tiaMBqh / o.tiaMBqh - 1) < 0.05, "\(o.name): TIA \(v.tiaMBqh) vs truth \(o.tiaMBqh) MBq·h (\(v.fit.method))")
            #expect(v.meanDoseGy > 0)
        }
        // The CT shows each organ's tissue where its activity is: the spleen's top lies inside the lung ellipsoid of
        // the analytic anatomy, and every voxel centre inside the spleen must show the spleen's HU, not lung. With the
        // density right, a VOI's volume-mean and mass-mean dose agree (they differed by 70 % for the spleen when its
        // top showed lung on the CT).
        let ref = study.timePoints[0].ct, spleen = study.organs[2]
        var inSpleen = 0, wrong = 0
        for k in 0..<ref.size.z { for j in 0..<ref.size.y { for i in 0..<ref.size.x {
            let d = ref.geometry.patientPosition(i, j, k) - spleen.center, a = spleen.semiAxesMM
            guard (d.x / a.x) * (d.x / a.x) + (d.y / a.y) * (d.y / a.y) + (d.z / a.z) * (d.z / a.z) < 1 else { continue }
            inSpleen += 1
            if ref.voxels[i + ref.size.x * (j + ref.size.y * k)] != spleen.hu { wrong += 1 }
        } } }
        #expect(spleen.name == "spleen" && inSpleen > 100 && wrong == 0, "\(wrong) of \(inSpleen) spleen voxels do not show the spleen's HU")
        for v in report.vois {
            let byMass = try #require(v.meanDoseByMassGy)
            #expect(abs(v.meanDoseGy / byMass - 1) < 0.05, "\(v.name): volume mean \(v.meanDoseGy) Gy vs mass mean \(byMass) Gy")
        }
        // Mean dose of a large uniform organ ≈ local deposition E·Ã/m (β range ≪ organ): liver within 10 %
        // (edge voxels lose dose to the outside, CT density ≈ 1.06 g/mL at 60 HU).
        let liver = report.vois[0]
        let ldm = liver.tiaMBqh * 3600 * DoseUnits.mGyPerMBqS(energyMeV: lu.meanLocalEnergyMeV, massKg: liver.massG / 1000) / 1000
        #expect(abs(liver.meanDoseGy / ldm - 1) < 0.1, "liver \(liver.meanDoseGy) Gy vs E·Ã/m \(ldm) Gy")
        // Outputs: JSON with the contract keys, RT Dose readable and equal to the dose map.
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/dose.json"))) as? [String: Any]
        let first = try #require((json?["vois"] as? [[String: Any]])?.first)
        for key in ["name", "tiaMBqh", "meanDoseGy", "fit"] { #expect(first[key] != nil, "missing \(key)") }
        let rt = try RTDoseReader.read(path: out + "/rtdose.dcm")
        let dose = try #require(result.doseGy)
        #expect(rt.volume.size == dose.size && rt.doseUnits == "GY")
        let peak = dose.voxels.max()!
        var worst: Float = 0
        for i in dose.voxels.indices { worst = max(worst, abs(rt.volume.voxels[i] - dose.voxels[i])) }
        #expect(worst < 1e-6 * peak + 1e-9)
        for f in ["tac.svg", "dvh.svg", "dose.png"] { #expect(FileManager.default.fileExists(atPath: out + "/" + f)) }
        // The RT Dose stays with the patient: patient and study of the reference visit's SPECT, no placeholder.
        let rtHeader = try DICOMFile.read(path: out + "/rtdose.dcm", options: ReadOptions(stopBeforePixels: true)).dataset
        let nmHeader = try DICOMFile.read(path: folders[0] + "/spect.dcm", options: ReadOptions(stopBeforePixels: true)).dataset
        for tag in [Tag.patientName, .patientID, .studyInstanceUID, .frameOfReferenceUID] {
            #expect(rtHeader.string(tag) == nmHeader.string(tag) && rtHeader.string(tag) != nil, "\(tag)")
        }
        #expect(!report.warnings.contains { $0.contains("placeholder") })
        // The viewer's display: one mask per VOI with the VOI's voxels, measured TAC points = the report's, DVHs from 100 %.
        let prepared = try DoseJob.prepare(DoseJob.Options(timepoints: folders, masks: dir + "/masks.dcm"))
        let display = DoseJob.display(report: report, result: result, vois: prepared.vois, doseSeries: "1.2.3", ctSeries: "1.2.4")
        #expect(display.volumeMasks.count == prepared.vois.count)
        for (m, v) in zip(display.volumeMasks, prepared.vois) {
            #expect(ResultDisplay.mask(runs: m.runs, count: v.mask.count) == v.mask && m.voxels == v.mask.filter { $0 }.count)
        }
        let tac = try #require(display.charts.first)
        for v in report.vois {
            let pts = try #require(tac.curves.first { $0.label == "\(v.name) (measured)" })
            #expect(pts.x == v.timesHours && pts.y == v.activitiesMBq)
        }
        let dvh = try #require(display.charts.first { $0.title.contains("dose–volume") })
        #expect(dvh.curves.count == report.vois.count && dvh.curves.allSatisfy { abs($0.y[0] - 100) < 1e-9 })
        #expect(display.volumeSeries == "1.2.3" && display.anatomySeries == "1.2.4")
        // Kidney BED is reported and exceeds the physical dose.
        let kidney = report.vois[1]
        #expect((kidney.bedGy ?? 0) > kidney.meanDoseGy)
    }

    @Test func visitFolderWithoutSPECTIsAClearError() throws {
        let dir = NSTemporaryDirectory() + "scinti-dose-empty-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(throws: WorkflowError.self) { try DoseJob.readVisit(dir, administration: nil) }
        #expect(throws: WorkflowError.self) { try DoseJob.readVisit(dir + "/nope", administration: nil) }
    }
}
