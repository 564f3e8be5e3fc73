import Foundation
import Imaging

/// Linear attenuation coefficients μ (1/mm) on the reconstruction grid, at the photopeak energy.
public struct AttenuationMap: Sendable, Equatable {
    /// μ in 1/mm, `[x][y][z]` layout (``ReconVolume``).
    public var muPerMM: ReconVolume
    /// Wraps a μ map in 1/mm.
    public init(muPerMM: ReconVolume) { self.muPerMM = muPerMM }
    /// From a μ map in 1/cm (as PyTomography and most tables give it).
    public init(muPerCM: ReconVolume) { muPerMM = muPerCM.scaled(0.1) }
    /// From an ``Imaging/Volume`` of μ in 1/mm on the same grid (x fastest).
    public init(volume: Volume) throws(ReconstructionError) { muPerMM = try ReconVolume(volume: volume) }
}

/// Progress of an iterative reconstruction: after sub-iteration `subset` (0-based) of iteration `iteration`
/// (0-based) of `iterations × subsets`.
public struct ReconProgress: Sendable, Equatable {
    /// Iteration index, 0-based.
    public var iteration: Int
    /// Subset index within the iteration, 0-based.
    public var subset: Int
    /// Total iterations.
    public var iterations: Int
    /// Subsets per iteration.
    public var subsets: Int
    /// Fraction done in [0, 1].
    public var fraction: Double { Double(iteration * subsets + subset + 1) / Double(max(1, iterations * subsets)) }
}

/// The SPECT system model A (plus an additive term s): expected projections ȳ = A x + s.
///
/// A for view v, in order: rotate the object into the view frame (bilinear in the transaxial plane, z untouched),
/// multiply by the survival probability towards the detector (``AttenuationMap``; half of the emitting voxel
/// counted), blur each depth plane by the Gaussian collimator–detector response for its distance to the collimator
/// face (``CollimatorResponse``, separable in r and z), sum over depth, and resample the voxel-spaced detector image
/// onto the detector pixels (count-conserving overlap weights). ``back(_:views:)`` applies the exact transpose of
/// every step, so ⟨A x, y⟩ = ⟨x, Aᵀ y⟩ to float precision.
///
/// The rotating frame is padded to ⌈√2·n⌉ so corners are not lost (as PyTomography does); work is restricted to the
/// frame points that fall inside the object grid. Views run in parallel on ``threads`` workers.
public struct SystemModel: Sendable {
    /// Acquisition and grid geometry.
    public let geometry: SPECTGeometry
    /// Attenuation (nil: none).
    public var attenuation: AttenuationMap? { didSet { muRowActive = Self.activeRows(attenuation) } }
    /// Collimator–detector response (nil: ideal parallel-hole, no blur).
    public var collimator: CollimatorResponse?
    /// Additive term of the expected projections (scatter estimate), nil for none.
    public var scatter: Projections?
    /// Worker threads (default: all active processors).
    public var threads: Int

    /// Side of the rotating frame.
    let frame: Int
    let resR: Resampler1D
    let resZ: Resampler1D
    /// Frame rows that the detector columns read (forward output / adjoint input range).
    let detLo: Int, detHi: Int
    /// Per transaxial position (x·n + y) of the μ map: true when its z row holds any non-zero μ. Footprints that
    /// touch only zero rows rotate to exactly 0, so the projector skips reading them (and the exponential
    /// where nothing has been crossed yet: exp(0) = 1).
    var muRowActive: [Bool] = []

    static func activeRows(_ a: AttenuationMap?) -> [Bool] {
        guard let v = a?.muPerMM else { return [] }
        let nz = v.slices
        return v.values.withUnsafeBufferPointer { p in
            (0..<(v.n * v.n)).map { r in
                let row = p.baseAddress! + r * nz
                for z in 0..<nz where row[z] != 0 { return true }
                return false
            }
        }
    }

