import Foundation
import Testing
@testable import Analysis
import Imaging
import Workflows

/// An analytic whole-body anterior view (4.8 mm pixels, 128 × 380): a body outline, a spine and skeleton at a known
/// level, and placed foci whose nature is known by construction: a vertebral lesion, the bladder, an injection
/// site in the right forearm, symmetric knee foci.
private func analyticWholeBody(lesion: Bool = true, kneeRow: Double = 290, shaftPairRow: Double? = nil) -> PlanarViewImage {
    let cols = 128, rows = 380
    var img = [Float](repeating: 0, count: cols * rows)
    func fill(_ c0: Int, _ c1: Int, _ r0: Int, _ r1: Int, _ v: Float) {
        for r in max(0, r0)...min(rows - 1, r1) { for c in max(0, c0)...min(cols - 1, c1) { img[r * cols + c] = max(img[r * cols + c], v) } }
    }
    func disc(_ cc: Double, _ rr: Double, _ rad: Double, _ v: Float, add: Bool = true) {
        for r in 0..<rows { for c in 0..<cols where hypot(Double(c) - cc, Double(r) - rr) <= rad {
            img[r * cols + c] = add ? img[r * cols + c] + v : max(img[r * cols + c], v)
        } }
    }
    fill(56, 72, 2, 36, 40)          // head
    fill(40, 88, 37, 200, 40)        // trunk soft tissue
    fill(22, 32, 40, 190, 40); fill(96, 106, 40, 190, 40)   // arms
    fill(46, 60, 200, 376, 40); fill(68, 82, 200, 376, 40)  // legs
    fill(62, 66, 30, 160, 120)       // spine (ends above the bladder)
    fill(50, 54, 210, 370, 100); fill(74, 78, 210, 370, 100) // femora/tibiae
    disc(64, 182, 9, 2_000, add: false)                     // bladder (urine), organ-sized
    disc(26, 140, 1.5, 4_000)                               // injection site, right forearm (image left on an anterior view)
    disc(52, kneeRow, 2.2, 300); disc(76, kneeRow, 2.2, 300) // symmetric knee foci
    if let r = shaftPairRow { disc(52, r, 2.2, 300); disc(76, r, 2.2, 300) }  // a lesion on each femoral shaft
    if lesion { disc(64, 100, 2.5, 300) }                   // vertebral lesion (thoracic level)
    let v = PlanarViewImage(name: "Anterior projection", rows: rows, columns: cols, pixelSpacing: [4.8, 4.8], counts: img.map { $0 * 10 },
                            origin: Vector3(-307, 0, 900), rowDirection: Vector3(1, 0, 0), columnDirection: Vector3(0, 0, -1))
    return v
}

@Suite("Bone scan: phase, physiology, not a patient")
struct BoneScanPhysiologyTests {
    @Test("physiology kept out of the lesions, each with its reason; the lesion has region and side")
    func physiologyIsNotALesion() throws {
        let r = try BoneScanAnalysis().analyze([analyticWholeBody()], minutesAfterInjection: 180)
        #expect(r.phase?.decision == "delayed")
        // The only lesion is the vertebral one at (64, 100).
        #expect(r.lesions.count == 1, "\(r.lesions.map { ($0.column, $0.row, $0.uptakeRatio) }) physiology \(r.physiology.map { ($0.kind, $0.column, $0.row) })")
        let l = try #require(r.lesions.first)
        #expect(abs(l.column - 64) <= 1.5 && abs(l.row - 100) <= 1.5)
        #expect(l.region?.contains("thoracic spine") == true)
        #expect(l.side == "midline")
        let kinds = Set(r.physiology.map(\.kind))
        #expect(kinds.contains("urinary bladder"))
        #expect(kinds.contains("injection site / extravasation"))
        #expect(kinds.contains("symmetric joint uptake"))
        #expect(r.physiology.allSatisfy { !$0.reason.isEmpty })
        // The injection site lies at (26, 140): right forearm on an anterior view.
        #expect(r.physiology.contains { $0.kind.hasPrefix("injection") && abs($0.column - 26) <= 2 && abs($0.row - 140) <= 2 })
        #expect(!r.findings.isEmpty && !r.quality.isEmpty)
    }

    @Test("a delayed scan states the detector's measured limit; without lesions the finding does not read as 'no metastasis'")
    func detectionLimitIsStated() throws {
        let r = try BoneScanAnalysis().analyze([analyticWholeBody(lesion: false)], minutesAfterInjection: 180)
        #expect(r.phase?.decision == "delayed" && r.lesions.isEmpty, "\(r.lesions.map { ($0.column, $0.row) })")
        #expect(r.findings.first?.contains("does not exclude metastases") == true, "\(r.findings)")
        #expect(r.quality.contains { $0.hasPrefix("detection limit:") && $0.contains("46 %") })
        // With a lesion the limit is still said (a list of lesions is not complete either).
        let l = try BoneScanAnalysis().analyze([analyticWholeBody()], minutesAfterInjection: 180)
        #expect(l.quality.contains { $0.hasPrefix("detection limit:") })
    }

