import Foundation
import Imaging
import Rendering

/// PNG figures of a reconstruction fused with its CT: slices through the hottest voxel and an anterior MIP.
public enum Figures {
    /// Writes `mip.png`, `axial.png`, `coronal.png`, `sagittal.png` (and `fused_*.png` when a CT is given, resampled
    /// onto the emission grid) into `folder`. Returns the paths written.
    @discardableResult
    public static func write(emission v: Volume, ct: Volume?, to folder: String, upscale: Int = 3) throws -> [String] {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var written: [String] = []
        let maxValue = v.voxels.max() ?? 1
        let hottest = v.voxels.firstIndex(of: maxValue) ?? 0
        let (hx, hy, hz) = (hottest % v.size.x, (hottest / v.size.x) % v.size.y, hottest / (v.size.x * v.size.y))
        func save(_ r: Raster, _ name: String) throws {
            let path = folder + "/" + name
            try Data(PNG.encode(Render.upscale(r, factor: upscale))).write(to: URL(fileURLWithPath: path))
            written.append(path)
        }
        let mip = Render.mip(v, .coronal)
        try save(Render.colour(mip, low: 0, high: maxValue, map: .inverseGray), "mip.png")
        let ctOnGrid = try ct.map { try $0.resampled(to: v.size, geometry: v.geometry, outside: -1000) }
        for (o, index) in [(Orientation.axial, hz), (.coronal, hy), (.sagittal, hx)] {
            let e = Render.slice(v, o, index: index)
            try save(Render.colour(e, low: 0, high: maxValue, map: .hot), "\(o.rawValue).png")
            if let c = ctOnGrid {
                let fused = Render.fuse(ct: Render.slice(c, o, index: index), emission: e, low: 0, high: maxValue * 0.6)
                try save(fused, "fused_\(o.rawValue).png")
            }
        }
        return written
    }
}