    /// Creates a system model. μ, scatter and the geometry must agree in size.
    public init(geometry: SPECTGeometry, attenuation: AttenuationMap? = nil, collimator: CollimatorResponse? = nil,
                scatter: Projections? = nil, threads: Int? = nil) throws(ReconstructionError) {
        if let a = attenuation, a.muPerMM.n != geometry.n || a.muPerMM.slices != geometry.slices {
            throw .sizeMismatch(what: "attenuation map", expected: geometry.voxelCount, actual: a.muPerMM.values.count)
        }
        if let s = scatter, s.values.count != geometry.views * geometry.pixelsPerView {
            throw .sizeMismatch(what: "scatter", expected: geometry.views * geometry.pixelsPerView, actual: s.values.count)
        }
        self.geometry = geometry; self.attenuation = attenuation; self.collimator = collimator
        self.scatter = scatter
        self.threads = max(1, threads ?? ProcessInfo.processInfo.activeProcessorCount)
        let n = geometry.n
        let pad = Int(((2.0.squareRoot() - 1) * Double(n) / 2).rounded(.up))
        frame = n + 2 * pad
        resR = Resampler1D(sourceCount: frame, sourceSpacing: geometry.voxelSizeMM, sourceCentre: 0,
                           destCount: geometry.columns, destSpacing: geometry.pixelSizeMM, destCentre: 0)
        resZ = Resampler1D(sourceCount: geometry.slices, sourceSpacing: geometry.sliceThicknessMM,
                           sourceCentre: geometry.centre.z, destCount: geometry.rows,
                           destSpacing: geometry.pixelSizeMM, destCentre: geometry.detectorAxialCentreMM)
        var lo = frame, hi = -1
        for c in 0..<geometry.columns where resR.start[c] < resR.start[c + 1] {
            lo = min(lo, resR.first[c]); hi = max(hi, resR.first[c] + resR.start[c + 1] - resR.start[c] - 1)
        }
        detLo = lo; detHi = hi
        muRowActive = Self.activeRows(attenuation)
    }

    /// Views in subset `m` of `count` (interleaved: m, m+count, m+2·count, …).
    public func subsetViews(_ m: Int, of count: Int) -> [Int] { Array(stride(from: m, to: geometry.views, by: count)) }

    // MARK: public operators

    /// A x for the given views (all by default); other views are zero. No additive term.
    public func forward(_ x: ReconVolume, views: [Int]? = nil) -> Projections {
        var out = Projections(geometry: geometry)
        let vs = views ?? Array(0..<geometry.views)
        let ppv = geometry.pixelsPerView
        x.values.withUnsafeBufferPointer { xp in
            out.values.withUnsafeMutableBufferPointer { op in
                let o = SharedPointer(op.baseAddress!)
                runViews(vs) { ws, v, _ in
                    prepare(ws, view: v)
                    project(ws, xp.baseAddress!, into: o.p + v * ppv)
                }
            }
        }
        return out
    }

    /// A x + s: the expected projections.
    public func expected(_ x: ReconVolume, views: [Int]? = nil) -> Projections {
        var p = forward(x, views: views)
        if let s = scatter {
            let vs = views ?? Array(0..<geometry.views)
            let ppv = geometry.pixelsPerView
            for v in vs { for k in (v * ppv)..<((v + 1) * ppv) { p.values[k] += s.values[k] } }
        }
        return p
    }

    /// Aᵀ y over the given views (all by default): the exact adjoint of ``forward(_:views:)``.
    public func back(_ y: Projections, views: [Int]? = nil) -> ReconVolume {
        let vs = views ?? Array(0..<geometry.views)
        let ppv = geometry.pixelsPerView
        return y.values.withUnsafeBufferPointer { yp in
            accumulateViews(vs) { ws, v, acc in
                prepare(ws, view: v)
                backProject(ws, yp.baseAddress! + v * ppv, into: acc)
            }
        }
    }

    /// Aᵀ 1 over the given views (the sensitivity image of a subset).
    public func sensitivity(views: [Int]? = nil) -> ReconVolume {
        let ones = [Float](repeating: 1, count: geometry.pixelsPerView)
        let vs = views ?? Array(0..<geometry.views)
        return ones.withUnsafeBufferPointer { op in
            accumulateViews(vs) { ws, v, acc in
                prepare(ws, view: v)
                backProject(ws, op.baseAddress!, into: acc)
            }
        }
    }