    @Test("early phase from the DICOM times: a statement, no lesions; the image decides without times")
    func earlyPhase() throws {
        let r = try BoneScanAnalysis().analyze([analyticWholeBody()], minutesAfterInjection: 5)
        #expect(r.phase?.decision == "early")
        #expect(r.lesions.isEmpty)
        #expect(r.findings.first?.contains("Early (blood-pool) phase") == true)
        // Blood-pool image: soft tissue as bright as bone (uniform body) → early by the image alone.
        var flat = analyticWholeBody(lesion: false)
        flat.counts = flat.counts.map { $0 > 0 ? 400 : 0 }
        #expect(BoneScanAnalysis().decidePhase([flat], minutesAfterInjection: nil).decision == "early")
        #expect(BoneScanAnalysis().decidePhase([analyticWholeBody()], minutesAfterInjection: nil).decision == "delayed")
    }

    @Test("the Siemens whole-body QC scan is reported as not a patient")
    func qcScanIsNotAPatient() throws {
        let qc = "../shared/corpus/vendor/siemens_symbiaT2_WHOLEBODY_QC_imageqc.dcm"
        try #require(FileManager.default.fileExists(atPath: qc))
        let why = try #require(PlanarInputs.notAPatient(path: qc))
        #expect(why.contains("not a patient"))
        let r = BoneScanAnalysis.notAPatient(why)
        #expect(r.lesions.isEmpty && r.findings.first?.hasPrefix("Not a patient study") == true)
    }

    @Test("lesions given from outside replace the detected ones and go through the same finishing step")
    func givenLesions() throws {
        let v = analyticWholeBody()
        let disc = PlanarROI.disc(rows: v.rows, columns: v.columns, column: 64, row: 100, radius: 2.5)
        // The bladder region (64, 182) given as a lesion too: the reader's call wins over the physiology label.
        let bladder = PlanarROI.disc(rows: v.rows, columns: v.columns, column: 64, row: 182, radius: 4)
        let a = BoneScanAnalysis()
        let r = try a.analyze([v], minutesAfterInjection: 180,
                              lesions: [.init(view: v.name, roi: disc), .init(view: v.name, roi: bladder)])
        #expect(r.lesions.count == 2)
        let l = try #require(r.lesions.first)
        #expect(abs(l.column - 64) < 1e-9 && abs(l.row - 100) < 1e-9)
        // Area = pixels × 4.8² mm² (0.2304 cm² each), counted independently here.
        var n = 0
        for row in 0..<v.rows { for c in 0..<v.columns where hypot(Double(c) - 64, Double(row) - 100) <= 2.5 { n += 1 } }
        #expect(abs(l.areaCM2 - Double(n) * 0.2304) < 1e-9)
        // Net counts: the lesion adds 3000 per pixel on the spine (1200); the annulus mixes spine and trunk (400), so
        // the net lies between 3000 n and (3000 + 800) n.
        #expect(l.counts > 3000 * Double(n) && l.counts < 3800 * Double(n), "\(l.counts) for \(n) pixels")
        #expect(l.region?.contains("thoracic spine") == true && l.side == "midline" && l.sizeMM != nil)
        #expect(!r.physiology.contains { $0.kind == "urinary bladder" && abs($0.row - 182) < 4 && abs($0.column - 64) < 4 })
        #expect(r.physiology.contains { $0.kind.hasPrefix("injection") })
        #expect(r.findings.count == 2 && r.notes.contains { $0.contains("given from outside") })
        #expect(r.tumourBurdenIndexPercent > 0)
        // The same finishing step: the automatic lesion, given back as its own region, gets the same region and side.
        let auto = try a.analyze([v], minutesAfterInjection: 180)
        #expect(auto.lesions.first?.region == l.region && auto.lesions.first?.side == l.side)
        // Bad input: an unknown view, a region on another grid.
        #expect(throws: PlanarAnalysisError.self) { try a.analyze([v], lesions: [.init(view: "lateral", roi: disc)]) }
        #expect(throws: PlanarAnalysisError.self) { try a.analyze([v], lesions: [.init(view: v.name, roi: PlanarROI(rows: 3, columns: 3))]) }
    }
}

