import Foundation

public extension Volume {
    /// This volume resampled onto another grid through patient coordinates (trilinear interpolation; voxels whose
    /// centre falls outside this volume get `outside`). Used to bring a CT onto a SPECT grid through their DICOM
    /// geometries. Rows of the target are processed in parallel.
    func resampled(to size: GridSize, geometry target: ImageGeometry, outside: Float = 0) throws(GeometryError) -> Volume {
        // Affine map target index → source continuous index: src = s0 + i·di + j·dj + k·dk.
        let s0 = try geometry.continuousIndex(of: target.patientPosition(i: 0, j: 0, k: 0))
        let di = try geometry.continuousIndex(of: target.patientPosition(i: 1, j: 0, k: 0)) - s0
        let dj = try geometry.continuousIndex(of: target.patientPosition(i: 0, j: 1, k: 0)) - s0
        let dk = try geometry.continuousIndex(of: target.patientPosition(i: 0, j: 0, k: 1)) - s0
        let (nx, ny, nz) = (self.size.x, self.size.y, self.size.z)
        var out = [Float](repeating: outside, count: size.count)
        let src = voxels
        out.withUnsafeMutableBufferPointer { dst in
            let dBox = SendableBox(dst)
            src.withUnsafeBufferPointer { sp in
                let sBox = SendableBox(sp)
                DispatchQueue.concurrentPerform(iterations: size.z * size.y) { row in
                    let d = dBox.value, s = sBox.value
                    let k = row / size.y, j = row % size.y
                    let base = s0 + dj * Double(j) + dk * Double(k)
                    for i in 0..<size.x {
                        let p = base + di * Double(i)
                        // Nearest-edge tolerance of half a voxel so a grid that covers the same extent stays inside.
                        guard p.x > -0.5, p.y > -0.5, p.z > -0.5, p.x < Double(nx) - 0.5, p.y < Double(ny) - 0.5, p.z < Double(nz) - 0.5 else { continue }
                        let x = min(max(p.x, 0), Double(nx - 1)), y = min(max(p.y, 0), Double(ny - 1)), z = min(max(p.z, 0), Double(nz - 1))
                        let x0 = min(Int(x), nx - 1), y0 = min(Int(y), ny - 1), z0 = min(Int(z), nz - 1)
                        let x1 = min(x0 + 1, nx - 1), y1 = min(y0 + 1, ny - 1), z1 = min(z0 + 1, nz - 1)
                        let fx = Float(x - Double(x0)), fy = Float(y - Double(y0)), fz = Float(z - Double(z0))
                        @inline(__always) func at(_ a: Int, _ b: Int, _ c: Int) -> Float { s[(c * ny + b) * nx + a] }
                        let c00 = at(x0, y0, z0) * (1 - fx) + at(x1, y0, z0) * fx
                        let c10 = at(x0, y1, z0) * (1 - fx) + at(x1, y1, z0) * fx
                        let c01 = at(x0, y0, z1) * (1 - fx) + at(x1, y0, z1) * fx
                        let c11 = at(x0, y1, z1) * (1 - fx) + at(x1, y1, z1) * fx
                        let c0 = c00 * (1 - fy) + c10 * fy, c1 = c01 * (1 - fy) + c11 * fy
                        d[(k * size.y + j) * size.x + i] = c0 * (1 - fz) + c1 * fz
                    }
                }
            }
        }
        return Volume(unchecked: size, voxels: out, geometry: target, units: units, frameOfReferenceUID: frameOfReferenceUID)
    }
}