    /// For each view: ŷ_v = A_v x, then `transform(v, ŷ_v)` turns it in place into the back-projection input g_v;
    /// returns Σ_v A_vᵀ g_v. The attenuation and kernels of a view are computed once for both directions.
    /// `transform` runs concurrently for different views.
    func forwardThenBack(_ x: ReconVolume, views: [Int],
                         transform: (Int, UnsafeMutableBufferPointer<Float>) -> Void) -> ReconVolume {
        let ppv = geometry.pixelsPerView
        return x.values.withUnsafeBufferPointer { xp in
            accumulateViews(views) { ws, v, acc in
                prepare(ws, view: v)
                let buf = UnsafeMutableBufferPointer(start: ws.proj, count: ppv)
                project(ws, xp.baseAddress!, into: ws.proj)
                transform(v, buf)
                backProject(ws, ws.proj, into: acc)
            }
        }
    }

    // MARK: scheduling

    func makeWorkspace() -> Workspace {
        Workspace(frame: frame, nz: geometry.slices, rows: geometry.rows, pixels: geometry.pixelsPerView,
                  cacheAttenuation: attenuation != nil)
    }

    /// Runs `body(workspace, view, worker)` for every view, views interleaved over workers.
    func runViews(_ views: [Int], _ body: (Workspace, Int, Int) -> Void) {
        let workers = min(threads, views.count)
        parallelFor(workers) { w in
            let ws = makeWorkspace()
            var k = w
            while k < views.count { body(ws, views[k], w); k += workers }
        }
    }

    /// Like ``runViews`` with one accumulator image per worker, summed at the end.
    func accumulateViews(_ views: [Int], _ body: (Workspace, Int, UnsafeMutablePointer<Float>) -> Void) -> ReconVolume {
        let count = geometry.voxelCount
        let workers = max(1, min(threads, views.count))
        let accs = UnsafeMutablePointer<Float>.allocate(capacity: count * workers)
        defer { accs.deallocate() }
        accs.initialize(repeating: 0, count: count * workers)
        let shared = SharedPointer(accs)
        parallelFor(workers) { w in
            let ws = makeWorkspace()
            let acc = shared.p + w * count
            var k = w
            while k < views.count { body(ws, views[k], acc); k += workers }
        }
        var out = ReconVolume(geometry: geometry)
        out.values.withUnsafeMutableBufferPointer { op in
            let o = op.baseAddress!
            o.update(from: accs, count: count)
            for w in 1..<max(1, workers) where workers > 1 {
                let a = accs + w * count
                for i in 0..<count { o[i] += a[i] }
            }
        }
        return out
    }

    // MARK: per-view steps

    /// Rotation, valid ranges and collimator kernels of view `v` into the workspace.
    func prepare(_ ws: Workspace, view v: Int) {
        let g = geometry, m = frame, nz = g.slices, n = g.n
        let rf = RotationFrame(n: n, frame: m, nz: nz, thetaDeg: g.anglesDeg[v], centreX: g.centre.x,
                               centreY: g.centre.y, voxel: g.voxelSizeMM)
        ws.rotation = rf
        rf.validRanges(lo: ws.lo, hi: ws.hi)
        // Collimator kernels per depth plane: plane j at s_j = (j − (m−1)/2)·Δ along u, d = R − s_j.
        ws.kernels = PlaneKernels()
        if let cdr = collimator {
            var k = PlaneKernels()
            for j in 0..<m {
                let s = (Double(j) - Double(m - 1) / 2) * g.voxelSizeMM
                let d = max(0, g.radiiMM[v] - s)
                let sigma = cdr.sigmaMM(d)
                let wr = PlaneKernels.gaussian(sigma: sigma, spacing: g.voxelSizeMM, truncation: cdr.truncationSigmas)
                let wz = PlaneKernels.gaussian(sigma: sigma, spacing: g.sliceThicknessMM, truncation: cdr.truncationSigmas)
                k.offR.append(k.wR.count); k.halfR.append(wr.count / 2); k.wR += wr
                k.offZ.append(k.wZ.count); k.halfZ.append(wz.count / 2); k.wZ += wz
            }
            ws.kernels = k
        }
        if attenuation != nil { resetAttenuation(ws) }
        ws.attCacheValid = false
    }

    /// Clears the running μ sum of the workspace (start of a view, from the detector side).
    func resetAttenuation(_ ws: Workspace) {
        ws.runningMu.update(repeating: 0, count: frame * geometry.slices)
        ws.runActive.update(repeating: false, count: frame)
    }

