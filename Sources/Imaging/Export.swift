import Foundation

/// Volume exchange formats for other tomography software (STIR, CASToR, SIMIND, ITK/3D Slicer).
public enum VolumeExport {
    /// NIfTI-1 single file (`.nii`): float32 voxels, x fastest, sform mapping voxel indices to RAS mm
    /// (our LPS geometry with x and y negated), units mm.
    public static func nifti(_ v: Volume, description: String = "Scinti") -> [UInt8] {
        var h = [UInt8](repeating: 0, count: 352)
        func i16(_ o: Int, _ x: Int16) { withUnsafeBytes(of: x.littleEndian) { for (k, b) in $0.enumerated() { h[o + k] = b } } }
        func i32(_ o: Int, _ x: Int32) { withUnsafeBytes(of: x.littleEndian) { for (k, b) in $0.enumerated() { h[o + k] = b } } }
        func f32(_ o: Int, _ x: Double) { withUnsafeBytes(of: Float(x).bitPattern.littleEndian) { for (k, b) in $0.enumerated() { h[o + k] = b } } }
        i32(0, 348)
        let dims: [Int16] = [3, Int16(v.size.x), Int16(v.size.y), Int16(v.size.z), 1, 1, 1, 1]
        for (k, d) in dims.enumerated() { i16(40 + 2 * k, d) }
        i16(70, 16)          // datatype FLOAT32
        i16(72, 32)          // bitpix
        let g = v.geometry
        let pix = [1.0, g.spacing.x, g.spacing.y, g.spacing.z, 1, 1, 1, 1]
        for (k, p) in pix.enumerated() { f32(76 + 4 * k, p) }
        f32(108, 352)        // vox_offset
        f32(112, 1)          // scl_slope
        h[123] = 2 | 8       // xyzt_units: mm, s
        for (k, b) in description.utf8.prefix(79).enumerated() { h[148 + k] = b }
        i16(254, 1)          // sform_code: scanner anatomical
        let r = g.rowDirection, c = g.columnDirection, s = g.sliceDirection, o = g.origin
        let srow: [[Double]] = [
            [-r.x * g.spacing.x, -c.x * g.spacing.y, -s.x * g.spacing.z, -o.x],
            [-r.y * g.spacing.x, -c.y * g.spacing.y, -s.y * g.spacing.z, -o.y],
            [r.z * g.spacing.x, c.z * g.spacing.y, s.z * g.spacing.z, o.z],
        ]
        for (row, vals) in srow.enumerated() { for (k, x) in vals.enumerated() { f32(280 + 16 * row + 4 * k, x) } }
        h[344] = 0x6E; h[345] = 0x2B; h[346] = 0x31; h[347] = 0   // "n+1\0"
        var out = h
        out.reserveCapacity(352 + v.voxels.count * 4)
        v.voxels.withUnsafeBytes { out.append(contentsOf: $0) }   // little-endian hosts (x86-64, arm64)
        return out
    }

    /// Interfile 3.3 header (`.hv`) for float32 little-endian voxels in `dataFile` (write the data with ``raw(_:)``).
    public static func interfileHeader(_ v: Volume, dataFile: String, units: String? = nil) -> String {
        let g = v.geometry
        var s = "!INTERFILE :=\n!imaging modality := nucmed\n!version of keys := 3.3\n!originating system := Scinti\n"
        s += "!GENERAL DATA :=\n!name of data file := \(dataFile)\n!GENERAL IMAGE DATA :=\n!type of data := Tomographic\n"
        s += "imagedata byte order := LITTLEENDIAN\n!SPECT STUDY (General) :=\n!number format := float\n!number of bytes per pixel := 4\n"
        s += "number of dimensions := 3\n"
        for (k, (label, n, d)) in [("x", v.size.x, g.spacing.x), ("y", v.size.y, g.spacing.y), ("z", v.size.z, g.spacing.z)].enumerated() {
            s += "matrix axis label [\(k + 1)] := \(label)\n!matrix size [\(k + 1)] := \(n)\nscaling factor (mm/pixel) [\(k + 1)] := \(d)\n"
        }
        s += "first pixel offset (mm) [1] := \(g.origin.x)\nfirst pixel offset (mm) [2] := \(g.origin.y)\nfirst pixel offset (mm) [3] := \(g.origin.z)\n"
        s += "!number of images/energy window := \(v.size.z)\n"
        if let u = units ?? v.units { s += ";units := \(u)\n" }
        s += "!END OF INTERFILE :=\n"
        return s
    }

    /// The voxels as raw little-endian float32.
    public static func raw(_ v: Volume) -> [UInt8] { v.voxels.withUnsafeBytes { Array($0) } }
}
