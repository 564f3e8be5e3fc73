import Dispatch
import Foundation
import Imaging
import Physics

/// The camera's physics forward model: for each view, the expected count rate per pixel and energy window of an
/// activity distribution, with attenuation, depth-dependent collimator–detector response, scatter and the energy
/// windows. Written independently of the Reconstruction module's projector (the simulator must not share its
/// forward model with the reconstruction it is used to test):
///
/// - Voxel emitters are treated as points at the voxel centre whose response is a Gaussian of variance
///   σ_CDR(d)² + Δ²/12 (the box of a voxel projects, at any angle, with variance Δ²/12), integrated exactly over
///   each detector pixel (erf differences, through a tabulated normal CDF).
/// - Attenuation: for each view and slice, the optical depth ∫μ ds from every point to the far edge of the grid
///   along +u(θ) is tabulated on a rotated (r, s) grid of one-voxel steps (trapezoid rule on bilinear μ) and
///   read back bilinearly; point sources are ray-marched exactly.
/// - Photon lines between 50 and 511 keV with ≥ 0.5 % yield that reach a window (as primaries or as scatter)
///   are simulated separately, each with its own μ, collimator resolution and efficiency.
public final class ForwardModel: @unchecked Sendable {
    /// One simulated photon line.
    public struct Line: Sendable {
        /// Energy (keV).
        public var energyKeV: Double
        /// Photons per decay.
        public var yield: Double
        /// Collimator efficiency × intrinsic efficiency.
        public var efficiency: Double
        /// Primary fraction per window.
        public var primaryFraction: [Double]
        /// Scatter fraction per window.
        public var scatterFraction: [Double]
    }

    /// The camera.
    public let camera: Camera
    /// The nuclide.
    public let nuclide: Radionuclide
    /// Simulated lines.
    public let lines: [Line]
    /// Lines of the nuclide that were left out, with the reason.
    public let omittedLines: [String]
    let muSize: GridSize
    let muGeometry: ImageGeometry
    let mu: [[Float]]          // per line, 1/mm (empty when no medium)
    let sigmaTables: [[Double]] // per line, σ_CDR (mm) at 0, 1, 2 … mm from the face
    static let phiTable: [Float] = (0...8192).map { i in Float(0.5 * erfc(-(Double(i) / 512 - 8) / 2.0.squareRoot())) }

    /// Prepares the model. `medium` gives the attenuating materials (nil: in air, no attenuation or scatter).
    public init(camera: Camera, nuclide: Radionuclide, medium: VoxelizedPhantom?) {
        self.camera = camera
        self.nuclide = nuclide
        var lines: [Line] = [], omitted: [String] = []
        for p in nuclide.photons {
            let e = p.energyKeV
            let s = camera.energySigmaKeV(e)
            let pf = camera.windows.map { camera.primaryFraction(energyKeV: e, window: $0) }
            let sf = camera.scatter.enabled ? camera.windows.map { camera.scatterFraction(energyKeV: e, window: $0) } : camera.windows.map { _ in 0.0 }
            let reaches = pf.contains { $0 > 1e-5 } || (medium != nil && sf.contains { $0 > 1e-4 })
            if p.yield < 0.005 { omitted.append(String(format: "%.1f keV (yield %.4f): below 0.5 %%", e, p.yield)); continue }
            if e < 50 || e > 511 { omitted.append(String(format: "%.1f keV (yield %.4f): outside the 50-511 keV attenuation tables (collimator penetration and high-energy lines not modelled)", e, p.yield)); continue }
            if !reaches { omitted.append(String(format: "%.1f keV (yield %.4f): reaches no window (σE %.1f keV)", e, p.yield, s)); continue }
            let eff = camera.collimator.geometricEfficiency(energyKeV: e) * camera.intrinsicEfficiency
            lines.append(Line(energyKeV: e, yield: p.yield, efficiency: eff, primaryFraction: pf, scatterFraction: sf))
        }
        self.lines = lines
        self.omittedLines = omitted
        if let medium {
            muSize = medium.size; muGeometry = medium.geometry
            mu = lines.map { medium.muMap(energyKeV: $0.energyKeV).voxels }
        } else {
            muSize = GridSize(x: 1, y: 1, z: 1); muGeometry = .axisAligned(); mu = []
        }
        sigmaTables = lines.map { l in
            (0...3000).map { d in camera.collimator.systemFWHM(distanceMM: Double(d), energyKeV: l.energyKeV, intrinsicFWHMmm: camera.intrinsicFWHMmm) / 2.354820045 }
        }
    }

