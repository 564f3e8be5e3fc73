import Foundation

// Low-level kernels on raw buffers. Everything here works on the projector's layouts:
//   object  [x][y][z]            (z contiguous)
//   rotated [s][r][z]            (s = depth along u(θ), plane s contiguous as [r][z])
//   detector image [r][z]        (on the voxel grid, before resampling to pixels)
// Bounds are validated by the callers once; loops use unchecked arithmetic.

/// A pointer that may cross into `concurrentPerform` workers; each worker writes disjoint memory.
struct SharedPointer<T>: @unchecked Sendable {
    let p: UnsafeMutablePointer<T>
    init(_ p: UnsafeMutablePointer<T>) { self.p = p }
}

/// A closure that may be called from `concurrentPerform` workers (callers guarantee disjoint writes).
struct SendableBody: @unchecked Sendable {
    let f: (Int) -> Void
}

/// Runs `body(worker)` on `workers` threads (inline when 1), each with subnormal floats flushed to zero
/// (``withSubnormalsFlushed(_:)``).
func parallelFor(_ workers: Int, _ body: (Int) -> Void) {
    if workers <= 1 { withSubnormalsFlushed { body(0) }; return }
    withoutActuallyEscaping(body) { b in
        let box = SendableBody(f: b)
        DispatchQueue.concurrentPerform(iterations: workers) { w in withSubnormalsFlushed { box.f(w) } }
    }
}

/// Runs `body` on the current thread with subnormal float inputs read as 0 and subnormal results written as 0
/// (x86-64 MXCSR DAZ + FTZ), then restores the thread's floating-point environment.
///
/// OSEM drives voxels where the data see nothing towards 0 multiplicatively; once they pass below 1.2e-38 every
/// operation on them takes a microcode assist on x86 (the projector ran 3–4× slower on such an image). Flushing
/// changes only values below 1.2e-38, far under float resolution of anything else in the sums.
@inline(__always)
func withSubnormalsFlushed<R>(_ body: () -> R) -> R {
    #if arch(x86_64) && os(Linux)
    var saved = fenv_t()
    fegetenv(&saved)
    var flushed = saved
    flushed.__mxcsr |= 0x8040  // FTZ (bit 15) | DAZ (bit 6)
    fesetenv(&flushed)
    defer { fesetenv(&saved) }
    return body()
    #else
    return body()
    #endif
}

/// exp(x) for x ≤ 0 (clamped at −87), ~1e-7 relative error; written so that loops over it vectorise.
@inline(__always)
func expNonPositive(_ x: Float) -> Float {
    let xc = max(x, -87.0)
    let t = xc * 1.442695040888963  // log2(e)
    // Round to nearest with the 1.5·2²³ trick: no float→int conversion, so loops over this vectorise.
    let magic: Float = 12582912
    let r = t + magic
    let nf = r - magic
    let g = (t - nf) * 0.6931471805599453  // in [-0.347, 0.347]
    // Taylor to degree 7: error < 6e-9 on the range.
    var p: Float = 1.0 / 5040
    p = p * g + 1.0 / 720
    p = p * g + 1.0 / 120
    p = p * g + 1.0 / 24
    p = p * g + 1.0 / 6
    p = p * g + 0.5
    p = p * g + 1
    p = p * g + 1
    let bits = (r.bitPattern &- magic.bitPattern &+ 127) &<< 23
    return p * Float(bitPattern: bits)
}

/// y[0..<n] += a·x[0..<n]
@inline(__always)
func axpy(_ n: Int, _ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
    for i in 0..<n { y[i] += a * x[i] }
}

/// A 1-D linear map between two sample grids as compressed rows: `out[o] = Σ_k w[k]·in[first[o] + k]`.
/// Used to resample the projector's voxel-spaced detector image onto the detector pixels (count conserving:
/// weights are the fraction of each source interval covered by the destination interval).
struct Resampler1D: Sendable, Hashable {
    /// Number of source samples.
    let sourceCount: Int
    /// Number of destination samples.
    let destCount: Int
    /// True when the map is the identity (same spacing, same centres, same count).
    let isIdentity: Bool
    let first: [Int]
    let start: [Int]  // into weights; count = start[o+1] - start[o]
    let weights: [Float]

