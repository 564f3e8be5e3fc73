import Foundation

/// A radix-2 complex FFT of a fixed power-of-two size (in place on split real/imaginary arrays).
struct FFT: Sendable {
    let n: Int
    let cosT: [Double], sinT: [Double]
    let rev: [Int]

    init(size n: Int) {
        precondition(n > 0 && n & (n - 1) == 0, "FFT size must be a power of two")
        self.n = n
        cosT = (0..<max(1, n / 2)).map { cos(-2 * .pi * Double($0) / Double(n)) }
        sinT = (0..<max(1, n / 2)).map { sin(-2 * .pi * Double($0) / Double(n)) }
        var r = [Int](repeating: 0, count: n)
        var bits = 0
        while (1 << bits) < n { bits += 1 }
        for i in 0..<n {
            var x = i, y = 0
            for _ in 0..<bits { y = (y << 1) | (x & 1); x >>= 1 }
            r[i] = y
        }
        rev = r
    }

    /// Forward transform (e^{−2πi kn/N}); `inverse` uses e^{+…} and divides by N.
    func transform(_ re: inout [Double], _ im: inout [Double], inverse: Bool = false) {
        for i in 0..<n where i < rev[i] { re.swapAt(i, rev[i]); im.swapAt(i, rev[i]) }
        var len = 2
        while len <= n {
            let step = n / len, half = len / 2
            var start = 0
            while start < n {
                for k in 0..<half {
                    let c = cosT[k * step], s = inverse ? -sinT[k * step] : sinT[k * step]
                    let a = start + k, b = a + half
                    let tr = re[b] * c - im[b] * s, ti = re[b] * s + im[b] * c
                    re[b] = re[a] - tr; im[b] = im[a] - ti
                    re[a] += tr; im[a] += ti
                }
                start += len
            }
            len <<= 1
        }
        if inverse { let f = 1 / Double(n); for i in 0..<n { re[i] *= f; im[i] *= f } }
    }
}

/// Apodising window of the ramp filter; `cutoff` is a fraction of the Nyquist frequency.
public enum FBPWindow: Sendable, Equatable {
    /// Pure ramp (Ram-Lak).
    case ramp
    /// Hann: 0.5·(1 + cos(π f / f_c)) below f_c, 0 above.
    case hann(cutoff: Double)
    /// Butterworth: 1 / (1 + (f / f_c)^(2·order)).
    case butterworth(cutoff: Double, order: Int)

    func value(_ f: Double) -> Double {  // f in cycles/sample, Nyquist 0.5
        switch self {
        case .ramp: return 1
        case .hann(let c):
            let fc = 0.5 * c
            return f <= fc ? 0.5 * (1 + cos(.pi * f / fc)) : 0
        case .butterworth(let c, let o):
            let fc = 0.5 * c
            return 1 / (1 + pow(f / fc, Double(2 * o)))
        }
    }
}

/// Filtered back projection with an optional first-order Chang attenuation correction.
///
/// Each detector row is filtered with the discrete ramp of Kak & Slaney (spatial kernel h(0) = 1/(4Δ²),
/// h(odd n) = −1/(π²n²Δ²), zero-padded to a power of two ≥ 2·columns) times the window, then back projected
/// (linear interpolation in r and z) with weight π/views. The result is in the iterative algorithms' units
/// (counts per view per voxel), so ``Quantitation`` applies to both.
public struct FBP: Sendable {
    /// Geometry (only angles, detector and grid are used; radii are not needed).
    public var geometry: SPECTGeometry
    /// Window of the ramp filter.
    public var window: FBPWindow
    /// Worker threads.
    public var threads: Int

    /// Creates the algorithm.
    public init(geometry: SPECTGeometry, window: FBPWindow = .hann(cutoff: 1), threads: Int? = nil) {
        self.geometry = geometry; self.window = window
        self.threads = max(1, threads ?? ProcessInfo.processInfo.activeProcessorCount)
    }

    /// Ramp-filtered projections (same layout and units as the input).
    public func filtered(_ p: Projections) -> Projections {
        let g = geometry, C = g.columns, R = g.rows
        var size = 1
        while size < 2 * C { size <<= 1 }
        let fft = FFT(size: size)
        let d = g.pixelSizeMM
        // Transfer function: FFT of the spatial ramp kernel times the window.
        var hr = [Double](repeating: 0, count: size), hi = [Double](repeating: 0, count: size)
        hr[0] = 1 / (4 * d * d)
        for k in 1..<size / 2 where k % 2 == 1 {
            let v = -1 / (Double.pi * Double.pi * Double(k * k) * d * d)
            hr[k] = v; hr[size - k] = v
        }
        fft.transform(&hr, &hi)
        let H: [Double] = (0..<size).map { k in
            let f = Double(min(k, size - k)) / Double(size)
            return hr[k] * window.value(f) * d
        }
        var out = p
        let workers = min(threads, g.views)
        out.values.withUnsafeMutableBufferPointer { op in
            let o = SharedPointer(op.baseAddress!)
            parallelFor(workers) { w in
                var re = [Double](repeating: 0, count: size), im = re
                var v = w
                while v < g.views {
                    let base = o.p + v * C * R
                    for r in 0..<R {
                        for k in 0..<size { re[k] = k < C ? Double(base[k * R + r]) : 0; im[k] = 0 }
                        fft.transform(&re, &im)
                        for k in 0..<size { re[k] *= H[k]; im[k] *= H[k] }
                        fft.transform(&re, &im, inverse: true)
                        for k in 0..<C { base[k * R + r] = Float(re[k]) }
                    }
                    v += workers
                }
            }
        }
        return out
    }