    /// Survival factors of plane j (rows lo…hi) into `ws.att`: rotates μ, then exp(−Δ(Σ_{j'>j} μ + μ_j/2)).
    /// Must be called for j descending (from the detector side) after ``prepare``; planes with no valid rows may be
    /// skipped since their μ is zero. Rows whose μ footprint is all zero are not read (their rotated μ is exactly
    /// 0); where in addition nothing has been crossed yet the factor is exactly 1 and no exponential is taken.
    @inline(__always)
    func attenuationPlane(_ ws: Workspace, _ j: Int, lo: Int, hi: Int, mu: UnsafePointer<Float>,
                          into dst: UnsafeMutablePointer<Float>? = nil) {
        let nz = geometry.slices
        let out = dst ?? ws.att
        let hit = ws.rowHit, run = ws.runActive
        muRowActive.withUnsafeBufferPointer { act in
            ws.rotation.forwardPlane(j, lo: lo, hi: hi, mu, out, active: act.baseAddress!, hit: hit)
        }
        let dx = Float(geometry.voxelSizeMM)
        for i in lo...hi {
            let a = out + i &* nz, t = ws.runningMu + i &* nz
            if hit[i] {
                run[i] = true
                for q in 0..<nz {
                    let m = a[q]
                    a[q] = expNonPositive(-dx * (t[q] + 0.5 * m))
                    t[q] += m
                }
            } else if run[i] {
                // μ_j = 0 here: t + μ_j/2 = t and the running sum is unchanged.
                for q in 0..<nz { a[q] = expNonPositive(-dx * t[q]) }
            } else {
                a.update(repeating: 1, count: nz)
            }
        }
    }

    /// ŷ_v = A_v x into `out` (pixelsPerView values). Plane by plane from the detector side, so every step of a
    /// plane stays in cache.
    func project(_ ws: Workspace, _ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        let m = frame, nz = geometry.slices
        let p = ws.plane, det = ws.det, tmp = ws.tmp
        det.update(repeating: 0, count: m * nz)
        let dLo = detLo, dHi = detHi
        let hasK = collimator != nil
        let muValues = attenuation?.muPerMM.values ?? []
        let hasMu = attenuation != nil
        muValues.withUnsafeBufferPointer { mup in
        ws.kernels.wR.withUnsafeBufferPointer { wr in
        ws.kernels.wZ.withUnsafeBufferPointer { wz in
            for j in stride(from: m - 1, through: 0, by: -1) {
                let lo = ws.lo[j], hi = ws.hi[j]
                if lo > hi { continue }
                ws.rotation.forwardPlane(j, lo: lo, hi: hi, x, p)
                let pl = p + lo &* nz
                let cnt = (hi - lo + 1) &* nz
                // Survival factors of the plane's rows; with a collimator response they are applied inside the
                // z convolution's row copy.
                var scale: UnsafePointer<Float>? = nil
                if hasMu, let mu = mup.baseAddress {
                    let planeAtt = ws.attCache.map { $0 + j &* m &* nz } ?? ws.att
                    attenuationPlane(ws, j, lo: lo, hi: hi, mu: mu, into: planeAtt)
                    let ap = planeAtt + lo &* nz
                    if hasK { scale = UnsafePointer(ap) } else { for q in 0..<cnt { pl[q] *= ap[q] } }
                }
                if hasK {
                    let kr = ws.kernels.halfR[j], kz = ws.kernels.halfZ[j]
                    convolveZ(pl, tmp + lo &* nz, nr: hi - lo + 1, nz: nz, wz.baseAddress! + ws.kernels.offZ[j], half: kz,
                              scale: scale)
                    convolveRRange(tmp, inLo: lo, inHi: hi, det, outLo: max(dLo, lo - kr), outHi: min(dHi, hi + kr),
                                   nz: nz, wr.baseAddress! + ws.kernels.offR[j], half: kr)
                } else {
                    let d = det + lo &* nz
                    for q in 0..<cnt { d[q] += pl[q] }
                }
            }
        } } }
        ws.attCacheValid = hasMu && ws.attCache != nil
        resampleForward(det, out, tmp: ws.tmp)
    }