    /// Source cells centred at `srcCentre + (i − (ns−1)/2)·ds`, destination cells at `dstCentre + (o − (nd−1)/2)·dd`.
    init(sourceCount ns: Int, sourceSpacing ds: Double, sourceCentre sc: Double,
         destCount nd: Int, destSpacing dd: Double, destCentre dc: Double) {
        sourceCount = ns; destCount = nd
        isIdentity = ns == nd && abs(ds - dd) < 1e-9 * dd && abs(sc - dc) < 1e-6 * dd
        var first = [Int](), start = [0], weights = [Float]()
        for o in 0..<nd {
            let lo = dc + (Double(o) - Double(nd - 1) / 2) * dd - dd / 2, hi = lo + dd
            // source index range overlapping [lo, hi]
            let fLo = (lo - sc) / ds + Double(ns - 1) / 2 + 0.5, fHi = (hi - sc) / ds + Double(ns - 1) / 2 + 0.5
            let i0 = max(0, Int(fLo.rounded(.down))), i1 = min(ns - 1, Int(fHi.rounded(.up)) - 1)
            first.append(max(i0, 0))
            if i0 <= i1 {
                for i in i0...i1 {
                    let a = sc + (Double(i) - Double(ns - 1) / 2) * ds - ds / 2, b = a + ds
                    let ov = max(0, min(b, hi) - max(a, lo))
                    weights.append(Float(ov / ds))
                }
            }
            start.append(weights.count)
        }
        self.first = first; self.start = start; self.weights = weights
    }
}

/// Gaussian kernels for each depth plane of one view (r and z separately).
struct PlaneKernels {
    /// Half-widths per plane (r, z).
    var halfR: [Int] = [], halfZ: [Int] = []
    /// Weights: plane p's r kernel is `wR[offR[p] ..< offR[p] + 2·halfR[p] + 1]`.
    var offR: [Int] = [], offZ: [Int] = []
    var wR: [Float] = [], wZ: [Float] = []

    static func gaussian(sigma: Double, spacing: Double, truncation: Double) -> [Float] {
        guard sigma > 0 else { return [1] }
        let s = sigma / spacing
        let k = max(0, Int((truncation * s).rounded(.up)))
        if k == 0 { return [1] }
        var w = (-k...k).map { i in exp(-Double(i * i) / (2 * s * s)) }
        let t = w.reduce(0, +)
        w = w.map { $0 / t }
        return w.map(Float.init)
    }
}

// MARK: - rotation (bilinear, transaxial plane)

/// Rotation of the object into the view frame: frame point (i, j) (i along t(θ), j along u(θ), both centred on
/// the rotation axis with the transaxial voxel spacing) → fractional voxel index fx = a0 + i·cx + j·sx,
/// fy = b0 + i·cy + j·sy. Only frame points whose bilinear footprint touches the grid are visited (`lo[j]…hi[j]`).
struct RotationFrame {
    let n: Int       // object side
    let m: Int       // frame side
    let nz: Int
    let a0: Double, b0: Double
    let cx: Double, sx: Double, cy: Double, sy: Double

    /// r = (i − (m−1)/2)·Δ, s = (j − (m−1)/2)·Δ; p = r·t + s·u, t = (cos θ, sin θ), u = (sin θ, −cos θ).
    init(n: Int, frame m: Int, nz: Int, thetaDeg: Double, centreX: Double, centreY: Double, voxel: Double) {
        self.n = n; self.m = m; self.nz = nz
        let th = thetaDeg * .pi / 180, c = cos(th), s = sin(th)
        let hn = Double(n - 1) / 2, hm = Double(m - 1) / 2
        cx = c; sx = s; cy = s; sy = -c
        a0 = hn - centreX / voxel - hm * c - hm * s
        b0 = hn - centreY / voxel - hm * s + hm * c
    }

    @inline(__always) func inside(_ i: Int, _ j: Int) -> Bool {
        let fx = a0 + Double(i) * cx + Double(j) * sx, fy = b0 + Double(i) * cy + Double(j) * sy
        return fx > -1 && fy > -1 && fx < Double(n) && fy < Double(n)
    }

    /// For each plane j the interval of frame rows i whose footprint touches the grid (lo > hi when none).
    func validRanges(lo: UnsafeMutablePointer<Int>, hi: UnsafeMutablePointer<Int>) {
        for j in 0..<m {
            var l = m, h = -1
            for i in 0..<m where inside(i, j) { if i < l { l = i }; h = i }
            lo[j] = l; hi[j] = h
        }
    }