    @inline(__always) static func phi(_ x: Float) -> Float {
        let t = (x + 8) * 512
        if t <= 0 { return 0 }
        if t >= 8192 { return 1 }
        let i = Int(t), f = t - Float(i)
        return phiTable.withUnsafeBufferPointer { $0[i] + f * ($0[i + 1] - $0[i]) }
    }

    @inline(__always) func sigma(_ line: Int, _ d: Double) -> Double {
        let t = sigmaTables[line]
        let x = min(max(d, 0), Double(t.count - 2))
        let i = Int(x), f = x - Double(i)
        return t[i] + f * (t[i + 1] - t[i])
    }

    /// Expected count rates (counts/s at the reference activity) for every pose, computed in parallel.
    public func rates(_ source: EmissionSource, poses: [DetectorPose], rows: Int? = nil) -> [ViewRates] {
        final class Box: @unchecked Sendable { var v: [ViewRates?]; let lock = NSLock(); init(_ n: Int) { v = Array(repeating: nil, count: n) } }
        let out = Box(poses.count)
        DispatchQueue.concurrentPerform(iterations: poses.count) { i in
            let r = self.viewRates(source, pose: poses[i], rows: rows ?? camera.rows)
            out.lock.lock(); out.v[i] = r; out.lock.unlock()
        }
        return out.v.map { $0! }
    }