    /// acc += A_vᵀ g (g: pixelsPerView values), the exact transpose of ``project``.
    func backProject(_ ws: Workspace, _ g: UnsafePointer<Float>, into acc: UnsafeMutablePointer<Float>) {
        let m = frame, nz = geometry.slices
        let p = ws.plane, h = ws.det, tmp = ws.tmp
        resampleAdjoint(g, h, tmp: ws.tmp)
        let dLo = detLo, dHi = detHi
        let hasK = collimator != nil
        let cached = ws.attCacheValid
        if attenuation != nil && !cached { resetAttenuation(ws) }
        let muValues = attenuation?.muPerMM.values ?? []
        let hasMu = attenuation != nil
        muValues.withUnsafeBufferPointer { mup in
        ws.kernels.wR.withUnsafeBufferPointer { wr in
        ws.kernels.wZ.withUnsafeBufferPointer { wz in
            for j in stride(from: m - 1, through: 0, by: -1) {
                let lo = ws.lo[j], hi = ws.hi[j]
                if lo > hi { continue }
                let pl = p + lo &* nz
                let cnt = (hi - lo + 1) &* nz
                if hasK {
                    let kr = ws.kernels.halfR[j], kz = ws.kernels.halfZ[j]
                    convolveRRange(h, inLo: dLo, inHi: dHi, tmp, outLo: lo, outHi: hi, nz: nz,
                                   wr.baseAddress! + ws.kernels.offR[j], half: kr, overwrite: true)
                    convolveZ(tmp + lo &* nz, pl, nr: hi - lo + 1, nz: nz, wz.baseAddress! + ws.kernels.offZ[j], half: kz)
                } else {
                    pl.update(from: h + lo &* nz, count: cnt)
                }
                // Survival factors (rows lo…hi), applied inside the rotation's transpose.
                var scale: UnsafePointer<Float>? = nil
                if hasMu, let mu = mup.baseAddress {
                    if cached, let c = ws.attCache {
                        scale = UnsafePointer(c + j &* m &* nz)
                    } else {
                        attenuationPlane(ws, j, lo: lo, hi: hi, mu: mu)
                        scale = UnsafePointer(ws.att)
                    }
                }
                ws.rotation.adjointPlane(j, lo: lo, hi: hi, p, acc, scale: scale)
            }
        } } }
    }

    /// det [frame][slices] → out [columns][rows].
    func resampleForward(_ det: UnsafeMutablePointer<Float>, _ out: UnsafeMutablePointer<Float>,
                         tmp: UnsafeMutablePointer<Float>) {
        let nz = geometry.slices, R = geometry.rows, C = geometry.columns
        // z first: tmp[i][ρ'] for every frame row i that any column reads.
        var zsrc = UnsafeMutablePointer(det)
        if !resZ.isIdentity {
            resZ.weights.withUnsafeBufferPointer { w in
                for i in 0..<frame {
                    let s = det + i * nz, o = tmp + i * R
                    for r in 0..<R {
                        var acc: Float = 0
                        let f = resZ.first[r]
                        for k in resZ.start[r]..<resZ.start[r + 1] { acc += w[k] * s[f + k - resZ.start[r]] }
                        o[r] = acc
                    }
                }
            }
            zsrc = tmp
        }
        resR.weights.withUnsafeBufferPointer { w in
            for c in 0..<C {
                let o = out + c * R
                o.update(repeating: 0, count: R)
                let f = resR.first[c]
                for k in resR.start[c]..<resR.start[c + 1] { axpy(R, w[k], zsrc + (f + k - resR.start[c]) * R, o) }
            }
        }
    }

    /// Transpose of ``resampleForward``: g [columns][rows] → h [frame][slices].
    func resampleAdjoint(_ g: UnsafePointer<Float>, _ h: UnsafeMutablePointer<Float>, tmp: UnsafeMutablePointer<Float>) {
        let nz = geometry.slices, R = geometry.rows, C = geometry.columns
        let zdst = resZ.isIdentity ? h : tmp
        zdst.update(repeating: 0, count: frame * R)
        resR.weights.withUnsafeBufferPointer { w in
            for c in 0..<C {
                let s = g + c * R
                let f = resR.first[c]
                for k in resR.start[c]..<resR.start[c + 1] { axpy(R, w[k], s, zdst + (f + k - resR.start[c]) * R) }
            }
        }
        if !resZ.isIdentity {
            h.update(repeating: 0, count: frame * nz)
            resZ.weights.withUnsafeBufferPointer { w in
                for i in 0..<frame {
                    let s = tmp + i * R, o = h + i * nz
                    for r in 0..<R {
                        let f = resZ.first[r], v = s[r]
                        for k in resZ.start[r]..<resZ.start[r + 1] { o[f + k - resZ.start[r]] += w[k] * v }
                    }
                }
            }
        }
    }
}

