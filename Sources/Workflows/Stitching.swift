import Foundation
import Imaging

/// Joins the reconstructions of a multi-bed acquisition along z.
public enum Stitching {
    /// Stitches axis-aligned volumes that share the transaxial grid (x, y origin, spacing, size) and the slice
    /// spacing. Output slices cover the union of the beds' z ranges on the first bed's slice lattice; where beds
    /// overlap, each contributes with a weight that falls linearly to zero at its own axial edge (the counts at a bed's
    /// edge come from few views and carry the most noise), so the join has no step.
    public static func stitch(_ beds: [Volume]) throws(WorkflowError) -> (volume: Volume, note: String) {
        guard let first = beds.first else { throw WorkflowError("no beds to stitch") }
        if beds.count == 1 { return (first, "one bed") }
        let g0 = first.geometry
        let dz = g0.spacing.z
        for (k, b) in beds.enumerated() {
            let g = b.geometry
            guard b.size.x == first.size.x, b.size.y == first.size.y,
                  abs(g.spacing.x - g0.spacing.x) < 1e-3, abs(g.spacing.y - g0.spacing.y) < 1e-3, abs(g.spacing.z - dz) < 1e-3,
                  abs(g.origin.x - g0.origin.x) < 0.5 * g0.spacing.x, abs(g.origin.y - g0.origin.y) < 0.5 * g0.spacing.y,
                  g.sliceDirection.z > 0.999 else {
                throw WorkflowError("bed \(k + 1) does not share bed 1's transaxial grid and slice spacing: cannot stitch")
            }
            if b.units != first.units { throw WorkflowError("bed \(k + 1) is in \(b.units ?? "?"), bed 1 in \(first.units ?? "?")") }
        }
        let zLow = beds.map(\.geometry.origin.z).min()!
        let zHigh = beds.map { $0.geometry.origin.z + Double($0.size.z - 1) * dz }.max()!
        // Slice lattice of bed 1 extended to cover everything.
        let kStart = Int(((zLow - g0.origin.z) / dz).rounded(.down))
        let kEnd = Int(((zHigh - g0.origin.z) / dz).rounded(.up))
        let nz = kEnd - kStart + 1
        let plane = first.size.x * first.size.y
        var out = [Float](repeating: 0, count: plane * nz)
        var overlapSlices = 0
        for k in 0..<nz {
            let z = g0.origin.z + Double(kStart + k) * dz
            var weights: [(bed: Int, w: Double, t: Double)] = []
            for (b, v) in beds.enumerated() {
                let t = (z - v.geometry.origin.z) / dz      // continuous slice index in bed b
                guard t >= -1e-6, t <= Double(v.size.z - 1) + 1e-6 else { continue }
                let edge = min(t, Double(v.size.z - 1) - t) + 0.5
                weights.append((b, edge, t))
            }
            if weights.count > 1 { overlapSlices += 1 }
            let total = weights.reduce(0) { $0 + $1.w }
            guard total > 0 else { continue }
            for (b, w, t) in weights {
                let v = beds[b]
                let t0 = min(Int(t.rounded(.down)), v.size.z - 1), t1 = min(t0 + 1, v.size.z - 1)
                let f = Float(t - Double(t0)), scale = Float(w / total)
                for p in 0..<plane {
                    let value = v.voxels[t0 * plane + p] * (1 - f) + v.voxels[t1 * plane + p] * f
                    out[k * plane + p] += value * scale
                }
            }
        }
        var geometry = g0
        geometry.origin = Vector3(g0.origin.x, g0.origin.y, g0.origin.z + Double(kStart) * dz)
        let volume = Volume(unchecked: GridSize(x: first.size.x, y: first.size.y, z: nz), voxels: out, geometry: geometry,
                            units: first.units, frameOfReferenceUID: first.frameOfReferenceUID)
        return (volume, String(format: "z %.1f to %.1f mm, %d slices, %d overlapping slices blended with weights falling linearly to each bed's edge", zLow, zHigh, nz, overlapSlices))
    }
}
