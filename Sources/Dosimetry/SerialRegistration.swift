import Foundation
import Imaging

/// How good a CT-to-CT registration is, measured after it (not by the optimiser's own cost alone).
public struct RegistrationQuality: Sendable, Equatable, Codable {
    /// Normalised mutual information (Studholme: (H(F) + H(M)) / H(F, M); 1 = independent images, 2 = identical),
    /// 32 bins over −1000…1500 HU, on the finest level, over the fixed voxels that fall inside the moving field.
    public var normalizedMI: Double
    /// Dice overlap of the body outlines (HU > −500) in the shared field: 2|F ∩ M| / (|F| + |M|).
    public var outlineDice: Double
    /// Share of the smaller body (in voxels of the finest level) that lies in the field both CTs cover.
    public var overlapFraction: Double
    /// Whether every measure passed its threshold (``RegistrationGate``).
    public var passed: Bool
    /// One sentence: the measures against their thresholds.
    public var statement: String
}

/// Thresholds below which a registration is not used (the dose job stops and asks for review).
///
/// Set on the ICRP-110 adult male CT moved by rigid motions up to 3° / 15 mm, axial fields 150–400 mm, slices
/// 2.5–5 mm, table offsets up to 40 mm (`RobustRegistrationTests`, `scripts/dosimetry-validation.sh`): correct
/// registrations gave NMI ≈ 1.48 and outline Dice ≈ 0.99; a CT rotated 30° (beyond the 15° search) gave NMI 1.14 and
/// Dice 0.82, an abdomen against a head or the legs no overlap at all. Real CT pairs (breathing, arms, table) give
/// lower NMI than these synthetic pairs: the thresholds are options, and a failed gate asks for review, it never
/// changes a number.
public struct RegistrationGate: Sendable, Equatable, Codable {
    /// Minimum normalised mutual information.
    public var minimumNormalizedMI: Double
    /// Minimum Dice overlap of the body outlines.
    public var minimumOutlineDice: Double
    /// Minimum share of the smaller body in the common field.
    public var minimumOverlap: Double
    /// Creates a gate (defaults: NMI 1.2, Dice 0.93, overlap 0.5).
    public init(minimumNormalizedMI: Double = 1.2, minimumOutlineDice: Double = 0.93, minimumOverlap: Double = 0.5) {
        self.minimumNormalizedMI = minimumNormalizedMI; self.minimumOutlineDice = minimumOutlineDice; self.minimumOverlap = minimumOverlap
    }
}

/// Serial CT-to-CT rigid registration that does not fail silently: robust to small axial fields, different
/// slice thicknesses and z offsets between visits, and measured after the fact.
///
/// 1. **Initialisation** from the body outline (HU > −500) and the table position: z candidates are the table
///    position itself (no shift: both CTs in scanner coordinates) and the best shifts of the body's
///    cross-section-area profile along z (normalised cross-correlation over ≥ half the shorter field);
///    x and y from the body centroids of the overlapping slabs.
/// 2. **Several starts** (each z candidate, ±10 mm), **multi-resolution** (isotropic working grids of 12, 6 and
///    3 mm, Gaussian pre-smoothed to the grid), pattern search on 6 parameters (rotation about the fixed CT's
///    centre, ° and mm: steps 8 → 2, 2 → 1, 1 → 0.5, then 0.5 → 0.125 with 60 000 samples), the two best starts
///    carried to the middle level and the best to the finest.
/// 3. **Cost**: normalised mutual information over the fixed voxels that land inside the moving field, with a
///    penalty when less than half the starting overlap is left (so the search cannot escape to a small overlap).
/// 4. **Quality** (``RegistrationQuality``) against a ``RegistrationGate``: NMI, outline Dice, overlap.
///    Rotations beyond 15° or translations beyond 150 mm fail the gate as well.
public enum SerialRegistration {
    /// HU above which a voxel is body (not air).
    public static let bodyThresholdHU: Float = -500
    static let lowHU: Float = -1000, highHU: Float = 1500, bins = 32

