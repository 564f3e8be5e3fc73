import Foundation
import Imaging

/// The normal skeleton of an ICRP-110 adult reference phantom as a whole-body camera sees it: for each skeletal
/// region of ``SkeletalAtlas`` (and the kidneys, the urinary bladder and the other soft tissue), the path length through it along the anterior–posterior axis,
/// weighted by the attenuation between each voxel and the detector (anterior view: towards the front; posterior view:
/// towards the back). With a uniform concentration per region, the expected normal image of a view is Σ gᵣ × mapᵣ.
///
/// Orientation: row 0 at the top of the head, rows towards the feet; columns towards the patient's left (the anterior
/// view's columns). The posterior maps are stored in the same orientation (mirrored from how the posterior camera
/// sees them). Values: attenuation-weighted path length (mm); only ratios between pixels and components matter.
/// Built from the phantom files by `Workflows` (``Workflows/NormalBoneAtlasLibrary``); the analysis only reads it.
public struct NormalBoneAtlas: Sendable, Equatable {
    /// `M` (adult male phantom) or `F` (adult female phantom).
    public var sex: String
    /// Grid size.
    public var columns: Int, rows: Int
    /// Pixel size (mm, square).
    public var pixelMM: Double
    /// Component names: the regions of ``SkeletalAtlas/regions`` in order, then ``organNames``, then `soft tissue`.
    public var components: [String]
    /// Per component, row-major rows × columns, anterior view.
    public var anterior: [[Float]]
    /// Per component, row-major rows × columns, posterior view (anterior orientation).
    public var posterior: [[Float]]

    /// Creates an atlas; every map must hold rows × columns values and there must be one per component.
    public init(sex: String, columns: Int, rows: Int, pixelMM: Double, components: [String], anterior: [[Float]], posterior: [[Float]]) {
        self.sex = sex; self.columns = columns; self.rows = rows; self.pixelMM = pixelMM
        self.components = components; self.anterior = anterior; self.posterior = posterior
    }

    /// Head-to-foot extent (first and last rows whose total exceeds 2 % of the largest total) and the
    /// total-weighted midline column of the anterior view.
    var bodyExtent: (top: Int, bottom: Int, midline: Double) {
        var total = [Float](repeating: 0, count: rows * columns)
        for m in anterior { for i in total.indices { total[i] += m[i] } }
        let level = 0.02 * (total.max() ?? 0)
        var top = rows, bottom = -1, sw = 0.0, sc = 0.0
        for r in 0..<rows {
            for c in 0..<columns where total[r * columns + c] > level {
                top = min(top, r); bottom = max(bottom, r)
                sw += Double(total[r * columns + c]); sc += Double(total[r * columns + c]) * Double(c)
            }
        }
        return (top <= bottom ? top : 0, top <= bottom ? bottom : rows - 1, sw > 0 ? sc / sw : Double(columns - 1) / 2)
    }
}

extension BoneScanAnalysis {
    /// The atlas fitted to one patient: the expected normal image of every view (its own grid and orientation).
    struct AtlasFit {
        /// Which phantom fitted best (`M`, `F`).
        var sex: String
        /// Lateral scale (patient ÷ phantom, the girth) and height scale.
        var columnScale: Double, heightScale: Double
        /// Correlation of the fitted skeleton with the anterior view over the body.
        var correlation: Double
        /// Expected normal counts per view.
        var expected: [[Float]]
    }

    /// Samples one atlas map onto a view's grid: the atlas' body top and midline on the view's (``BodyGeometry``),
    /// heights scaled by `heightScale`, lateral distances by `columnScale`; bilinear; posterior views mirrored.
    static func sampleAtlas(_ map: [Float], atlas a: NormalBoneAtlas, extent: (top: Int, bottom: Int, midline: Double),
                            view v: PlanarViewImage, geometry g: BodyGeometry, columnScale sx: Double, heightScale sz: Double) -> [Float] {
        let px = g.pixelMM
        var out = [Float](repeating: 0, count: v.rows * v.columns)
        let mid = g.posterior ? Double(v.columns - 1) - g.midlineColumn : g.midlineColumn
        for r in 0..<v.rows {
            let y = Double(extent.top) + (Double(r) - Double(g.topRow)) * px / (sz * a.pixelMM)
            let y0 = Int(y.rounded(.down)), fy = Float(y - Double(y0))
            guard y0 >= 0, y0 + 1 < a.rows else { continue }
            for c in 0..<v.columns {
                let ca = g.posterior ? Double(v.columns - 1 - c) : Double(c)
                let x = extent.midline + (ca - mid) * px / (sx * a.pixelMM)
                let x0 = Int(x.rounded(.down)), fx = Float(x - Double(x0))
                guard x0 >= 0, x0 + 1 < a.columns else { continue }
                let i = y0 * a.columns + x0
                out[r * v.columns + c] = (1 - fy) * ((1 - fx) * map[i] + fx * map[i + 1]) + fy * ((1 - fx) * map[i + a.columns] + fx * map[i + a.columns + 1])
            }
        }
        return out
    }