    /// Expected count rates of one view.
    public func viewRates(_ source: EmissionSource, pose: DetectorPose, rows nRows: Int) -> ViewRates {
        let nC = camera.columns, nR = nRows, np = nC * nR
        let nW = camera.windows.count
        var primary = Array(repeating: [Float](repeating: 0, count: np), count: nW)
        var scatterSum = Array(repeating: [Float](repeating: 0, count: np), count: nW)
        let th = pose.angleDeg * .pi / 180
        let tx = cos(th), ty = sin(th), ux = sin(th), uy = -cos(th)
        let delta = camera.pixelSizeMM
        let cHalf = Double(nC - 1) / 2, rHalf = Double(nR - 1) / 2
        let beta = camera.scatter.buildUpCoefficient
        let doScatter = camera.scatter.enabled && !mu.isEmpty
        let phiT = Self.phiTable
        let prim = UnsafeMutablePointer<Float>.allocate(capacity: np)
        let scat = UnsafeMutablePointer<Float>.allocate(capacity: np)
        let wc = UnsafeMutablePointer<Float>.allocate(capacity: nC + 2)
        defer { prim.deallocate(); scat.deallocate(); wc.deallocate() }
        phiT.withUnsafeBufferPointer { ph in
            @inline(__always) func phi(_ x: Float) -> Float {
                let t = (x + 8) * 512
                if t <= 0 { return 0 }
                if t >= 8192 { return 1 }
                let i = Int(t), f = t - Float(i)
                return ph[i] + f * (ph[i + 1] - ph[i])
            }
            for (li, line) in lines.enumerated() {
                let scale = line.yield * line.efficiency
                prim.initialize(repeating: 0, count: np)
                scat.initialize(repeating: 0, count: np)
                let sTable = sigmaTables[li]
                let sMaxIndex = Double(sTable.count - 2)
                // Splat one emitter: pixel-integrated Gaussian (primary) and a bilinear scatter source.
                @inline(__always) func deposit(x: Double, y: Double, z: Double, bq: Double, tau: Double, vxVar: Double, vzVar: Double) {
                    let r = x * tx + y * ty, s = x * ux + y * uy
                    let dd = min(max(pose.radiusMM - s, 0), sMaxIndex)
                    let di = Int(dd), df = dd - Double(di)
                    let sg = sTable[di] + df * (sTable[di + 1] - sTable[di])
                    let sr = (sg * sg + vxVar).squareRoot(), sz = (sg * sg + vzVar).squareRoot()
                    let att = tau > 0 ? exp(-tau) : 1
                    let w = bq * scale * att
                    let cc = r / delta + cHalf, rr = (pose.axialCentreMM - z) / delta + rHalf
                    let ec = 4 * sr / delta, ez = 4 * sz / delta
                    let c0 = max(0, Int(cc - ec)), c1 = min(nC - 1, Int(cc + ec) + 1)
                    let r0 = max(0, Int(rr - ez)), r1 = min(nR - 1, Int(rr + ez) + 1)
                    if c0 <= c1 && r0 <= r1 && cc + ec >= 0 && rr + ez >= 0 {
                        let ic = Float(delta / sr), iz = Float(delta / sz)
                        let wf = Float(w)
                        let ccf = Float(cc), rrf = Float(rr)
                        var prev = phi((Float(c0) - 0.5 - ccf) * ic)
                        for c in c0...c1 { let nx = phi((Float(c) + 0.5 - ccf) * ic); wc[c - c0] = nx - prev; prev = nx }
                        var prevR = phi((Float(r0) - 0.5 - rrf) * iz)
                        for row in r0...r1 {
                            let nx = phi((Float(row) + 0.5 - rrf) * iz)
                            let wr = (nx - prevR) * wf; prevR = nx
                            if wr == 0 { continue }
                            let p = prim + row * nC
                            for c in c0...c1 { p[c] += wr * wc[c - c0] }
                        }
                    }
                    if doScatter && tau > 0 {
                        let ws = Float(w * (exp(beta * tau) - 1))
                        let fc = cc.rounded(.down), fr = rr.rounded(.down)
                        let ci = Int(fc), ri = Int(fr)
                        let ac = Float(cc - fc), ar = Float(rr - fr)
                        @inline(__always) func put(_ row: Int, _ c: Int, _ v: Float) {
                            if row >= 0 && row < nR && c >= 0 && c < nC { scat[row * nC + c] += v }
                        }
                        put(ri, ci, ws * (1 - ar) * (1 - ac)); put(ri, ci + 1, ws * (1 - ar) * ac)
                        put(ri + 1, ci, ws * ar * (1 - ac)); put(ri + 1, ci + 1, ws * ar * ac)
                    }
                }
                // Voxel emitters, slice by slice with an optical-depth table per slice.
                if !source.indices.isEmpty {
                    let g = source.geometry, sz = source.size
                    let vxVar = g.spacing.x * g.spacing.x / 12, vzVar = g.spacing.z * g.spacing.z / 12
                    let nxy = sz.x * sz.y
                    var start = 0
                    source.indices.withUnsafeBufferPointer { idx in
                        source.activityBq.withUnsafeBufferPointer { act in
                            while start < idx.count {
                                let k = Int(idx[start]) / nxy
                                var end = start
                                while end < idx.count && Int(idx[end]) / nxy == k { end += 1 }
                                let z = g.origin.z + Double(k) * g.spacing.z
                                let table = mu.isEmpty ? nil : depthTable(line: li, z: z, tx: tx, ty: ty, ux: ux, uy: uy,
                                                                          emitters: (start, end), source: source)
                                for e in start..<end {
                                    let lin = Int(idx[e]) - k * nxy
                                    let i = lin % sz.x, j = lin / sz.x
                                    let x = g.origin.x + Double(i) * g.spacing.x, y = g.origin.y + Double(j) * g.spacing.y
                                    let tau = table?.lookup(r: x * tx + y * ty, s: x * ux + y * uy) ?? 0
                                    deposit(x: x, y: y, z: z, bq: Double(act[e]), tau: tau, vxVar: vxVar, vzVar: vzVar)
                                }
                                start = end
                            }
                        }
                    }
                }
                for p in source.points {
                    let tau = mu.isEmpty ? 0 : rayDepth(line: li, from: p.position, ux: ux, uy: uy)
                    deposit(x: p.position.x, y: p.position.y, z: p.position.z, bq: p.activityBq, tau: tau, vxVar: 0, vzVar: 0)
                }
                let spread = doScatter && line.scatterFraction.contains { $0 > 0 } ? convolveScatter(Array(UnsafeBufferPointer(start: scat, count: np)), rows: nR) : []
                for w in 0..<nW {
                    let pf = Float(line.primaryFraction[w]), sf = Float(line.scatterFraction[w])
                    if pf > 0 { for i in 0..<np { primary[w][i] += pf * prim[i] } }
                    if !spread.isEmpty && sf > 0 { for i in 0..<np { scatterSum[w][i] += sf * spread[i] } }
                }
            }
        }
        return ViewRates(primary: primary, scatter: scatterSum)
    }