    /// Registers `moving` to `fixed` (CTs in HU, patient coordinates of each scanner) and measures the result.
    public static func register(fixed: Volume, moving: Volume, gate: RegistrationGate = RegistrationGate()) throws(DosimetryError) -> RegistrationResult {
        guard fixed.size.count >= 8, moving.size.count >= 8 else { throw .invalidArgument("registration needs non-empty CT volumes") }
        let levels: [Double] = [12, 6, 3]
        var pyramid: [(fixed: Volume, moving: Volume)] = []
        for s in levels { pyramid.append((try regrid(fixed, spacingMM: s), try regrid(moving, spacingMM: s))) }
        let f0 = fixed.size
        let centre = fixed.geometry.patientPosition(i: Double(f0.x - 1) / 2, j: Double(f0.y - 1) / 2, k: Double(f0.z - 1) / 2)
        func transform(_ q: [Double]) -> RigidTransform {
            RigidTransform(rotationDeg: Vector3(q[0], q[1], q[2]), translationMM: Vector3(q[3], q[4], q[5]), centerMM: centre)
        }
        var evaluations = 0
        // Initialisation on the middle level (6 mm).
        let starts = try initialTranslations(fixed: pyramid[1].fixed, moving: pyramid[1].moving)
        var candidates: [[Double]] = []
        for t in starts {
            for dz in [0.0, -10, 10] { candidates.append([0, 0, 0, t.x, t.y, t.z + dz]) }
        }
        var ranked: [(cost: Double, params: [Double])] = []
        let coarse = try CostField(fixed: pyramid[0].fixed, moving: pyramid[0].moving, maxSamples: 8_000)
        for c in candidates {
            let n0 = coarse.overlapCount(transform(c))
            var p = c
            let v = search(&p, steps: [8, 4, 2], evaluations: &evaluations) { coarse.cost(transform($0), reference: n0) }
            ranked.append((v, p))
        }
        ranked.sort { $0.cost > $1.cost }
        let middle = try CostField(fixed: pyramid[1].fixed, moving: pyramid[1].moving, maxSamples: 15_000)
        var refined: [(cost: Double, params: [Double])] = []
        for r in ranked.prefix(2) {
            var p = r.params
            let n0 = middle.overlapCount(transform(p))
            let v = search(&p, steps: [2, 1], evaluations: &evaluations) { middle.cost(transform($0), reference: n0) }
            refined.append((v, p))
        }
        refined.sort { $0.cost > $1.cost }
        var params = refined[0].params
        let fine = try CostField(fixed: pyramid[2].fixed, moving: pyramid[2].moving, maxSamples: 25_000)
        let initialNMI = fine.normalizedMI(transform([0, 0, 0, starts[0].x, starts[0].y, starts[0].z])) ?? 1
        let n0 = fine.overlapCount(transform(params))
        _ = search(&params, steps: [1, 0.5], evaluations: &evaluations) { fine.cost(transform($0), reference: n0) }
        // Polish on the same level with more samples and finer steps (a different random sample set).
        let polish = try CostField(fixed: pyramid[2].fixed, moving: pyramid[2].moving, maxSamples: 60_000, seed: 0xB0DE)
        let n1 = polish.overlapCount(transform(params))
        _ = search(&params, steps: [0.5, 0.25, 0.125], evaluations: &evaluations) { polish.cost(transform($0), reference: n1) }
        let t = transform(params)
        let quality = polish.quality(t, gate: gate, params: params)
        return RegistrationResult(transform: t, initialMI: initialNMI, finalMI: quality.normalizedMI, evaluations: evaluations,
                                  method: "rigid 6-DOF CT-to-CT, normalised mutual information (32 bins, −1000…1500 HU); initialised from the body outline and the table position, \(candidates.count) starts, 12/6/3 mm levels, pattern search 8→0.125 mm/°; quality gate NMI ≥ \(gate.minimumNormalizedMI), outline Dice ≥ \(gate.minimumOutlineDice), overlap ≥ \(gate.minimumOverlap)",
                                  quality: quality)
    }

    /// Coordinate pattern search (maximises `f`), returns the best value.
    static func search(_ p: inout [Double], steps: [Double], evaluations: inout Int, _ f: ([Double]) -> Double) -> Double {
        var best = f(p); evaluations += 1
        for step in steps {
            var improved = true, rounds = 0
            while improved && rounds < 30 {
                improved = false; rounds += 1
                for d in 0..<6 {
                    for sign in [1.0, -1.0] {
                        var trial = p
                        trial[d] += sign * step
                        if d < 3 && abs(trial[d]) > 15 { continue }
                        let v = f(trial); evaluations += 1
                        if v > best + 1e-7 { best = v; p = trial; improved = true; break }
                    }
                }
            }
        }
        return best
    }

