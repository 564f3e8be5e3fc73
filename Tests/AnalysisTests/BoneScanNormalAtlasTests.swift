import Foundation
import Testing
@testable import Analysis
import Imaging

/// A small labelled phantom in the ICRP-110 layout (`labels[x + nx·(y + ny·z)]`, x to the patient's left, y to the
/// back, z from the feet up; 4 mm voxels): a body of soft tissue (ID 5, 1.0 g/cm³), a spine (ID 49, thoracic
/// spine, 1.5 g/cm³) on the midline and two femora (ID 30, 1.5 g/cm³) at the same height on both sides.
private func barsPhantom() -> (labels: [UInt8], size: (x: Int, y: Int, z: Int), density: [Double]) {
    let nx = 40, ny = 30, nz = 120
    var labels = [UInt8](repeating: 0, count: nx * ny * nz)
    for z in 0..<nz { for y in 2..<28 { for x in 8..<32 { labels[x + nx * (y + ny * z)] = 5 } } }
    for z in 60..<110 { for y in 18..<22 { for x in 19..<21 { labels[x + nx * (y + ny * z)] = 49 } } }
    for z in 10..<55 { for y in 12..<16 { for x in [12, 13, 26, 27] { labels[x + nx * (y + ny * z)] = 30 } } }
    var density = [Double](repeating: 0, count: 256)
    density[5] = 1.0; density[49] = 1.5; density[30] = 1.5
    return (labels, (nx, ny, nz), density)
}

@Suite("Bone scan: normal-bone atlas fitted to the patient (ICRP-110 projection)")
struct BoneScanNormalAtlasTests {
    @Test("the projection is the attenuation-weighted path length (geometric series, anterior and posterior)")
    func projection() throws {
        // One column of voxels: soft tissue y = 0…15, bone (thoracic spine) y = 4…7; 2 mm voxels, 2 mm atlas pixels.
        let nx = 3, ny = 16, nz = 4
        var labels = [UInt8](repeating: 5, count: nx * ny * nz)
        for z in 0..<nz { for y in 4..<8 { labels[1 + nx * (y + ny * z)] = 49 } }
        var density = [Double](repeating: 0, count: 256)
        density[5] = 1.0; density[49] = 1.5
        let a = NormalBoneAtlas.project(sex: "M", labels: labels, size: (nx, ny, nz), spacingMM: (2, 2, 2), density: density, pixelMM: 2)
        let mu = NormalBoneAtlas.attenuationPerDensity
        let dy = 2.0, muS = mu * 1.0 * dy, muB = mu * 1.5 * dy
        // Σ over the 4 bone voxels of dy·exp(−(soft above + bone above + half a voxel)): a geometric series,
        // dy·e^(−n·μs)·e^(−μb/2)·(1 − qᵐ)/(1 − q), q = e^(−μb).
        func series(softAbove n: Double) -> Double { dy * exp(-n * muS) * exp(-muB / 2) * (1 - exp(-4 * muB)) / (1 - exp(-muB)) }
        let k = try #require(a.components.firstIndex(of: "thoracic spine"))
        #expect(a.columns == 3 && a.rows == 4)
        let i = 1 * a.columns + 1
        #expect(abs(Double(a.anterior[k][i]) - series(softAbove: 4)) < 1e-4 * series(softAbove: 4), "\(a.anterior[k][i])")
        #expect(abs(Double(a.posterior[k][i]) - series(softAbove: 8)) < 1e-4 * series(softAbove: 8), "\(a.posterior[k][i])")
        // Soft tissue beside the bone (column 0): 16 voxels, Σ dy·e^(−(j + ½)μs).
        let s = try #require(a.components.firstIndex(of: "soft tissue"))
        let soft = (0..<16).reduce(0.0) { $0 + dy * exp(-(Double($1) + 0.5) * muS) }
        #expect(abs(Double(a.anterior[s][1 * a.columns]) - soft) < 1e-4 * soft)
        #expect(a.anterior[k][1 * a.columns] == 0)
    }

