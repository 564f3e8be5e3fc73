import Foundation

public extension Volume {
    /// Averages blocks of f voxels per axis (f = ⌊target spacing / spacing⌋ along that axis), keeping the patient
    /// position of each block's centre; returns the volume unchanged when no axis shrinks by 2 or more. Output slices
    /// are computed in parallel.
    func blockAveraged(towards spacing: Vector3) -> Volume {
        let g = geometry
        let f = (max(1, Int(spacing.x / g.spacing.x + 1e-6)), max(1, Int(spacing.y / g.spacing.y + 1e-6)), max(1, Int(spacing.z / g.spacing.z + 1e-6)))
        guard f.0 > 1 || f.1 > 1 || f.2 > 1 else { return self }
        let n = GridSize(x: size.x / f.0, y: size.y / f.1, z: size.z / f.2)
        guard n.x > 0, n.y > 0, n.z > 0 else { return self }
        let (sx, sy) = (size.x, size.y)
        var out = [Float](repeating: 0, count: n.count)
        let inv = 1 / Float(f.0 * f.1 * f.2)
        voxels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                let s = SendableBox(src.baseAddress!), d = SendableBox(dst.baseAddress!)
                DispatchQueue.concurrentPerform(iterations: n.z) { k in
                    let src = s.value, out = d.value + k &* n.x &* n.y
                    // Sum the block's rows into one row of n.x block sums, then scale.
                    for j in 0..<n.y {
                        let o = out + j &* n.x
                        for c in 0..<f.2 {
                            for b in 0..<f.1 {
                                var p = src + ((k &* f.2 &+ c) &* sy &+ j &* f.1 &+ b) &* sx
                                for i in 0..<n.x {
                                    var sum: Float = 0
                                    for a in 0..<f.0 { sum += p[a] }
                                    o[i] += sum
                                    p = p + f.0
                                }
                            }
                        }
                        for i in 0..<n.x { o[i] *= inv }
                    }
                }
            }
        }
        var ng = g
        ng.origin = g.origin + g.rowDirection * (Double(f.0 - 1) / 2 * g.spacing.x) + g.columnDirection * (Double(f.1 - 1) / 2 * g.spacing.y)
            + g.sliceDirection * (Double(f.2 - 1) / 2 * g.spacing.z)
        ng.spacing = Vector3(g.spacing.x * Double(f.0), g.spacing.y * Double(f.1), g.spacing.z * Double(f.2))
        return Volume(unchecked: n, voxels: out, geometry: ng, units: units, frameOfReferenceUID: frameOfReferenceUID)
    }

    /// This volume block-averaged and resampled trilinearly onto another (usually coarser) grid, for showing one
    /// series on another's grid (a CT fused on a SPECT): blocks of f voxels per axis are averaged first (as
    /// ``blockAveraged(towards:)``, f = ⌊target step / source spacing⌋ along each axis) so that the trilinear sampling
    /// does not alias, then the block grid is sampled trilinearly at each target voxel centre; target voxels whose
    /// centre lies more than half a block outside this volume get `outside`.
    ///
    /// When every target axis is parallel to a source axis (in any order and sign — SPECT/CT, PET/CT), the two
    /// steps are one separable filter: per axis a table of source indices and weights (2·f taps per target index),
    /// applied along x on contiguous rows, then y, slice by slice in parallel, then z. Oblique grids fall back to
    /// ``blockAveraged(towards:)`` followed by ``resampled(to:geometry:outside:)``.
    func resampledForDisplay(to size: GridSize, geometry target: ImageGeometry, outside: Float = 0) throws(GeometryError) -> Volume {
        let s0 = try geometry.continuousIndex(of: target.patientPosition(i: 0, j: 0, k: 0))
        let steps = [try geometry.continuousIndex(of: target.patientPosition(i: 1, j: 0, k: 0)) - s0,
                     try geometry.continuousIndex(of: target.patientPosition(i: 0, j: 1, k: 0)) - s0,
                     try geometry.continuousIndex(of: target.patientPosition(i: 0, j: 0, k: 1)) - s0]
        // Source axis of each target axis; nil when a target axis is oblique to the source grid.
        func components(_ v: Vector3) -> [Double] { [v.x, v.y, v.z] }
        var sourceAxis = [Int]()
        for d in steps {
            let c = components(d), m = c.map(abs).max()!
            guard m > 0, let a = c.firstIndex(where: { abs($0) == m }),
                  c.indices.allSatisfy({ $0 == a || abs(c[$0]) <= 1e-6 * m }) else { break }
            sourceAxis.append(a)
        }
        guard sourceAxis.count == 3, Set(sourceAxis).count == 3 else {
            let ts = target.spacing
            return try blockAveraged(towards: Vector3(ts.x, ts.y, ts.z)).resampled(to: size, geometry: target, outside: outside)
        }
        let targetCounts = [size.x, size.y, size.z], sourceCounts = [self.size.x, self.size.y, self.size.z]
        let start = components(s0)
        // Per source axis a: the target axis t along it and its tap table.
        var tables: [AxisTaps] = []
        var targetAxisOf = [0, 0, 0]
        for a in 0..<3 {
            let t = sourceAxis.firstIndex(of: a)!
            targetAxisOf[a] = t
            tables.append(AxisTaps(count: targetCounts[t], start: start[a], step: components(steps[t])[a], sourceCount: sourceCounts[a]))
        }
        let (tx, ty, tz) = (tables[0], tables[1], tables[2])
        let (nx, ny, nz) = (self.size.x, self.size.y, self.size.z)
        let (mx, my, mz) = (tx.count, ty.count, tz.count)
        // Pass x then y, per source slice that a z tap needs: slab[z] is mx × my.
        var neededZ = [Bool](repeating: false, count: nz)
        for q in 0..<tz.count where tz.valid[q] { for m in 0..<tz.taps { neededZ[tz.index[q * tz.taps + m]] = true } }
        var neededY = [Bool](repeating: false, count: ny)
        for q in 0..<ty.count where ty.valid[q] { for m in 0..<ty.taps { neededY[ty.index[q * ty.taps + m]] = true } }
        var slab = [Float](repeating: 0, count: nz * mx * my)
        var result = [Float](repeating: 0, count: mx * my * mz)
        voxels.withUnsafeBufferPointer { src in
            slab.withUnsafeMutableBufferPointer { sl in
                tx.index.withUnsafeBufferPointer { xi in tx.weight.withUnsafeBufferPointer { xw in
                ty.index.withUnsafeBufferPointer { yi in ty.weight.withUnsafeBufferPointer { yw in
                neededY.withUnsafeBufferPointer { ny_ in neededZ.withUnsafeBufferPointer { nz_ in
                    let box = SendableBox((src.baseAddress!, sl.baseAddress!, xi.baseAddress!, xw.baseAddress!, yi.baseAddress!, yw.baseAddress!,
                                           ny_.baseAddress!, nz_.baseAddress!))
                    let (xTaps, yTaps) = (tx.taps, ty.taps)
                    DispatchQueue.concurrentPerform(iterations: nz) { z in
                        let (src, slab, xi, xw, yi, yw, needY, needZ) = box.value
                        guard needZ[z] else { return }
                        // x pass: rows[y] is mx long.
                        let rows = UnsafeMutablePointer<Float>.allocate(capacity: ny * mx)
                        rows.initialize(repeating: 0, count: ny * mx)   // rows no tap needs stay 0 (weight-0 taps read them)
                        defer { rows.deallocate() }
                        for y in 0..<ny where needY[y] {
                            let row = src + (z &* ny &+ y) &* nx, o = rows + y &* mx
                            for q in 0..<mx {
                                var s: Float = 0
                                let b = q &* xTaps
                                for m in 0..<xTaps { s += row[xi[b &+ m]] * xw[b &+ m] }
                                o[q] = s
                            }
                        }
                        // y pass: slab[z][q] = Σ taps rows[y] (contiguous mx-long AXPYs).
                        let out = slab + z &* mx &* my
                        for q in 0..<my {
                            let o = out + q &* mx, b = q &* yTaps
                            for m in 0..<yTaps {
                                let w = yw[b &+ m], r = rows + yi[b &+ m] &* mx
                                for i in 0..<mx { o[i] += w * r[i] }
                            }
                        }
                    }
                }}}}}}
            }
        }
        // z pass: result[q] = Σ taps slab[z] (contiguous mx·my-long AXPYs), target slices in parallel.
        slab.withUnsafeBufferPointer { sl in
            result.withUnsafeMutableBufferPointer { res in
                tz.index.withUnsafeBufferPointer { zi in tz.weight.withUnsafeBufferPointer { zw in
                    let box = SendableBox((sl.baseAddress!, res.baseAddress!, zi.baseAddress!, zw.baseAddress!))
                    let (plane, zTaps) = (mx * my, tz.taps)
                    DispatchQueue.concurrentPerform(iterations: mz) { q in
                        let (sl, res, zi, zw) = box.value
                        let o = res + q &* plane, b = q &* zTaps
                        for m in 0..<zTaps {
                            let w = zw[b &+ m], p = sl + zi[b &+ m] &* plane
                            for i in 0..<plane { o[i] += w * p[i] }
                        }
                    }
                }}
            }
        }
        // Target order (the source axes may be permuted or flipped with respect to the target's); outside voxels.
        var stride = [0, 0, 0]
        stride[targetAxisOf[0]] = 1; stride[targetAxisOf[1]] = mx; stride[targetAxisOf[2]] = mx * my
        let valid = [tables[sourceAxis[0]].valid, tables[sourceAxis[1]].valid, tables[sourceAxis[2]].valid]
        var out = [Float](repeating: outside, count: size.count)
        result.withUnsafeBufferPointer { res in
            out.withUnsafeMutableBufferPointer { dst in
                let (r, d) = (res.baseAddress!, dst.baseAddress!)
                for k in 0..<size.z where valid[2][k] {
                    for j in 0..<size.y where valid[1][j] {
                        let rb = k &* stride[2] &+ j &* stride[1], db = (k &* size.y &+ j) &* size.x
                        for i in 0..<size.x where valid[0][i] { d[db &+ i] = r[rb &+ i &* stride[0]] }
                    }
                }
            }
        }
        return Volume(unchecked: size, voxels: out, geometry: target, units: units, frameOfReferenceUID: frameOfReferenceUID)
    }
}