    /// Back projection of (filtered) projections onto the grid, weight π/views, linear interpolation in r and z.
    public func backProject(_ q: Projections) -> ReconVolume {
        let g = geometry, C = g.columns, R = g.rows, n = g.n, nz = g.slices
        // z: slice k reads detector row position ρ' = (z_k − z_det)/Δ + (R−1)/2 (z ascending).
        var z0 = [Int](repeating: 0, count: nz), zw = [Float](repeating: 0, count: nz), zok = [Bool](repeating: false, count: nz)
        for k in 0..<nz {
            let zk = g.centre.z + (Double(k) - Double(nz - 1) / 2) * g.sliceThicknessMM
            let f = (zk - g.detectorAxialCentreMM) / g.pixelSizeMM + Double(R - 1) / 2
            let fl = f.rounded(.down)
            z0[k] = Int(fl); zw[k] = Float(f - fl); zok[k] = f >= -1 && f <= Double(R)
        }
        let scale = Float(Double.pi / Double(g.views))
        let workers = min(threads, g.views)
        let count = g.voxelCount
        let accs = UnsafeMutablePointer<Float>.allocate(capacity: count * workers)
        defer { accs.deallocate() }
        accs.initialize(repeating: 0, count: count * workers)
        let sh = SharedPointer(accs)
        q.values.withUnsafeBufferPointer { qp in
            parallelFor(workers) { w in
                let acc = sh.p + w * count
                var qz = [Float](repeating: 0, count: C * nz)
                var v = w
                while v < g.views {
                    let base = qp.baseAddress! + v * C * R
                    for c in 0..<C { for k in 0..<nz where zok[k] {
                        let a = z0[k], t = zw[k]
                        let lo: Float = a >= 0 && a < R ? base[c * R + a] : 0
                        let hi: Float = a + 1 >= 0 && a + 1 < R ? base[c * R + a + 1] : 0
                        qz[c * nz + k] = scale * ((1 - t) * lo + t * hi)
                    } }
                    let th = g.anglesDeg[v] * .pi / 180, ct = cos(th), st = sin(th)
                    qz.withUnsafeBufferPointer { qzp in
                        for ix in 0..<n {
                            let x = g.origin.x + Double(ix) * g.voxelSizeMM
                            for iy in 0..<n {
                                let y = g.origin.y + Double(iy) * g.voxelSizeMM
                                let f = (x * ct + y * st) / g.pixelSizeMM + Double(C - 1) / 2
                                let fl = f.rounded(.down), c0 = Int(fl), t = Float(f - fl)
                                let dst = acc + (ix * n + iy) * nz
                                if c0 >= 0 && c0 < C && t < 1 { axpy(nz, 1 - t, qzp.baseAddress! + c0 * nz, dst) }
                                if c0 + 1 >= 0 && c0 + 1 < C && t > 0 { axpy(nz, t, qzp.baseAddress! + (c0 + 1) * nz, dst) }
                            }
                        }
                    }
                    v += workers
                }
            }
        }
        // Units: line integrals are p/Δp², voxel values are density·Δv²·Δz.
        let unit = Float(g.voxelSizeMM * g.voxelSizeMM * g.sliceThicknessMM / (g.pixelSizeMM * g.pixelSizeMM))
        var out = ReconVolume(geometry: g)
        out.values.withUnsafeMutableBufferPointer { op in
            for i in 0..<count {
                var s: Float = 0
                for w in 0..<workers { s += accs[w * count + i] }
                op[i] = s * unit
            }
        }
        return out
    }

    /// Filtered back projection of `p`, optionally multiplied by a Chang correction map
    /// (``SystemModel/changCorrection()``).
    public func reconstruct(_ p: Projections, chang: ReconVolume? = nil) -> ReconVolume {
        var x = backProject(filtered(p))
        if let c = chang { for i in 0..<x.values.count { x.values[i] *= c.values[i] } }
        return x
    }
}