    @Test("with the atlas fitted to a patient of other gains, a femoral lesion at the height of the normal femur is found, the other femur is not a lesion")
    func mirroredFemurLesion() throws {
        let p = barsPhantom()
        let atlas = NormalBoneAtlas.project(sex: "M", labels: p.labels, size: p.size, spacingMM: (4, 4, 4), density: p.density, pixelMM: 4)
        // The patient: the same anatomy on a 4.8 mm grid, girth × 1, bone concentration: spine 40, femora 30, soft 2
        // (per mm of attenuated path); noise-free; built from the phantom's own projection, blurred as the analysis.
        let cols = 64, rows = 120
        let view = { (name: String, x: Double) in
            PlanarViewImage(name: name, rows: rows, columns: cols, pixelSpacing: [4.8, 4.8], counts: [Float](repeating: 0, count: rows * cols),
                            origin: Vector3(-150, 0, 600), rowDirection: Vector3(x, 0, 0), columnDirection: Vector3(0, 0, -1))
        }
        var ant = view("Anterior projection", 1), post = view("Posterior projection", -1)
        let a = BoneScanAnalysis()
        let gains: [String: Float] = ["thoracic spine": 40, "femora": 30, "soft tissue": 2]
        let ext = atlas.bodyExtent
        let sigma = a.options.atlasBlurMM / atlas.pixelMM
        // Σ gain × the blurred component maps, placed as the analysis places the atlas on a view's geometry.
        func render(_ v: PlanarViewImage, _ g: BodyGeometry) -> [Float] {
            var img = [Float](repeating: 0, count: rows * cols)
            let sz = g.heightPixels * 4.8 / (Double(ext.bottom - ext.top) * atlas.pixelMM)
            for (j, name) in atlas.components.enumerated() {
                guard let gain = gains[name] else { continue }
                let m = RegionTools.gaussian(g.posterior ? atlas.posterior[j] : atlas.anterior[j], rows: atlas.rows, columns: atlas.columns, sigma: sigma)
                let s = BoneScanAnalysis.sampleAtlas(m, atlas: atlas, extent: ext, view: v, geometry: g, columnScale: 1, heightScale: sz)
                for i in img.indices { img[i] += gain * s[i] }
            }
            return img
        }
        for k in 0..<2 {
            let v = k == 0 ? ant : post
            var g = BodyGeometry(v, smoothingSigma: 1)
            g.topRow = 5; g.bottomRow = 5 + Int((Double(ext.bottom - ext.top) * 4 / 4.8).rounded()); g.midlineColumn = 31.5
            var w = v
            w.counts = render(v, g)
            // The geometry the analysis will read from the image itself (one more round: a fixed point).
            for _ in 0..<2 { w.counts = render(w, BodyGeometry(w, smoothingSigma: 1)) }
            if k == 0 { ant = w } else { post = w }
        }
        let normalAnt = ant.counts
        // A lesion on the right femur (anterior image left, column 23 ≈ the femur at 13.5 voxels × 4 mm from the
        // phantom's left edge): +1.0 × the femur's counts over a disc of radius 2 px on both views (posterior mirrored).
        let femurRow = 5 + Int((Double(120 - 33) * 4 / 4.8).rounded())
        var lesionColumn = 0
        var best: Float = 0
        for c in 0..<cols / 2 where normalAnt[femurRow * cols + c] > best { best = normalAnt[femurRow * cols + c]; lesionColumn = c }
        for r in 0..<rows { for c in 0..<cols where hypot(Double(c - lesionColumn), Double(r - femurRow)) <= 2 {
            ant.counts[r * cols + c] *= 1.6
            post.counts[r * cols + (cols - 1 - c)] *= 1.6
        } }
        var withAtlas = BoneScanAnalysis()
        withAtlas.options.atlasPass = true
        withAtlas.atlases = [atlas]
        let r = try withAtlas.analyze([ant, post], minutesAfterInjection: 180)
        let summary = r.lesions.map { ($0.view, $0.column, $0.row) }
        #expect(r.notes.contains { $0.contains("normal-bone atlas") }, "\(r.notes)")
        let found = r.lesions.contains { l in
            let c = l.view.hasPrefix("Anterior") ? l.column : Double(cols - 1) - l.column
            return hypot(c - Double(lesionColumn), l.row - Double(femurRow)) <= 2
        }
        #expect(found, "lesion at (\(lesionColumn), \(femurRow)); found \(summary)")
        // The other femur at the same height is normal bone: never a lesion.
        let mirror = Double(cols - 1 - lesionColumn)
        #expect(!r.lesions.contains { l in
            let c = l.view.hasPrefix("Anterior") ? l.column : Double(cols - 1) - l.column
            return hypot(c - mirror, l.row - Double(femurRow)) <= 3
        }, "\(summary)")
    }
}
