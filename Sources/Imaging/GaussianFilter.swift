import Foundation

/// Separable Gaussian smoothing of a voxel grid (x fastest, then y, then z), the one 3-D blur of the project: the
/// camera resolution of simulated SPECT, the spill-over model of the partial-volume correction, the smoothing pyramid
/// of the serial CT registration all call it.
///
/// Kernel: weights exp(−d²/2σ²) for d = −⌈3σ⌉…⌈3σ⌉ voxels, normalised to sum 1; an axis with σ ≤ `minimumSigma` is
/// left as it is. Lines along one axis are filtered in parallel on all cores; the sums run in `Double`.
public enum GaussianFilter {
    /// What lies outside the grid.
    public enum Edges: Sendable {
        /// Zero outside the grid: activity near the edge spreads out of it (what a camera does at the edge of its
        /// field), the sum is not conserved.
        case zero
        /// The edge voxel repeated outside the grid (no darkening at the edges; e.g. a CT before registration).
        case clamp
    }

    /// Normalised weights for σ (voxels), `2⌈3σ⌉ + 1` of them; `[1]` for σ ≤ 0.
    public static func weights(sigma: Double) -> [Double] {
        guard sigma > 0 else { return [1] }
        let r = Int(ceil(3 * sigma))
        let w = (-r...r).map { exp(-0.5 * Double($0 * $0) / (sigma * sigma)) }
        let s = w.reduce(0, +)
        return w.map { $0 / s }
    }

    /// Smooths `voxels` (laid out as `size`) with σ in voxels per axis (x, y, z).
    /// - Precondition: `voxels.count == size.count`.
    public static func smooth(_ voxels: [Float], size: GridSize, sigmaVoxels: (x: Double, y: Double, z: Double),
                              edges: Edges, minimumSigma: Double = 0) -> [Float] {
        precondition(voxels.count == size.x * size.y * size.z, "GaussianFilter: \(voxels.count) voxels for a grid of \(size)")
        var cur = voxels
        let dims = [size.x, size.y, size.z], strides = [1, size.x, size.x * size.y]
        for (axis, sigma) in [sigmaVoxels.x, sigmaVoxels.y, sigmaVoxels.z].enumerated() where sigma > max(0, minimumSigma) {
            let w = weights(sigma: sigma), r = w.count / 2
            let n = dims[axis], stride = strides[axis]
            // The lines along `axis`: one per position in the other two axes.
            let (outer, inner) = axis == 0 ? (size.z, size.y) : axis == 1 ? (size.z, size.x) : (size.y, size.x)
            var next = [Float](repeating: 0, count: cur.count)
            cur.withUnsafeBufferPointer { src in
                next.withUnsafeMutableBufferPointer { dst in
                    let box = SendableBox((src, dst))
                    DispatchQueue.concurrentPerform(iterations: outer) { o in
                        let (p, q) = box.value
                        var line = [Double](repeating: 0, count: n + 2 * r)
                        for i in 0..<inner {
                            let start = axis == 0 ? (o * size.y + i) * size.x
                                : axis == 1 ? o * size.x * size.y + i
                                : o * size.x + i
                            for t in 0..<n { line[r + t] = Double(p[start + t * stride]) }
                            let lo = edges == .zero ? 0 : line[r], hi = edges == .zero ? 0 : line[r + n - 1]
                            for t in 0..<r { line[t] = lo; line[r + n + t] = hi }
                            for t in 0..<n {
                                var acc = 0.0
                                for d in 0..<w.count { acc += w[d] * line[t + d] }
                                q[start + t * stride] = Float(acc)
                            }
                        }
                    }
                }
            }
            cur = next
        }
        return cur
    }
}