extension SystemModel {
    /// First-order Chang correction map 1 / ((1/V) Σ_v a_v(p)), where a_v(p) is the survival probability from p
    /// towards view v's detector computed as in the projector (rotated μ, half of the emitting voxel). Ones when the
    /// model has no attenuation.
    public func changCorrection() -> ReconVolume {
        guard attenuation != nil else { return ReconVolume(geometry: geometry, value: 1) }
        let m = frame, nz = geometry.slices
        let views = Array(0..<geometry.views)
        let num = attenuation!.muPerMM.values.withUnsafeBufferPointer { mup in
            accumulateViews(views) { ws, v, acc in
                prepare(ws, view: v)
                for j in stride(from: m - 1, through: 0, by: -1) where ws.lo[j] <= ws.hi[j] {
                    attenuationPlane(ws, j, lo: ws.lo[j], hi: ws.hi[j], mu: mup.baseAddress!)
                    ws.rotation.adjointPlane(j, lo: ws.lo[j], hi: ws.hi[j], ws.att, acc)
                }
            }
        }
        let den = accumulateViews(views) { ws, v, acc in
            prepare(ws, view: v)
            ws.plane.update(repeating: 1, count: m * nz)
            for j in 0..<m where ws.lo[j] <= ws.hi[j] {
                ws.rotation.adjointPlane(j, lo: ws.lo[j], hi: ws.hi[j], ws.plane, acc)
            }
        }
        var out = ReconVolume(geometry: geometry, value: 1)
        for i in 0..<out.values.count where num.values[i] > 0 { out.values[i] = den.values[i] / num.values[i] }
        return out
    }
}

/// A 3-D Gaussian post-filter of given FWHM (mm), separable, truncated at 3σ, zero outside the grid.
public struct GaussianFilter: Sendable {
    /// Full width at half maximum, mm.
    public var fwhmMM: Double
    /// Creates the filter.
    public init(fwhmMM: Double) { self.fwhmMM = fwhmMM }

    /// The filtered image.
    public func apply(_ x: ReconVolume, geometry g: SPECTGeometry) -> ReconVolume {
        guard fwhmMM > 0 else { return x }
        let sigma = fwhmMM / (8 * log(2.0)).squareRoot()
        let wxy = PlaneKernels.gaussian(sigma: sigma, spacing: g.voxelSizeMM, truncation: 3)
        let wz = PlaneKernels.gaussian(sigma: sigma, spacing: g.sliceThicknessMM, truncation: 3)
        let n = x.n, nz = x.slices, K = wxy.count / 2
        var a = x.values, b = [Float](repeating: 0, count: a.count)
        // z (contiguous)
        a.withUnsafeBufferPointer { ap in b.withUnsafeMutableBufferPointer { bp in wz.withUnsafeBufferPointer { w in
            convolveZ(ap.baseAddress!, bp.baseAddress!, nr: n * n, nz: nz, w.baseAddress!, half: wz.count / 2)
        } } }
        // y: rows of length nz within each x
        a.withUnsafeMutableBufferPointer { ap in b.withUnsafeBufferPointer { bp in wxy.withUnsafeBufferPointer { w in
            for ix in 0..<n {
                convolveRRange(bp.baseAddress! + ix * n * nz, inLo: 0, inHi: n - 1, ap.baseAddress! + ix * n * nz,
                               outLo: 0, outHi: n - 1, nz: nz, w.baseAddress!, half: K, overwrite: true)
            }
        } } }
        // x: rows of length n·nz
        a.withUnsafeBufferPointer { ap in b.withUnsafeMutableBufferPointer { bp in wxy.withUnsafeBufferPointer { w in
            convolveRRange(ap.baseAddress!, inLo: 0, inHi: n - 1, bp.baseAddress!, outLo: 0, outHi: n - 1,
                           nz: n * nz, w.baseAddress!, half: K, overwrite: true)
        } } }
        var out = x
        out.values = b
        return out
    }
}

/// Conversion of reconstructed values to activity concentration.
///
/// The system model has unit efficiency, so a reconstructed voxel value is the expected number of counts per view
/// that the voxel's activity produces. With a planar calibration ε (cps/MBq) and a frame duration t (s per view):
/// A_voxel [Bq] = value / (ε·10⁻⁶ · t), and Bq/mL = A_voxel / V_voxel[mL], times an optional decay factor
/// (e.g. exp(λ·Δt) to refer the activity to an earlier reference time).
public struct Quantitation: Sendable, Equatable {
    /// Planar system sensitivity, counts per second per MBq.
    public var calibrationCPSPerMBq: Double
    /// Duration of one view (frame), s.
    public var frameDurationS: Double
    /// Voxel volume, mL.
    public var voxelVolumeML: Double
    /// Multiplicative decay correction (1 = none).
    public var decayFactor: Double

    /// Creates the conversion.
    public init(calibrationCPSPerMBq: Double, frameDurationS: Double, voxelVolumeML: Double, decayFactor: Double = 1) {
        self.calibrationCPSPerMBq = calibrationCPSPerMBq; self.frameDurationS = frameDurationS
        self.voxelVolumeML = voxelVolumeML; self.decayFactor = decayFactor
    }

    /// Reconstructed value per Bq/mL (the reference's `recon_units_per_Bq_per_mL`).
    public var valuePerBqPerML: Double { calibrationCPSPerMBq * 1e-6 * frameDurationS * voxelVolumeML / decayFactor }
    /// Bq/mL of one reconstructed value.
    public func bqPerML(_ value: Double) -> Double { value / valuePerBqPerML }
    /// The image in Bq/mL.
    public func apply(_ x: ReconVolume) -> ReconVolume { x.scaled(Float(1 / valuePerBqPerML)) }
}