    /// Smooths `v` to the resolution of `spacingMM` (Gaussian, FWHM = the grid spacing, less the native blur) and
    /// resamples it onto an axis-aligned isotropic grid covering the same extent (outside: air).
    static func regrid(_ v: Volume, spacingMM s: Double) throws(DosimetryError) -> Volume {
        let sp = v.geometry.spacing
        func sigma(_ native: Double) -> Double {
            let want = s / 2.355, have = native / 2.355
            return want > have ? (want * want - have * have).squareRoot() / native : 0
        }
        var sm = v
        sm.voxels = GaussianFilter.smooth(v.voxels, size: v.size, sigmaVoxels: (sigma(sp.x), sigma(sp.y), sigma(sp.z)), edges: .clamp, minimumSigma: 0.2)
        let n = v.size, g = v.geometry
        var lo = Vector3(.infinity, .infinity, .infinity), hi = -lo
        for c in [(0, 0, 0), (1, 0, 0), (0, 1, 0), (0, 0, 1), (1, 1, 0), (1, 0, 1), (0, 1, 1), (1, 1, 1)] {
            let p = g.patientPosition(i: Double(c.0 * (n.x - 1)), j: Double(c.1 * (n.y - 1)), k: Double(c.2 * (n.z - 1)))
            lo = Vector3(min(lo.x, p.x), min(lo.y, p.y), min(lo.z, p.z)); hi = Vector3(max(hi.x, p.x), max(hi.y, p.y), max(hi.z, p.z))
        }
        let size = GridSize(x: max(2, Int((hi.x - lo.x) / s) + 1), y: max(2, Int((hi.y - lo.y) / s) + 1), z: max(2, Int((hi.z - lo.z) / s) + 1))
        guard size.count <= 1 << 26 else { throw .invalidArgument("CT of \(v.size) voxels too large to register") }
        let geo = ImageGeometry.axisAligned(origin: lo, spacing: Vector3(s, s, s))
        do { return try sm.resampled(to: size, geometry: geo, outside: lowHU) } catch {
            throw .invalidArgument("CT geometry cannot be resampled: \(error)")
        }
    }

    /// Starting translations: z from the table position (0) and from the body-area profiles; x, y from the body
    /// centroids of the overlapping slabs. Both grids axis-aligned (``regrid(_:spacingMM:)``).
    static func initialTranslations(fixed: Volume, moving: Volume) throws(DosimetryError) -> [Vector3] {
        func profile(_ v: Volume) -> (z0: Double, area: [Double], cx: [Double], cy: [Double]) {
            let s = v.size, g = v.geometry
            var area = [Double](repeating: 0, count: s.z), cx = area, cy = area
            for k in 0..<s.z {
                var n = 0.0, sx = 0.0, sy = 0.0
                for j in 0..<s.y { for i in 0..<s.x where v.voxels[i + s.x * (j + s.y * k)] > bodyThresholdHU {
                    n += 1; sx += Double(i); sy += Double(j)
                } }
                area[k] = n
                cx[k] = n > 0 ? g.origin.x + sx / n * g.spacing.x : .nan
                cy[k] = n > 0 ? g.origin.y + sy / n * g.spacing.y : .nan
            }
            return (g.origin.z, area, cx, cy)
        }
        let pf = profile(fixed), pm = profile(moving)
        let dz = fixed.geometry.spacing.z
        guard pf.area.contains(where: { $0 > 0 }), pm.area.contains(where: { $0 > 0 }) else {
            throw .invalidArgument("no body (HU > \(Int(bodyThresholdHU))) in one of the CTs: nothing to register")
        }
        // Moving slice k at z_m = pm.z0 + k·dz; translation t_z maps fixed z to moving z = z + t_z.
        func correlation(_ tz: Double) -> Double? {
            var a: [Double] = [], b: [Double] = []
            for (k, area) in pf.area.enumerated() {
                let zm = pf.z0 + Double(k) * dz + tz
                let km = Int(((zm - pm.z0) / dz).rounded())
                guard km >= 0, km < pm.area.count else { continue }
                a.append(area); b.append(pm.area[km])
            }
            guard a.count >= max(3, min(pf.area.count, pm.area.count) / 2) else { return nil }
            let ma = a.reduce(0, +) / Double(a.count), mb = b.reduce(0, +) / Double(b.count)
            var sab = 0.0, saa = 0.0, sbb = 0.0
            for i in a.indices { sab += (a[i] - ma) * (b[i] - mb); saa += (a[i] - ma) * (a[i] - ma); sbb += (b[i] - mb) * (b[i] - mb) }
            // Flat profiles (a cylinder) carry no z information: the table position decides.
            guard saa > 0, sbb > 0 else { return nil }
            return sab / (saa * sbb).squareRoot()
        }
        var zs: [Double] = [0]
        let span = Double(pf.area.count + pm.area.count) * dz / 2
        var scored: [(Double, Double)] = []
        var tz = -span
        while tz <= span { if let c = correlation(tz) { scored.append((tz, c)) }; tz += dz }
        // Local maxima of the correlation, best two, if they differ from the table position.
        let peaks = scored.indices.filter { i in
            (i == 0 || scored[i].1 >= scored[i - 1].1) && (i == scored.count - 1 || scored[i].1 >= scored[i + 1].1)
        }.map { scored[$0] }.sorted { $0.1 > $1.1 }
        for p in peaks.prefix(2) where p.1 > 0.5 && !zs.contains(where: { abs($0 - p.0) < 8 }) { zs.append(p.0) }
        return zs.map { tz in
            var dx = 0.0, dy = 0.0, n = 0.0
            for (k, _) in pf.area.enumerated() where pf.area[k] > 0 {
                let zm = pf.z0 + Double(k) * dz + tz
                let km = Int(((zm - pm.z0) / dz).rounded())
                guard km >= 0, km < pm.area.count, pm.area[km] > 0 else { continue }
                dx += pm.cx[km] - pf.cx[k]; dy += pm.cy[km] - pf.cy[k]; n += 1
            }
            return n > 0 ? Vector3(dx / n, dy / n, tz) : Vector3(0, 0, tz)
        }
    }