    /// Fits the atlases to a patient with an anterior and a posterior view: height scale from the body's head-to-foot
    /// extent, lateral scale (girth) by the best correlation of the atlas skeleton with the anterior view (0.84–1.16,
    /// then ±0.015), the phantom (male or female) that correlates best; then per view the component gains by
    /// Poisson-weighted least squares over the body, three rounds, pixels more than 3 σ off the fit left out
    /// (lesions, joints, kidneys, bladder, the injection site). Nil without two opposite views or an atlas.
    func fitAtlas(_ atlases: [NormalBoneAtlas], views: [PlanarViewImage], geometry: [BodyGeometry], body: [[Bool]]) -> AtlasFit? {
        guard views.count == 2, geometry[0].posterior != geometry[1].posterior, !atlases.isEmpty else { return nil }
        let ka = geometry[0].posterior ? 1 : 0
        let va = views[ka], ga = geometry[ka]
        var best: (a: Int, sx: Double, corr: Double)? = nil
        var prepared: [(blurA: [[Float]], blurP: [[Float]], extent: (top: Int, bottom: Int, midline: Double), bone: [Float])] = []
        for a in atlases {
            let sigma = options.atlasBlurMM / a.pixelMM
            let bA = a.anterior.map { RegionTools.gaussian($0, rows: a.rows, columns: a.columns, sigma: sigma) }
            let bP = a.posterior.map { RegionTools.gaussian($0, rows: a.rows, columns: a.columns, sigma: sigma) }
            var bone = [Float](repeating: 0, count: a.rows * a.columns)
            for m in bA.prefix(SkeletalAtlas.regions.count) { for i in bone.indices { bone[i] += m[i] } }
            prepared.append((bA, bP, a.bodyExtent, bone))
        }
        for (k, a) in atlases.enumerated() {
            let ext = prepared[k].extent
            let sz = ga.heightPixels * ga.pixelMM / (Double(max(1, ext.bottom - ext.top)) * a.pixelMM)
            var local: (sx: Double, corr: Double) = (1, -2)
            func tryScale(_ sx: Double) {
                let m = Self.sampleAtlas(prepared[k].bone, atlas: a, extent: ext, view: va, geometry: ga, columnScale: sx, heightScale: sz)
                let c = Self.correlation(m, va.counts, mask: body[ka])
                if c > local.corr { local = (sx, c) }
            }
            for sx in stride(from: 0.84, through: 1.1601, by: 0.03) { tryScale(sx) }
            let coarse = local.sx
            tryScale(coarse - 0.015); tryScale(coarse + 0.015)
            if best == nil || local.corr > best!.corr { best = (k, local.sx, local.corr) }
        }
        guard let b = best else { return nil }
        let a = atlases[b.a], p = prepared[b.a]
        let sz = ga.heightPixels * ga.pixelMM / (Double(max(1, p.extent.bottom - p.extent.top)) * a.pixelMM)
        var expected: [[Float]] = []
        for (k, v) in views.enumerated() {
            let maps = (geometry[k].posterior ? p.blurP : p.blurA).map {
                Self.sampleAtlas($0, atlas: a, extent: p.extent, view: v, geometry: geometry[k], columnScale: b.sx, heightScale: sz)
            }
            expected.append(Self.fitGains(maps, counts: v.counts, mask: body[k]))
        }
        return AtlasFit(sex: a.sex, columnScale: b.sx, heightScale: sz, correlation: b.corr, expected: expected)
    }

    /// Pearson correlation of two images over a mask.
    static func correlation(_ x: [Float], _ y: [Float], mask: [Bool]) -> Double {
        var sx = 0.0, sy = 0.0, sxx = 0.0, syy = 0.0, sxy = 0.0, n = 0.0
        for i in x.indices where mask[i] {
            let a = Double(x[i]), b = Double(y[i])
            sx += a; sy += b; sxx += a * a; syy += b * b; sxy += a * b; n += 1
        }
        guard n > 2 else { return -1 }
        let cov = sxy - sx * sy / n, vx = sxx - sx * sx / n, vy = syy - sy * sy / n
        return cov / max((vx * vy).squareRoot(), 1e-12)
    }

