import Foundation
import Imaging
import Simulation
import Testing
@testable import Analysis

/// The ICRP-110 skeletal atlas of the bone scan checked against the phantoms themselves (a second computation from
/// the label volumes with Simulation's phantom reader), the BSI definition, and the PCWG3 2+2 rule.
@Suite("Bone scan: ICRP-110 skeletal atlas, bone scan index, PCWG3")
struct BoneScanAtlasTests {
    static let folder = "../shared/phantoms/icrp110"

    /// Region masses, projected areas and the band of each region's centre, recomputed from the phantom labels.
    @Test("atlas masses, projected areas and region bands agree with the ICRP-110 phantoms", arguments: [ICRPPhantomKind.adultMale, .adultFemale])
    func atlasFromPhantom(kind: ICRPPhantomKind) throws {
        try #require(FileManager.default.fileExists(atPath: Self.folder + "/organs.tsv"))
        let p = try ICRPPhantom.load(kind, folder: Self.folder)
        let n = p.size, sp = p.spacingMM
        // Body extent (slices: k grows towards the head) and the spine's mean column (the midline).
        var kTop = 0, kBottom = n.z, spineCols = 0.0, spineN = 0.0
        let spineIDs: Set<Int> = [47, 48, 49, 50, 51, 52]
        for k in 0..<n.z { for j in 0..<n.y { for i in 0..<n.x {
            let l = Int(p.labels[i + n.x * (j + n.y * k)])
            if l != 0 { kTop = max(kTop, k); kBottom = min(kBottom, k) }
            if spineIDs.contains(l) { spineCols += Double(i); spineN += 1 }
        } } }
        let heightMM = Double(kTop - kBottom + 1) * sp.z, mid = spineCols / spineN
        let totalMass = SkeletalAtlas.labelIDs.values.reduce(0) { $0 + p.massGrams(ids: $1) }
        for region in SkeletalAtlas.regions {
            let ids = try #require(SkeletalAtlas.labelIDs[region.name])
            let mass = p.massGrams(ids: ids)
            let table = kind == .adultMale ? region.massMaleG : region.massFemaleG
            #expect(abs(mass - table) / table < 0.005, "\(region.name): \(mass) g from the phantom, \(table) g in the atlas")
            // Projected anterior area (slice × column pixels holding the region) ÷ height².
            var proj = 0
            var xs = 0.0, zs = 0.0, cnt = 0.0
            for k in 0..<n.z { for i in 0..<n.x {
                var hit = false
                for j in 0..<n.y where ids.contains(Int(p.labels[i + n.x * (j + n.y * k)])) {
                    hit = true
                    // Centre of the patient's left half of a paired region (one side), of the whole for midline ones.
                    if Double(i) >= mid - 1 || ["skull", "cervical spine", "thoracic spine", "lumbar spine", "sacrum", "sternum"].contains(region.name) {
                        xs += abs(Double(i) - mid); zs += Double(k); cnt += 1
                    }
                }
                if hit { proj += 1 }
            }}
            let area = Double(proj) * sp.x * sp.z / (heightMM * heightMM) * 1e4
            let tableArea = kind == .adultMale ? region.areaMale : region.areaFemale
            #expect(abs(area - tableArea) / tableArea < 0.01, "\(region.name): area \(area) from the phantom, \(tableArea) in the atlas")
            // The region's centre (one side) falls in its own band; the sternum projects onto the thoracic spine.
            let f = (Double(kTop) + 0.5 - zs / cnt) * sp.z / heightMM, d = xs / cnt * sp.x
            let found = SkeletalAtlas.region(fraction: f, lateralMM: d, heightMM: heightMM)
            #expect(found == (region.name == "sternum" ? "thoracic spine" : region.name), "\(region.name) centre f \(f), \(d) mm → \(found ?? "none")")
        }
        let fraction = try #require(SkeletalAtlas.massFraction("femora"))
        #expect(fraction > 0.13 && fraction < 0.16, "femora \(fraction) of \(totalMass) g")
    }

    /// BSI of one lesion of known area in a region: area ÷ the region's projected area × its mass fraction × 100,
    /// the fraction and area taken from the table as the definition; the lesion counts once although seen on both views.
    @Test("bone scan index: one lesion of known area, counted once on two views")
    func boneScanIndex() throws {
        let rows = 380, cols = 128
        func view(_ name: String, posterior: Bool) -> PlanarViewImage {
            var img = [Float](repeating: 0, count: rows * cols)
            for r in 2...376 { for c in 40...88 { img[r * cols + c] = 100 } }
            return PlanarViewImage(name: name, rows: rows, columns: cols, pixelSpacing: [4.8, 4.8], counts: img,
                                   rowDirection: Vector3(posterior ? -1 : 1, 0, 0), columnDirection: Vector3(0, 0, -1))
        }
        let views = [view("anterior", posterior: false), view("posterior", posterior: true)]
        let a = BoneScanAnalysis()
        let geometry = views.map { BodyGeometry($0, smoothingSigma: 1) }
        let h = geometry[0].heightMM
        var l = BoneScanAnalysis.Lesion(view: "anterior", column: 54, row: 250, counts: 1, uptakeRatio: 2, areaCM2: 6)
        l.region = "femora"
        var m = l
        m.view = "posterior"; m.column = Double(cols - 1) - 54
        let expected = 600 / ((SkeletalAtlas.regions[11].areaMale + SkeletalAtlas.regions[11].areaFemale) / 2 * 1e-4 * h * h)
            * ((1572.8 / 10302.9 + 974.8 / 7109.4) / 2) * 100
        let bsi = a.boneScanIndex([l, m], views: views, geometry: geometry)
        #expect(abs(bsi - expected) / expected < 0.002, "BSI \(bsi) %, expected \(expected) %")
        #expect(a.boneScanIndex([], views: views, geometry: geometry) == 0)
    }

    @Test("PCWG3 2+2: two new lesions need two more on the confirmatory scan")
    func pcwg3() {
        #expect(BoneScanAnalysis.pcwg3(newAtFollowUp: 1, newAtConfirmation: nil).status == "no progression")
        #expect(BoneScanAnalysis.pcwg3(newAtFollowUp: 2, newAtConfirmation: nil).status == "progression pending confirmation")
        #expect(BoneScanAnalysis.pcwg3(newAtFollowUp: 3, newAtConfirmation: 2).status == "progression")
        #expect(BoneScanAnalysis.pcwg3(newAtFollowUp: 2, newAtConfirmation: 1).status == "not confirmed")
    }
}