@Suite("Bone scan: the symmetric-joint call only at the atlas joints")
struct BoneScanSymmetricJointTests {
    @Test("joints of the atlas by height and lateral band; mid-shafts, ribs and skull are not joints")
    func atlasJoints() {
        // A 1730 mm patient (lateral scale 1): 30 mm from the knee's height, 60 mm off the midline → knee.
        #expect(SkeletalAtlas.joint(fraction: 0.694 + 30.0 / 1730, lateralMM: 60, heightMM: 1730, toleranceMM: 40)?.name == "knee")
        // The same place with a 20 mm tolerance is 30 mm away: no joint.
        #expect(SkeletalAtlas.joint(fraction: 0.694 + 30.0 / 1730, lateralMM: 60, heightMM: 1730, toleranceMM: 20) == nil)
        // Femoral mid-shaft (halfway between hip 0.471 and knee 0.694: 193 mm from each), humeral shaft, ribs at the
        // shoulder's height but 60 mm off the midline (inside the shoulder's 100 mm lateral edge), skull.
        #expect(SkeletalAtlas.joint(fraction: 0.5825, lateralMM: 80, heightMM: 1730, toleranceMM: 40) == nil)
        #expect(SkeletalAtlas.joint(fraction: 0.24, lateralMM: 190, heightMM: 1730, toleranceMM: 40) == nil)
        #expect(SkeletalAtlas.joint(fraction: 0.157, lateralMM: 60, heightMM: 1730, toleranceMM: 40) == nil)
        #expect(SkeletalAtlas.joint(fraction: 0.05, lateralMM: 50, heightMM: 1730, toleranceMM: 40) == nil)
        // Shoulder, elbow (arm's band), sacro-iliac joint, and the feet below the ankles.
        #expect(SkeletalAtlas.joint(fraction: 0.157, lateralMM: 170, heightMM: 1730, toleranceMM: 40)?.name == "shoulder")
        #expect(SkeletalAtlas.joint(fraction: 0.316, lateralMM: 200, heightMM: 1730, toleranceMM: 40)?.name == "elbow")
        #expect(SkeletalAtlas.joint(fraction: 0.423, lateralMM: 50, heightMM: 1730, toleranceMM: 40)?.name == "sacro-iliac joint")
        #expect(SkeletalAtlas.joint(fraction: 0.98, lateralMM: 100, heightMM: 1730, toleranceMM: 40)?.name == "foot")
        // Lateral distances scale with height: 60 mm on a 2249 mm (1.3 × 1730) patient is 46 mm scaled, inside the
        // knee band; 14 mm on a 1730 mm patient is under its 20 mm edge.
        #expect(SkeletalAtlas.joint(fraction: 0.694, lateralMM: 14, heightMM: 1730, toleranceMM: 40) == nil)
    }

    @Test("a mirrored pair of lesions on the femoral mid-shafts is two lesions; the symmetric knee pair stays physiology")
    func shaftPairIsTwoLesions() throws {
        // The analytic body spans rows 2–376 (374 px of 4.8 mm): the atlas knee (0.694) at row 2 + 0.694 × 374 = 261.6;
        // the shaft pair at row 222 is (261.6 − 222) × 4.8 = 190 mm above it and (222 − 178.2) × 4.8 = 210 mm below
        // the hip (0.471, row 178.2). Both pairs are alike by construction (same disc, same bone).
        let v = analyticWholeBody(lesion: false, kneeRow: 262, shaftPairRow: 222)
        var o = BoneScanAnalysis.Options(); o.symmetricJointToleranceMM = 40
        let r = try BoneScanAnalysis(options: o).analyze([v], minutesAfterInjection: 180)
        let shaft = r.lesions.filter { abs($0.row - 222) <= 2 }
        #expect(shaft.count == 2, "lesions \(r.lesions.map { ($0.column, $0.row) }) physiology \(r.physiology.map { ($0.kind, $0.column, $0.row) })")
        #expect(shaft.contains { abs($0.column - 52) <= 1.5 } && shaft.contains { abs($0.column - 76) <= 1.5 })
        #expect(!r.lesions.contains { abs($0.row - 262) <= 3 })
        let knees = r.physiology.filter { $0.kind == "symmetric joint uptake" && abs($0.row - 262) <= 2 }
        #expect(knees.count == 2 && knees.allSatisfy { $0.reason.contains("knee") })
        // Without the rule (the default) the shaft pair is called joint uptake too: no lesion at all.
        let before = try BoneScanAnalysis().analyze([v], minutesAfterInjection: 180)
        #expect(before.lesions.isEmpty, "\(before.lesions.map { ($0.column, $0.row) })")
        #expect(before.physiology.filter { $0.kind == "symmetric joint uptake" && abs($0.row - 222) <= 2 }.count == 2)
    }
}

/// A PET slice is not a gamma-camera image: the planar analyses refuse it by its Modality instead of reading its
/// Bq/mL values as counts (the GE Discovery 690 slice had been "analysed" as a bone scan with one focal finding).
struct NonNMInputTests {
    @Test("PET slices of two vendors are refused naming Modality (0008,0060)",
          arguments: ["pet_ge_discovery690_BQML_slice_openrem.dcm", "pet_siemens_vision600_BQML_AC_slice_openrem.dcm"])
    func petIsRefused(_ name: String) throws {
        let path = "../shared/corpus/vendor/" + name
        try #require(FileManager.default.fileExists(atPath: path))
        do {
            _ = try PlanarInputs.read(path: path)
            Issue.record("a PET slice was read as planar NM views")
        } catch {
            #expect(error.message.contains(path) && error.message.contains("(0008,0060)") && error.message.contains("PT"))
        }
    }
}