    /// Optical depth table of one slice on a rotated grid: τ(r, s) = ∫_s^∞ μ(r t + s' u) ds'.
    struct DepthTable {
        var r0: Double, s0: Double, h: Double, nr: Int, ns: Int
        var tau: [Float]
        @inline(__always) func lookup(r: Double, s: Double) -> Double {
            let fr = (r - r0) / h, fs = (s - s0) / h
            let ir = min(max(Int(fr), 0), nr - 2), isx = min(max(Int(fs), 0), ns - 2)
            let ar = min(max(fr - Double(ir), 0), 1), asx = min(max(fs - Double(isx), 0), 1)
            return tau.withUnsafeBufferPointer { t in
                let a = Double(t[ir * ns + isx]), b = Double(t[ir * ns + isx + 1])
                let c = Double(t[(ir + 1) * ns + isx]), d = Double(t[(ir + 1) * ns + isx + 1])
                return (a * (1 - asx) + b * asx) * (1 - ar) + (c * (1 - asx) + d * asx) * ar
            }
        }
    }

    /// Bilinear μ (1/mm) of line `li` in the slice plane at continuous grid index (fi, fj), integer slice k.
    @inline(__always) func muBilinear(_ m: UnsafeBufferPointer<Float>, _ fi: Double, _ fj: Double, _ k: Int) -> Double {
        let nx = muSize.x, ny = muSize.y
        guard fi > -1, fj > -1, fi < Double(nx), fj < Double(ny) else { return 0 }
        let i0 = Int(fi.rounded(.down)), j0 = Int(fj.rounded(.down))
        let ai = fi - Double(i0), aj = fj - Double(j0)
        let base = k * nx * ny
        func v(_ i: Int, _ j: Int) -> Double { (i >= 0 && j >= 0 && i < nx && j < ny) ? Double(m[base + j * nx + i]) : 0 }
        return (v(i0, j0) * (1 - ai) + v(i0 + 1, j0) * ai) * (1 - aj) + (v(i0, j0 + 1) * (1 - ai) + v(i0 + 1, j0 + 1) * ai) * aj
    }

    func depthTable(line li: Int, z: Double, tx: Double, ty: Double, ux: Double, uy: Double,
                    emitters: (Int, Int), source: EmissionSource) -> DepthTable? {
        let g = muGeometry
        let fk = (z - g.origin.z) / g.spacing.z
        let k = Int(fk.rounded())
        guard k >= 0 && k < muSize.z && abs(fk - Double(k)) < 0.01 else {
            // Emission slice not on a μ slice: fall back to the nearest μ slice.
            return depthTableAt(li: li, k: min(max(Int(fk.rounded()), 0), muSize.z - 1), tx: tx, ty: ty, ux: ux, uy: uy, emitters: emitters, source: source)
        }
        return depthTableAt(li: li, k: k, tx: tx, ty: ty, ux: ux, uy: uy, emitters: emitters, source: source)
    }

    func depthTableAt(li: Int, k: Int, tx: Double, ty: Double, ux: Double, uy: Double,
                      emitters: (Int, Int), source: EmissionSource) -> DepthTable {
        let g = muGeometry
        let h = min(g.spacing.x, g.spacing.y)
        // Extent of the μ slice from the axis.
        let corners = [g.patientPosition(i: -0.5, j: -0.5, k: 0), g.patientPosition(i: Double(muSize.x) - 0.5, j: -0.5, k: 0),
                       g.patientPosition(i: -0.5, j: Double(muSize.y) - 0.5, k: 0), g.patientPosition(i: Double(muSize.x) - 0.5, j: Double(muSize.y) - 0.5, k: 0)]
        let sMax = corners.map { $0.x * ux + $0.y * uy }.max()! + h
        // r and s range of the emitters in this slice.
        let sg = source.geometry, nxy = source.size.x * source.size.y
        var rMin = Double.infinity, rMax = -Double.infinity, sMin = Double.infinity
        for e in emitters.0..<emitters.1 {
            let lin = Int(source.indices[e]) % nxy
            let x = sg.origin.x + Double(lin % source.size.x) * sg.spacing.x, y = sg.origin.y + Double(lin / source.size.x) * sg.spacing.y
            let r = x * tx + y * ty, s = x * ux + y * uy
            rMin = min(rMin, r); rMax = max(rMax, r); sMin = min(sMin, s)
        }
        let r0 = rMin - h, s0 = min(sMin - h, sMax - 2 * h)
        let nr = Int(((rMax + h - r0) / h).rounded(.up)) + 1
        let ns = Int(((sMax - s0) / h).rounded(.up)) + 1
        var tau = [Float](repeating: 0, count: nr * ns)
        let ox = g.origin.x, oy = g.origin.y, dx = g.spacing.x, dy = g.spacing.y
        mu[li].withUnsafeBufferPointer { m in
            var col = [Double](repeating: 0, count: ns)
            for ir in 0..<nr {
                let r = r0 + Double(ir) * h
                for isx in 0..<ns {
                    let s = s0 + Double(isx) * h
                    let x = r * tx + s * ux, y = r * ty + s * uy
                    col[isx] = muBilinear(m, (x - ox) / dx, (y - oy) / dy, k)
                }
                var acc = 0.0
                tau[ir * ns + ns - 1] = 0
                for isx in stride(from: ns - 2, through: 0, by: -1) {
                    acc += h * (col[isx] + col[isx + 1]) / 2
                    tau[ir * ns + isx] = Float(acc)
                }
            }
        }
        return DepthTable(r0: r0, s0: s0, h: h, nr: nr, ns: ns, tau: tau)
    }