    /// plane[i][:] = bilinear(x at frame point (i, j)) for i in lo…hi (other rows untouched).
    ///
    /// With `active` (one flag per object z row, x·n + y) and `hit`: frame rows whose footprint touches no active
    /// row are neither read nor written (their value would be exactly 0) and get `hit[i] = false`; the others are
    /// computed as usual and get `hit[i] = true`.
    func forwardPlane(_ j: Int, lo: Int, hi: Int, _ x: UnsafePointer<Float>, _ plane: UnsafeMutablePointer<Float>,
                      active: UnsafePointer<Bool>? = nil, hit: UnsafeMutablePointer<Bool>? = nil) {
        let n = n, nz = nz
        if lo > hi { return }
        do {
            for i in lo...hi {
                let dst = plane + i &* nz
                let fx = a0 + Double(i) * cx + Double(j) * sx
                let fy = b0 + Double(i) * cy + Double(j) * sy
                let fxf = fx.rounded(.down), fyf = fy.rounded(.down)
                let ix = Int(fxf), iy = Int(fyf)
                if let active, let hit {
                    let x0 = ix >= 0 && ix < n, x1 = ix + 1 >= 0 && ix + 1 < n
                    let y0 = iy >= 0 && iy < n, y1 = iy + 1 >= 0 && iy + 1 < n
                    let any = (x0 && y0 && active[ix &* n &+ iy]) || (x1 && y0 && active[(ix &+ 1) &* n &+ iy])
                        || (x0 && y1 && active[ix &* n &+ iy &+ 1]) || (x1 && y1 && active[(ix &+ 1) &* n &+ iy &+ 1])
                    hit[i] = any
                    if !any { continue }
                }
                let wx = Float(fx - fxf), wy = Float(fy - fyf)
                let w00 = (1 - wx) * (1 - wy), w10 = wx * (1 - wy), w01 = (1 - wx) * wy, w11 = wx * wy
                if ix >= 0 && iy >= 0 && ix + 1 < n && iy + 1 < n {
                    let p00 = x + (ix * n + iy) * nz
                    let p01 = p00 + nz, p10 = p00 + n * nz, p11 = p10 + nz
                    bilinearRow(dst, p00, p10, p01, p11, w00, w10, w01, w11, nz: nz)
                } else {
                    dst.update(repeating: 0, count: nz)
                    for (dx, dy, w) in [(0, 0, w00), (1, 0, w10), (0, 1, w01), (1, 1, w11)] {
                        let X = ix + dx, Y = iy + dy
                        if X >= 0 && Y >= 0 && X < n && Y < n && w != 0 {
                            axpy(nz, w, x + (X * n + Y) * nz, dst)
                        }
                    }
                }
            }
        }
    }

    /// acc[x][y][:] += bilinear weights · plane[i][:] for i in lo…hi (the exact transpose of ``forwardPlane``).
    /// With `scale`, plane[i][:]·scale[i][:] is spread instead (the attenuation factors, fused; `plane` keeps
    /// its values except on rows whose footprint leaves the grid, which are scaled in place).
    func adjointPlane(_ j: Int, lo: Int, hi: Int, _ plane: UnsafeMutablePointer<Float>, _ acc: UnsafeMutablePointer<Float>,
                      scale: UnsafePointer<Float>? = nil) {
        let n = n, nz = nz
        if lo > hi { return }
        do {
            for i in lo...hi {
                let fx = a0 + Double(i) * cx + Double(j) * sx
                let fy = b0 + Double(i) * cy + Double(j) * sy
                let fxf = fx.rounded(.down), fyf = fy.rounded(.down)
                let ix = Int(fxf), iy = Int(fyf)
                let src = plane + i &* nz
                let wx = Float(fx - fxf), wy = Float(fy - fyf)
                let w00 = (1 - wx) * (1 - wy), w10 = wx * (1 - wy), w01 = (1 - wx) * wy, w11 = wx * wy
                if ix >= 0 && iy >= 0 && ix + 1 < n && iy + 1 < n {
                    let p00 = acc + (ix * n + iy) * nz
                    let p01 = p00 + nz, p10 = p00 + n * nz, p11 = p10 + nz
                    bilinearRowAdjoint(src, p00, p10, p01, p11, w00, w10, w01, w11, nz: nz,
                                       scale: scale.map { $0 + i &* nz })
                } else {
                    if let m = scale {
                        let mr = m + i &* nz
                        for z in 0..<nz { src[z] *= mr[z] }
                    }
                    for (dx, dy, w) in [(0, 0, w00), (1, 0, w10), (0, 1, w01), (1, 1, w11)] {
                        let X = ix + dx, Y = iy + dy
                        if X >= 0 && Y >= 0 && X < n && Y < n && w != 0 {
                            axpy(nz, w, src, acc + (X * n + Y) * nz)
                        }
                    }
                }
            }
        }
    }
}