    /// The fixed samples and moving image of one level, and the measures on them.
    struct CostField {
        let points: [Vector3], fixedBins: [Int], fixedBody: [Bool]
        let moving: Volume, o: Vector3, dx: Vector3, dy: Vector3, dz: Vector3
        let movingBodyCount: Int
        /// Share of the fixed voxels kept as samples.
        let keep: Double

        /// At most about `maxSamples` fixed voxels, drawn at random (seeded: the cost is deterministic) so that the
        /// samples do not sit on a lattice aligned with the moving grid.
        init(fixed: Volume, moving: Volume, maxSamples: Int = 30_000, seed: UInt64 = 0x5EED_CAFE) throws(DosimetryError) {
            var pts: [Vector3] = [], fb: [Int] = [], body: [Bool] = []
            let s = fixed.size
            let keep = min(1, Double(maxSamples) / Double(s.count))
            self.keep = keep
            var rng = SeededGenerator(seed: seed)
            for k in 0..<s.z { for j in 0..<s.y { for i in 0..<s.x {
                if keep < 1 && rng.uniform() >= keep { continue }
                let v = fixed.voxels[i + s.x * (j + s.y * k)]
                pts.append(fixed.geometry.patientPosition(i, j, k))
                fb.append(SerialRegistration.bin(v)); body.append(v > bodyThresholdHU)
            } } }
            points = pts; fixedBins = fb; fixedBody = body
            self.moving = moving
            guard let o = try? moving.geometry.continuousIndex(of: .zero), let ex = try? moving.geometry.continuousIndex(of: Vector3(1, 0, 0)),
                  let ey = try? moving.geometry.continuousIndex(of: Vector3(0, 1, 0)), let ez = try? moving.geometry.continuousIndex(of: Vector3(0, 0, 1)) else {
                throw .invalidArgument("moving CT geometry is singular")
            }
            self.o = o; dx = ex - o; dy = ey - o; dz = ez - o
            movingBodyCount = moving.voxels.reduce(0) { $0 + ($1 > bodyThresholdHU ? 1 : 0) }
        }

        /// Visits every fixed sample landing inside the moving field with (sample index, moving value).
        func forEachOverlap(_ t: RigidTransform, _ body: (Int, Float) -> Void) {
            let m = t.matrix, c = t.centerMM, tr = t.translationMM, mv = moving.size
            let lx = Double(mv.x - 1), ly = Double(mv.y - 1), lz = Double(mv.z - 1)
            for (idx, p) in points.enumerated() {
                let d = p - c
                let w = Vector3(m[0][0] * d.x + m[0][1] * d.y + m[0][2] * d.z, m[1][0] * d.x + m[1][1] * d.y + m[1][2] * d.z,
                                m[2][0] * d.x + m[2][1] * d.y + m[2][2] * d.z) + c + tr
                let q = o + dx * w.x + dy * w.y + dz * w.z
                guard q.x >= 0, q.y >= 0, q.z >= 0, q.x <= lx, q.y <= ly, q.z <= lz else { continue }
                body(idx, RigidRegistration.trilinear(moving, q))
            }
        }