/// Source indices and weights along one axis for ``Volume/resampledForDisplay(to:geometry:outside:)``: each target
/// index gets 2·f taps (the f voxels of the lower and of the upper neighbouring block, weights (1 − w)/f and w/f).
struct AxisTaps {
    let count: Int
    let taps: Int
    var index: [Int]
    var weight: [Float]
    var valid: [Bool]

    /// Target index q sits at source continuous index `start + step·q`; the source has `sourceCount` voxels.
    init(count: Int, start: Double, step: Double, sourceCount n: Int) {
        var f = max(1, Int(abs(step) + 1e-6))
        if n / f == 0 { f = 1 }
        let blocks = n / f
        self.count = count
        taps = 2 * f
        index = [Int](repeating: 0, count: count * taps)
        weight = [Float](repeating: 0, count: count * taps)
        valid = [Bool](repeating: false, count: count)
        for q in 0..<count {
            // Continuous index in the block grid (block b's centre is at source index b·f + (f − 1)/2).
            let u = (start + step * Double(q) - Double(f - 1) / 2) / Double(f)
            guard u > -0.5, u < Double(blocks) - 0.5 else { continue }
            valid[q] = true
            let c = min(max(u, 0), Double(blocks - 1))
            let b0 = min(Int(c), blocks - 1), b1 = min(b0 + 1, blocks - 1)
            let w = Float(c - Double(b0))
            for a in 0..<f {
                index[q * taps + a] = b0 * f + a; weight[q * taps + a] = (1 - w) / Float(f)
                index[q * taps + f + a] = b1 * f + a; weight[q * taps + f + a] = w / Float(f)
            }
        }
    }
}