/// d[z] = w00·p00[z] + w10·p10[z] + w01·p01[z] + w11·p11[z] (explicit 16-wide vectors: no aliasing checks).
@inline(__always)
func bilinearRow(_ d: UnsafeMutablePointer<Float>, _ p00: UnsafePointer<Float>, _ p10: UnsafePointer<Float>,
                 _ p01: UnsafePointer<Float>, _ p11: UnsafePointer<Float>,
                 _ w00: Float, _ w10: Float, _ w01: Float, _ w11: Float, nz: Int) {
    typealias V = SIMD16<Float>
    let v00 = V(repeating: w00), v10 = V(repeating: w10), v01 = V(repeating: w01), v11 = V(repeating: w11)
    var z = 0
    while z &+ 16 <= nz {
        let off = z &* 4
        var a = v00 * UnsafeRawPointer(p00).loadUnaligned(fromByteOffset: off, as: V.self)
        a += v10 * UnsafeRawPointer(p10).loadUnaligned(fromByteOffset: off, as: V.self)
        a += v01 * UnsafeRawPointer(p01).loadUnaligned(fromByteOffset: off, as: V.self)
        a += v11 * UnsafeRawPointer(p11).loadUnaligned(fromByteOffset: off, as: V.self)
        UnsafeMutableRawPointer(d).storeBytes(of: a, toByteOffset: off, as: V.self)
        z &+= 16
    }
    while z < nz { d[z] = w00 * p00[z] + w10 * p10[z] + w01 * p01[z] + w11 * p11[z]; z &+= 1 }
}

/// p00[z] += w00·s[z], p10[z] += w10·s[z], p01[z] += w01·s[z], p11[z] += w11·s[z] (the transpose of ``bilinearRow``;
/// the four rows are distinct voxel rows, so the order of the updates does not matter).
@inline(__always)
func bilinearRowAdjoint(_ s: UnsafePointer<Float>, _ p00: UnsafeMutablePointer<Float>, _ p10: UnsafeMutablePointer<Float>,
                        _ p01: UnsafeMutablePointer<Float>, _ p11: UnsafeMutablePointer<Float>,
                        _ w00: Float, _ w10: Float, _ w01: Float, _ w11: Float, nz: Int,
                        scale: UnsafePointer<Float>? = nil) {
    typealias V = SIMD16<Float>
    if let m = scale {
        // Same with s[z]·m[z] in place of s[z].
        let v00 = V(repeating: w00), v10 = V(repeating: w10), v01 = V(repeating: w01), v11 = V(repeating: w11)
        let r00 = UnsafeMutableRawPointer(p00), r10 = UnsafeMutableRawPointer(p10)
        let r01 = UnsafeMutableRawPointer(p01), r11 = UnsafeMutableRawPointer(p11)
        var z = 0
        while z &+ 16 <= nz {
            let off = z &* 4
            let v = UnsafeRawPointer(s).loadUnaligned(fromByteOffset: off, as: V.self)
                * UnsafeRawPointer(m).loadUnaligned(fromByteOffset: off, as: V.self)
            r00.storeBytes(of: r00.loadUnaligned(fromByteOffset: off, as: V.self) + v00 * v, toByteOffset: off, as: V.self)
            r10.storeBytes(of: r10.loadUnaligned(fromByteOffset: off, as: V.self) + v10 * v, toByteOffset: off, as: V.self)
            r01.storeBytes(of: r01.loadUnaligned(fromByteOffset: off, as: V.self) + v01 * v, toByteOffset: off, as: V.self)
            r11.storeBytes(of: r11.loadUnaligned(fromByteOffset: off, as: V.self) + v11 * v, toByteOffset: off, as: V.self)
            z &+= 16
        }
        while z < nz {
            let v = s[z] * m[z]
            p00[z] += w00 * v; p10[z] += w10 * v; p01[z] += w01 * v; p11[z] += w11 * v
            z &+= 1
        }
        return
    }
    let v00 = V(repeating: w00), v10 = V(repeating: w10), v01 = V(repeating: w01), v11 = V(repeating: w11)
    var z = 0
    while z &+ 16 <= nz {
        let off = z &* 4
        let v = UnsafeRawPointer(s).loadUnaligned(fromByteOffset: off, as: V.self)
        let r00 = UnsafeMutableRawPointer(p00), r10 = UnsafeMutableRawPointer(p10)
        let r01 = UnsafeMutableRawPointer(p01), r11 = UnsafeMutableRawPointer(p11)
        r00.storeBytes(of: r00.loadUnaligned(fromByteOffset: off, as: V.self) + v00 * v, toByteOffset: off, as: V.self)
        r10.storeBytes(of: r10.loadUnaligned(fromByteOffset: off, as: V.self) + v10 * v, toByteOffset: off, as: V.self)
        r01.storeBytes(of: r01.loadUnaligned(fromByteOffset: off, as: V.self) + v01 * v, toByteOffset: off, as: V.self)
        r11.storeBytes(of: r11.loadUnaligned(fromByteOffset: off, as: V.self) + v11 * v, toByteOffset: off, as: V.self)
        z &+= 16
    }
    while z < nz {
        let v = s[z]
        p00[z] += w00 * v; p10[z] += w10 * v; p01[z] += w01 * v; p11[z] += w11 * v
        z &+= 1
    }
}