/// Per-thread scratch memory of the projector: a handful of [frame][slices] planes (cache-sized).
final class Workspace {
    let plane: UnsafeMutablePointer<Float>
    let att: UnsafeMutablePointer<Float>
    let runningMu: UnsafeMutablePointer<Float>
    let det: UnsafeMutablePointer<Float>
    let tmp: UnsafeMutablePointer<Float>
    let proj: UnsafeMutablePointer<Float>
    let lo: UnsafeMutablePointer<Int>
    let hi: UnsafeMutablePointer<Int>
    /// Per frame row of the current plane: the μ footprint touched a non-zero μ row (rotated μ row written).
    let rowHit: UnsafeMutablePointer<Bool>
    /// Per frame row: some non-zero μ lies between this plane and the detector (running sum not all zero).
    let runActive: UnsafeMutablePointer<Bool>
    var rotation: RotationFrame! = nil
    var kernels = PlaneKernels()
    /// Survival factors of the current view ([frame][frame][slices], valid rows only), written by the forward
    /// projection and reused by the back projection of the same view (OSEM's forward-then-back).
    let attCache: UnsafeMutablePointer<Float>?
    var attCacheValid = false

    init(frame m: Int, nz: Int, rows: Int, pixels: Int, cacheAttenuation: Bool) {
        attCache = cacheAttenuation ? .allocate(capacity: m * m * nz) : nil
        let planeCount = m * max(nz, rows)
        plane = .allocate(capacity: planeCount); att = .allocate(capacity: planeCount)
        runningMu = .allocate(capacity: planeCount); det = .allocate(capacity: planeCount)
        tmp = .allocate(capacity: planeCount); proj = .allocate(capacity: pixels)
        lo = .allocate(capacity: m); hi = .allocate(capacity: m)
        rowHit = .allocate(capacity: m); runActive = .allocate(capacity: m)
        rowHit.initialize(repeating: false, count: m); runActive.initialize(repeating: false, count: m)
    }
    deinit {
        plane.deallocate(); att.deallocate(); runningMu.deallocate(); det.deallocate(); tmp.deallocate()
        proj.deallocate(); lo.deallocate(); hi.deallocate(); attCache?.deallocate()
        rowHit.deallocate(); runActive.deallocate()
    }
}