    /// Σ gₖ mapₖ fitted to the counts over the mask: weights 1 ÷ max(counts, 1) (Poisson), gains ≥ 0; three rounds,
    /// each leaving out the pixels more than 3 σ from the previous fit.
    static func fitGains(_ maps: [[Float]], counts: [Float], mask: [Bool]) -> [Float] {
        let k = maps.count
        var use = mask
        var gains = [Double](repeating: 0, count: k)
        for _ in 0..<3 {
            var a = [Double](repeating: 0, count: k * k), b = [Double](repeating: 0, count: k)
            var x = [Double](repeating: 0, count: k)
            for i in counts.indices where use[i] {
                let y = Double(counts[i]), w = 1 / max(y, 1)
                for j in 0..<k { x[j] = Double(maps[j][i]) }
                for j in 0..<k where x[j] != 0 {
                    b[j] += w * x[j] * y
                    for l in j..<k where x[l] != 0 { a[j * k + l] += w * x[j] * x[l] }
                }
            }
            for j in 0..<k { for l in 0..<j { a[j * k + l] = a[l * k + j] } }
            gains = solveNonNegative(a, b, k)
            for i in counts.indices where mask[i] {
                var e = 0.0
                for j in 0..<k { e += gains[j] * Double(maps[j][i]) }
                use[i] = abs(Double(counts[i]) - e) <= 3 * max(e, 1).squareRoot()
            }
        }
        var out = [Float](repeating: 0, count: counts.count)
        for i in out.indices { var e = 0.0; for j in 0..<k { e += gains[j] * Double(maps[j][i]) }; out[i] = Float(e) }
        return out
    }

    /// Solves the normal equations A g = b (k × k, symmetric) with components whose diagonal is empty dropped and
    /// negative gains removed one at a time (set to 0, solved again): non-negative least squares for a few components.
    static func solveNonNegative(_ a: [Double], _ b: [Double], _ k: Int) -> [Double] {
        var active = (0..<k).filter { a[$0 * k + $0] > 0 }
        while !active.isEmpty {
            let n = active.count
            var m = [Double](repeating: 0, count: n * (n + 1))
            for (r, i) in active.enumerated() {
                for (c, j) in active.enumerated() { m[r * (n + 1) + c] = a[i * k + j] }
                m[r * (n + 1) + n] = b[i]
                m[r * (n + 1) + r] *= 1 + 1e-9
            }
            // Gaussian elimination with partial pivoting.
            var ok = true
            for col in 0..<n {
                var piv = col
                for r in col..<n where abs(m[r * (n + 1) + col]) > abs(m[piv * (n + 1) + col]) { piv = r }
                guard abs(m[piv * (n + 1) + col]) > 1e-300 else { ok = false; break }
                if piv != col { for c in 0...n { m.swapAt(col * (n + 1) + c, piv * (n + 1) + c) } }
                for r in 0..<n where r != col {
                    let f = m[r * (n + 1) + col] / m[col * (n + 1) + col]
                    if f != 0 { for c in col...n { m[r * (n + 1) + c] -= f * m[col * (n + 1) + c] } }
                }
            }
            var g = [Double](repeating: 0, count: k)
            if ok { for (r, i) in active.enumerated() { g[i] = m[r * (n + 1) + n] / m[r * (n + 1) + r] } }
            guard ok, let worst = active.min(by: { g[$0] < g[$1] }), g[worst] < 0 else { return ok ? g : [Double](repeating: 0, count: k) }
            active.removeAll { $0 == worst }
        }
        return [Double](repeating: 0, count: k)
    }
}

extension NormalBoneAtlas {
    /// Effective linear attenuation of Tc-99m photons per unit density (mm⁻¹ per g/cm³): 0.0125, the broad-beam
    /// value of water at 140 keV (narrow-beam μ/ρ 0.154 cm²/g, NIST XCOM, lowered for the scatter that the photopeak
    /// window accepts: a modelling choice).
    public static let attenuationPerDensity = 0.0125
    /// Organs of normal (non-skeletal) uptake with their own component, ICRP-110 IDs: kidneys (cortex, medulla,
    /// pelvis of both) and the urinary bladder (wall and contents). Their gains absorb renal and urinary activity.
    public static let organNames = ["kidneys", "urinary bladder"]
    static let organIDs: [[Int]] = [[89, 90, 91, 92, 93, 94], [137, 138]]
    /// Pixel size of the built atlases (mm).
    public static let defaultPixelMM = 4.0