        func overlapCount(_ t: RigidTransform) -> Int {
            var n = 0
            forEachOverlap(t) { _, _ in n += 1 }
            return n
        }

        /// Studholme's normalised MI; nil when fewer than 64 samples overlap.
        func normalizedMI(_ t: RigidTransform, count: UnsafeMutablePointer<Int>? = nil) -> Double? {
            let b = SerialRegistration.bins
            var joint = [Double](repeating: 0, count: b * b)
            var n = 0
            forEachOverlap(t) { idx, v in
                let u = Double((min(max(v, lowHU), highHU) - lowHU) / (highHU - lowHU)) * Double(b - 1)
                let b0 = min(Int(u), b - 1), b1 = min(b0 + 1, b - 1), w1 = u - Double(b0)
                let row = fixedBins[idx] * b
                joint[row + b0] += 1 - w1; joint[row + b1] += w1
                n += 1
            }
            count?.pointee = n
            guard n >= 64 else { return nil }
            var pf = [Double](repeating: 0, count: b), pm = pf
            var hj = 0.0
            for i in 0..<b { for k in 0..<b {
                let v = joint[i * b + k] / Double(n)
                pf[i] += v; pm[k] += v
                if v > 0 { hj -= v * log(v) }
            } }
            let hf = pf.reduce(0.0) { $1 > 0 ? $0 - $1 * log($1) : $0 }, hm = pm.reduce(0.0) { $1 > 0 ? $0 - $1 * log($1) : $0 }
            return hj > 0 ? (hf + hm) / hj : 1
        }

        /// NMI, less a penalty for losing more than half the starting overlap `reference`.
        func cost(_ t: RigidTransform, reference: Int) -> Double {
            var n = 0
            guard let v = normalizedMI(t, count: &n) else { return 0 }
            let lost = max(0, 0.5 * Double(reference) - Double(n)) / Double(max(reference, 1))
            return v - lost
        }

        func quality(_ t: RigidTransform, gate: RegistrationGate, params: [Double]) -> RegistrationQuality {
            let nmi = normalizedMI(t) ?? 1
            var both = 0, f = 0, m = 0
            forEachOverlap(t) { idx, v in
                let a = fixedBody[idx], b = v > bodyThresholdHU
                if a { f += 1 }; if b { m += 1 }; if a && b { both += 1 }
            }
            let dice = f + m > 0 ? 2 * Double(both) / Double(f + m) : 0
            let fixedBodyCount = fixedBody.reduce(0) { $0 + ($1 ? 1 : 0) }
            // Both grids have the same isotropic spacing: the moving body in sample units is movingBodyCount × keep.
            let overlap = Double(max(f, m)) / max(1, min(Double(fixedBodyCount), Double(movingBodyCount) * keep))
            let rot = params[0..<3].map(abs).max() ?? 0, trans = (params[3] * params[3] + params[4] * params[4] + params[5] * params[5]).squareRoot()
            var failures: [String] = []
            if nmi < gate.minimumNormalizedMI { failures.append(String(format: "NMI %.3f < %.3f", nmi, gate.minimumNormalizedMI)) }
            if dice < gate.minimumOutlineDice { failures.append(String(format: "body-outline Dice %.3f < %.3f", dice, gate.minimumOutlineDice)) }
            if overlap < gate.minimumOverlap { failures.append(String(format: "overlap %.2f < %.2f", overlap, gate.minimumOverlap)) }
            if rot >= 14.99 { failures.append(String(format: "rotation %.1f° at the search bound (15°)", rot)) }
            if trans > 150 { failures.append(String(format: "translation %.0f mm beyond 150 mm", trans)) }
            let measures = String(format: "NMI %.3f, body-outline Dice %.3f, overlap %.2f", nmi, dice, min(overlap, 1))
            return RegistrationQuality(normalizedMI: nmi, outlineDice: dice, overlapFraction: min(overlap, 1), passed: failures.isEmpty,
                                       statement: failures.isEmpty ? "passed (\(measures))" : "FAILED: " + failures.joined(separator: ", ") + " (\(measures))")
        }
    }

    @inline(__always) static func bin(_ v: Float) -> Int {
        Int(((min(max(v, lowHU), highHU) - lowHU) / (highHU - lowHU) * Float(bins - 1)).rounded())
    }
}