/// out[o] (+)= Σ_k w[k]·in[o+k−K] for output rows o in [outLo, outHi], source rows limited to [inLo, inHi].
///
/// Output rows are summed over their taps in registers (blocks of 64, 16, then 1 along z) and stored once; two
/// output rows share each loaded source block (taps that fall outside a row's window get weight 0, so each sum is
/// the same ascending-row sum as for a single row).
@inline(__always)
func convolveRRange(_ inp: UnsafePointer<Float>, inLo: Int, inHi: Int, _ out: UnsafeMutablePointer<Float>,
                    outLo: Int, outHi: Int, nz: Int, _ w: UnsafePointer<Float>, half K: Int, overwrite: Bool = false) {
    typealias V = SIMD16<Float>
    if outLo > outHi { return }
    /// Row o from z onwards (16-wide blocks, then scalars).
    @inline(__always) func rowFrom(_ o: Int, _ z0: Int) {
        let dst = out + o &* nz
        let k0 = max(-K, inLo - o), k1 = min(K, inHi - o)
        if k0 > k1 {
            if overwrite { (dst + z0).update(repeating: 0, count: nz - z0) }
            return
        }
        let src0 = inp + (o &+ k0) &* nz, w0 = w + (k0 &+ K), taps = k1 &- k0 &+ 1
        var z = z0
        while z &+ 64 <= nz {
            let d = UnsafeMutableRawPointer(dst + z)
            var a0 = V(), a1 = V(), a2 = V(), a3 = V()
            if !overwrite {
                a0 = d.loadUnaligned(as: V.self); a1 = d.loadUnaligned(fromByteOffset: 64, as: V.self)
                a2 = d.loadUnaligned(fromByteOffset: 128, as: V.self); a3 = d.loadUnaligned(fromByteOffset: 192, as: V.self)
            }
            for k in 0..<taps {
                let c = V(repeating: w0[k])
                let q = UnsafeRawPointer(src0 + (k &* nz &+ z))
                a0 += c * q.loadUnaligned(as: V.self)
                a1 += c * q.loadUnaligned(fromByteOffset: 64, as: V.self)
                a2 += c * q.loadUnaligned(fromByteOffset: 128, as: V.self)
                a3 += c * q.loadUnaligned(fromByteOffset: 192, as: V.self)
            }
            d.storeBytes(of: a0, as: V.self); d.storeBytes(of: a1, toByteOffset: 64, as: V.self)
            d.storeBytes(of: a2, toByteOffset: 128, as: V.self); d.storeBytes(of: a3, toByteOffset: 192, as: V.self)
            z &+= 64
        }
        while z &+ 16 <= nz {
            let d = UnsafeMutableRawPointer(dst + z)
            var a0 = overwrite ? V() : d.loadUnaligned(as: V.self)
            for k in 0..<taps {
                a0 += V(repeating: w0[k]) * UnsafeRawPointer(src0 + (k &* nz &+ z)).loadUnaligned(as: V.self)
            }
            d.storeBytes(of: a0, as: V.self)
            z &+= 16
        }
        while z < nz {
            var a: Float = overwrite ? 0 : dst[z]
            for k in 0..<taps { a += w0[k] * src0[k &* nz &+ z] }
            dst[z] = a
            z &+= 1
        }
    }
    var o = outLo
    while o &+ 1 <= outHi {
        // Rows o and o+1 over the union of their source windows.
        let r0 = max(o - K, inLo), r1 = min(o + 1 + K, inHi)
        let blocks = nz / 64 * 64
        if r0 <= r1 && blocks > 0 {
            let d0 = out + o &* nz, d1 = d0 + nz
            var z = 0
            while z < blocks {
                let e0 = UnsafeMutableRawPointer(d0 + z), e1 = UnsafeMutableRawPointer(d1 + z)
                var a0 = V(), a1 = V(), a2 = V(), a3 = V(), b0 = V(), b1 = V(), b2 = V(), b3 = V()
                if !overwrite {
                    a0 = e0.loadUnaligned(as: V.self); a1 = e0.loadUnaligned(fromByteOffset: 64, as: V.self)
                    a2 = e0.loadUnaligned(fromByteOffset: 128, as: V.self); a3 = e0.loadUnaligned(fromByteOffset: 192, as: V.self)
                    b0 = e1.loadUnaligned(as: V.self); b1 = e1.loadUnaligned(fromByteOffset: 64, as: V.self)
                    b2 = e1.loadUnaligned(fromByteOffset: 128, as: V.self); b3 = e1.loadUnaligned(fromByteOffset: 192, as: V.self)
                }
                for r in r0...r1 {
                    let c = V(repeating: r - o <= K ? w[r &- o &+ K] : 0)
                    let e = V(repeating: r - o - 1 >= -K ? w[r &- o &- 1 &+ K] : 0)
                    let q = UnsafeRawPointer(inp + (r &* nz &+ z))
                    let s0 = q.loadUnaligned(as: V.self), s1 = q.loadUnaligned(fromByteOffset: 64, as: V.self)
                    let s2 = q.loadUnaligned(fromByteOffset: 128, as: V.self), s3 = q.loadUnaligned(fromByteOffset: 192, as: V.self)
                    a0 += c * s0; a1 += c * s1; a2 += c * s2; a3 += c * s3
                    b0 += e * s0; b1 += e * s1; b2 += e * s2; b3 += e * s3
                }
                e0.storeBytes(of: a0, as: V.self); e0.storeBytes(of: a1, toByteOffset: 64, as: V.self)
                e0.storeBytes(of: a2, toByteOffset: 128, as: V.self); e0.storeBytes(of: a3, toByteOffset: 192, as: V.self)
                e1.storeBytes(of: b0, as: V.self); e1.storeBytes(of: b1, toByteOffset: 64, as: V.self)
                e1.storeBytes(of: b2, toByteOffset: 128, as: V.self); e1.storeBytes(of: b3, toByteOffset: 192, as: V.self)
                z &+= 64
            }
            rowFrom(o, blocks); rowFrom(o &+ 1, blocks)
        } else {
            rowFrom(o, 0); rowFrom(o &+ 1, 0)
        }
        o &+= 2
    }
    if o == outHi { rowFrom(o, 0) }
}