    /// Optical depth from `p` along +u to the edge of the μ grid (trilinear μ, 0.25-voxel steps).
    func rayDepth(line li: Int, from p: Vector3, ux: Double, uy: Double) -> Double {
        let g = muGeometry
        let step = min(g.spacing.x, g.spacing.y) / 4
        let ext = Double(max(muSize.x, muSize.y)) * max(g.spacing.x, g.spacing.y) * 1.5
        let fk = (p.z - g.origin.z) / g.spacing.z
        let k0 = Int(fk.rounded(.down)), ak = fk - Double(k0)
        var acc = 0.0
        mu[li].withUnsafeBufferPointer { m in
            func muAt(_ x: Double, _ y: Double) -> Double {
                let fi = (x - g.origin.x) / g.spacing.x, fj = (y - g.origin.y) / g.spacing.y
                var v = 0.0
                if k0 >= 0 && k0 < muSize.z { v += (1 - ak) * muBilinear(m, fi, fj, k0) }
                if k0 + 1 >= 0 && k0 + 1 < muSize.z { v += ak * muBilinear(m, fi, fj, k0 + 1) }
                return v
            }
            var s = 0.0
            var prev = muAt(p.x, p.y)
            while s < ext {
                s += step
                let cur = muAt(p.x + s * ux, p.y + s * uy)
                acc += step * (prev + cur) / 2
                prev = cur
            }
        }
        return acc
    }

    /// The scatter kernel (normalised sum of Gaussians) applied to a scatter-source image; counts leaving the
    /// detector are lost.
    func convolveScatter(_ img: [Float], rows nR: Int) -> [Float] {
        let nC = camera.columns
        var out = [Float](repeating: 0, count: img.count)
        for (sigma, weight) in zip(camera.scatter.kernelSigmasMM, camera.scatter.kernelWeights) {
            let sp = sigma / camera.pixelSizeMM
            let half = Int((4 * sp).rounded(.up))
            // Pixel-integrated 1-D kernel.
            var k = [Float](repeating: 0, count: 2 * half + 1)
            for i in -half...half {
                k[i + half] = Float(0.5 * (erf((Double(i) + 0.5) / (sp * 2.0.squareRoot())) - erf((Double(i) - 0.5) / (sp * 2.0.squareRoot()))))
            }
            var tmp = [Float](repeating: 0, count: img.count)
            for r in 0..<nR {
                for c in 0..<nC {
                    let v = img[r * nC + c]
                    if v == 0 { continue }
                    let lo = max(0, c - half), hi = min(nC - 1, c + half)
                    for cc in lo...hi { tmp[r * nC + cc] += v * k[cc - c + half] }
                }
            }
            let wf = Float(weight)
            for r in 0..<nR {
                let lo = max(0, r - half), hi = min(nR - 1, r + half)
                for rr in lo...hi {
                    let kw = k[rr - r + half] * wf
                    let src = r * nC, dst = rr * nC
                    for c in 0..<nC { out[dst + c] += kw * tmp[src + c] }
                }
            }
        }
        return out
    }
}