    /// Projects a labelled voxel phantom: `labels[x + nx·(y + ny·z)]` with x towards the patient's left, y towards the
    /// back, z from the feet to the head (the ICRP-110 layout), voxel size `spacingMM` (x, y, z), `density[id]`
    /// (g/cm³; 0 or absent: no tissue). Each ID of ``SkeletalAtlas/labelIDs`` goes to its region, every other ID with a
    /// density (except 0, the air around the body) to `soft tissue`. Per (x, z) column of voxels the anterior map sums
    /// the path length × exp(−μ·depth to the front), the posterior map the same towards the back
    /// (μ = ``attenuationPerDensity`` × density, depth to the voxel's centre); then both are resampled (linear) onto
    /// a square grid of `pixelMM`, row 0 at the top of the phantom.
    public static func project(sex: String, labels: [UInt8], size: (x: Int, y: Int, z: Int), spacingMM: (x: Double, y: Double, z: Double),
                               density: [Double], pixelMM: Double = defaultPixelMM) -> NormalBoneAtlas {
        let names = SkeletalAtlas.regions.map(\.name)
        var comp = [Int](repeating: -1, count: 256)
        for (k, n) in names.enumerated() { for id in SkeletalAtlas.labelIDs[n] ?? [] where id < 256 { comp[id] = k } }
        for (k, ids) in organIDs.enumerated() { for id in ids { comp[id] = names.count + k } }
        for id in 1..<max(1, min(256, density.count)) where comp[id] < 0 && density[id] > 0 { comp[id] = names.count + organIDs.count }
        let nc = names.count + organIDs.count + 1, nx = size.x, ny = size.y, nz = size.z
        var mu = [Double](repeating: 0, count: 256)
        for id in 1..<max(1, min(256, density.count)) { mu[id] = attenuationPerDensity * density[id] * spacingMM.y }
        // Native projections, [component][z * nx + x].
        var natA = [[Double]](repeating: [Double](repeating: 0, count: nx * nz), count: nc)
        var natP = natA
        labels.withUnsafeBufferPointer { lab in
            var column = [Int](repeating: 0, count: ny)
            for z in 0..<nz {
                for x in 0..<nx {
                    for y in 0..<ny { column[y] = Int(lab[x + nx * (y + ny * z)]) }
                    var cum = 0.0
                    for y in 0..<ny {
                        let id = column[y], m = mu[id]
                        if comp[id] >= 0 { natA[comp[id]][z * nx + x] += spacingMM.y * exp(-(cum + m / 2)) }
                        cum += m
                    }
                    cum = 0
                    for y in stride(from: ny - 1, through: 0, by: -1) {
                        let id = column[y], m = mu[id]
                        if comp[id] >= 0 { natP[comp[id]][z * nx + x] += spacingMM.y * exp(-(cum + m / 2)) }
                        cum += m
                    }
                }
            }
        }
        let columns = max(2, Int((Double(nx) * spacingMM.x / pixelMM).rounded(.up)))
        let rows = max(2, Int((Double(nz) * spacingMM.z / pixelMM).rounded(.up)))
        func resample(_ m: [Double]) -> [Float] {
            var out = [Float](repeating: 0, count: rows * columns)
            for r in 0..<rows {
                // Distance from the top of the phantom → slice index from the head.
                let u = (Double(r) + 0.5) * pixelMM / spacingMM.z - 0.5
                let s0 = Int(u.rounded(.down)), fs = u - Double(s0)
                for c in 0..<columns {
                    let t = (Double(c) + 0.5) * pixelMM / spacingMM.x - 0.5
                    let x0 = Int(t.rounded(.down)), fx = t - Double(x0)
                    func at(_ s: Int, _ x: Int) -> Double {
                        guard s >= 0, s < nz, x >= 0, x < nx else { return 0 }
                        return m[(nz - 1 - s) * nx + x]
                    }
                    let v = (1 - fs) * ((1 - fx) * at(s0, x0) + fx * at(s0, x0 + 1)) + fs * ((1 - fx) * at(s0 + 1, x0) + fx * at(s0 + 1, x0 + 1))
                    out[r * columns + c] = Float(v)
                }
            }
            return out
        }
        return NormalBoneAtlas(sex: sex, columns: columns, rows: rows, pixelMM: pixelMM, components: names + organNames + ["soft tissue"],
                               anterior: natA.map(resample), posterior: natP.map(resample))
    }
}