// MARK: - separable convolution of one plane [r][z]

/// out[i][z] = Σ_k w[k]·in[i][z+k−K], zero outside (convolution along the contiguous axis); with `scale`,
/// in[i][z]·scale[i][z] is convolved instead (the attenuation factors, fused into the row copy).
///
/// Each row is copied once into a zero-padded scratch row; every output block of 64 (then 16, then 1) values is
/// summed over the taps in registers and stored once (no read-modify-write passes per tap).
@inline(__always)
func convolveZ(_ inp: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, nr: Int, nz: Int,
               _ w: UnsafePointer<Float>, half K: Int, scale: UnsafePointer<Float>? = nil) {
    if K == 0 {
        let a = w[0]
        if let m = scale {
            for t in 0..<(nr &* nz) { out[t] = a * (inp[t] * m[t]) }
        } else {
            for t in 0..<(nr &* nz) { out[t] = a * inp[t] }
        }
        return
    }
    // Taps with |t| ≥ nz never meet a sample of the row.
    let ke = min(K, nz - 1)
    let wc = w + (K - ke)  // wc[0 ... 2ke] = w[K−ke ... K+ke]
    let taps = 2 &* ke &+ 1
    let padCount = nz &+ 2 &* ke
    withUnsafeTemporaryAllocation(of: Float.self, capacity: padCount) { buf in
        let pad = buf.baseAddress!
        pad.initialize(repeating: 0, count: padCount)
        for i in 0..<nr {
            let s = inp + i &* nz, o = out + i &* nz
            if let m = scale {
                let d = pad + ke, mr = m + i &* nz
                for z in 0..<nz { d[z] = s[z] * mr[z] }
            } else {
                (pad + ke).update(from: s, count: nz)
            }
            convolveRow(pad, o, count: nz, wc, taps: taps)
        }
    }
}

/// o[z] = Σ_{k<taps} w[k]·p[z+k] for z < count (p holds count + taps − 1 values).
@inline(__always)
func convolveRow(_ p: UnsafePointer<Float>, _ o: UnsafeMutablePointer<Float>, count: Int,
                 _ w: UnsafePointer<Float>, taps: Int) {
    typealias V = SIMD16<Float>
    var z = 0
    while z &+ 64 <= count {
        var a0 = V(), a1 = V(), a2 = V(), a3 = V()
        for k in 0..<taps {
            let c = V(repeating: w[k])
            let q = UnsafeRawPointer(p + (z &+ k))
            a0 += c * q.loadUnaligned(as: V.self)
            a1 += c * q.loadUnaligned(fromByteOffset: 64, as: V.self)
            a2 += c * q.loadUnaligned(fromByteOffset: 128, as: V.self)
            a3 += c * q.loadUnaligned(fromByteOffset: 192, as: V.self)
        }
        let d = UnsafeMutableRawPointer(o + z)
        d.storeBytes(of: a0, as: V.self); d.storeBytes(of: a1, toByteOffset: 64, as: V.self)
        d.storeBytes(of: a2, toByteOffset: 128, as: V.self); d.storeBytes(of: a3, toByteOffset: 192, as: V.self)
        z &+= 64
    }
    while z &+ 16 <= count {
        var a0 = V()
        for k in 0..<taps { a0 += V(repeating: w[k]) * UnsafeRawPointer(p + (z &+ k)).loadUnaligned(as: V.self) }
        UnsafeMutableRawPointer(o + z).storeBytes(of: a0, as: V.self)
        z &+= 16
    }
    while z < count {
        var a: Float = 0
        for k in 0..<taps { a += w[k] * p[z &+ k] }
        o[z] = a
        z &+= 1
    }
}
