import Dispatch
import Foundation
import Imaging
import Physics

/// The voxels a compartment occupies, with the fraction of each voxel inside it (sparse).
public struct CompartmentVoxels: Sendable, Equatable {
    /// Linear voxel indices (`x + nx·(y + ny·z)`).
    public var indices: [Int32]
    /// Fraction of each listed voxel inside the compartment (0…1), same order.
    public var fractions: [Float]
    /// Σ fractions (voxel units).
    public var totalFraction: Double { fractions.reduce(0) { $0 + Double($1) } }
}

/// A phantom sampled on a voxel grid: per-compartment partial-volume fractions from sub-voxel sampling.
public struct VoxelizedPhantom: Sendable {
    /// The phantom that was sampled.
    public var phantom: Phantom
    /// Grid size.
    public var size: GridSize
    /// Grid geometry (axis-aligned LPS).
    public var geometry: ImageGeometry
    /// Sub-samples per voxel edge used.
    public var subsamples: Int
    /// Per compartment (same order as `phantom.compartments`), the voxels it covers.
    public var compartmentVoxels: [CompartmentVoxels]
    /// Medium of each compartment (elemental composition); when set, ``muMap(energyKeV:)`` uses it instead of the
    /// compartments' ``Physics/Material`` (virtual patients).
    public var media: [Medium]? = nil

    /// Voxel volume in mL.
    public var voxelVolumeML: Double { geometry.spacing.x * geometry.spacing.y * geometry.spacing.z / 1000 }

    /// Volume (mL) of compartment `c` as sampled.
    public func volumeML(_ c: Int) -> Double { compartmentVoxels[c].totalFraction * voxelVolumeML }

    /// Activity concentration (Bq/mL) volume, with the phantom's concentrations or the given ones (one per
    /// compartment).
    public func activity(concentrations: [Double]? = nil) -> Volume {
        let conc = concentrations ?? phantom.compartments.map(\.concentrationBqPerML)
        var v = [Float](repeating: 0, count: size.count)
        for (c, cv) in compartmentVoxels.enumerated() where conc[c] != 0 {
            let a = Float(conc[c])
            for (i, f) in zip(cv.indices, cv.fractions) { v[Int(i)] += a * f }
        }
        return try! Volume(size: size, voxels: v, geometry: geometry, units: "Bq/mL")
    }

    /// Fraction of each voxel made of each material (air fills what no compartment covers).
    public func materialFractions() -> [Material: [Float]] {
        var out: [Material: [Float]] = [:]
        for (c, cv) in compartmentVoxels.enumerated() {
            let m = phantom.compartments[c].material
            if out[m] == nil { out[m] = [Float](repeating: 0, count: size.count) }
            for (i, f) in zip(cv.indices, cv.fractions) { out[m]![Int(i)] += f }
        }
        return out
    }

    /// Linear attenuation coefficient μ (1/mm) at `energyKeV` (NIST XCOM through ``Physics/Material``).
    public func muMap(energyKeV: Double) -> Volume {
        var v = [Float](repeating: 0, count: size.count)
        if let media {
            // Mixture rule per medium; what no compartment covers is air outside the body (μ ≈ 0 at these energies
            // over a patient's width: 1.3e-5/mm, left out).
            for (c, cv) in compartmentVoxels.enumerated() {
                let mu = Float(media[c].mu(energyKeV: energyKeV) / 10)
                for (i, f) in zip(cv.indices, cv.fractions) { v[Int(i)] += mu * f }
            }
            return try! Volume(size: size, voxels: v, geometry: geometry, units: "1/mm")
        }
        var airFraction = [Float](repeating: 1, count: size.count)
        for (m, fr) in materialFractions() {
            let mu = Float(m.mu(energyKeV: energyKeV) / 10)
            for i in 0..<fr.count where fr[i] > 0 { v[i] += mu * fr[i]; airFraction[i] -= fr[i] }
        }
        let muAir = Float(Material.air.mu(energyKeV: energyKeV) / 10)
        for i in 0..<v.count where airFraction[i] > 0 { v[i] += muAir * airFraction[i] }
        return try! Volume(size: size, voxels: v, geometry: geometry, units: "1/mm")
    }

    /// Index (1-based) of the compartment that fills most of each voxel; 0 where none does.
    public func labels() -> [UInt16] {
        var best = [Float](repeating: 0, count: size.count)
        var lab = [UInt16](repeating: 0, count: size.count)
        for (c, cv) in compartmentVoxels.enumerated() {
            for (i, f) in zip(cv.indices, cv.fractions) where f > best[Int(i)] { best[Int(i)] = f; lab[Int(i)] = UInt16(c + 1) }
        }
        return lab
    }
}

/// Samples phantoms onto voxel grids.
public enum Voxelizer {
    /// A centred axis-aligned grid of `size` voxels of `spacing` mm around `center` (spect-geometry.md:
    /// origin = centre − (N−1)/2 · Δ on each axis).
    public static func centredGrid(size: GridSize, spacing: Vector3, center: Vector3 = .zero) -> ImageGeometry {
        .axisAligned(origin: Vector3(center.x - Double(size.x - 1) / 2 * spacing.x,
                                     center.y - Double(size.y - 1) / 2 * spacing.y,
                                     center.z - Double(size.z - 1) / 2 * spacing.z), spacing: spacing)
    }

    /// A grid of voxels of `voxelMM` that covers the phantom's bounding box with `marginMM` on each side
    /// (transaxially centred on the isocentre so the rotation axis passes through the grid centre).
    public static func coveringGrid(_ phantom: Phantom, voxelMM: Double, marginMM: Double = 10) -> (GridSize, ImageGeometry) {
        let b = phantom.boundingBox
        let hx = max(abs(b.min.x), abs(b.max.x)) + marginMM, hy = max(abs(b.min.y), abs(b.max.y)) + marginMM
        let nx = Int(ceil(2 * hx / voxelMM)), ny = Int(ceil(2 * hy / voxelMM))
        let nz = Int(ceil((b.max.z - b.min.z + 2 * marginMM) / voxelMM))
        let size = GridSize(x: nx, y: ny, z: nz)
        return (size, centredGrid(size: size, spacing: Vector3(voxelMM, voxelMM, voxelMM),
                                  center: Vector3(0, 0, (b.min.z + b.max.z) / 2)))
    }

    /// Samples every compartment with `subsamples`³ points per voxel; a point belongs to the last compartment
    /// (in painting order) that contains it.
    public static func voxelize(_ phantom: Phantom, size: GridSize, geometry: ImageGeometry, subsamples: Int = 3) -> VoxelizedPhantom {
        precondition(geometry.isOrthonormal() && geometry.rowDirection.x > 0.999 && geometry.columnDirection.y > 0.999,
                     "voxelisation needs an axis-aligned LPS grid")
        let s = max(1, subsamples)
        let comps = phantom.compartments
        // Top-level unions are split into parts with their own bounding boxes (a skeleton of many bones then
        // costs only the bones near each voxel).
        func flatten(_ sh: Shape) -> [Shape] { if case .union(let xs) = sh { return xs.flatMap(flatten) } else { return [sh] } }
        var ps: [Shape] = [], po: [Int] = []
        for (c, comp) in comps.enumerated() { for p in flatten(comp.shape) { ps.append(p); po.append(c) } }
        let partShape = ps, partOwner = po
        let boxes = partShape.map(\.boundingBox)
        let np = partShape.count
        let sp = geometry.spacing, o = geometry.origin
        let nc = comps.count
        final class Slices: @unchecked Sendable {
            var perSlice: [[[(Int32, Float)]]]
            let lock = NSLock()
            init(nz: Int, nc: Int) { perSlice = Array(repeating: Array(repeating: [], count: nc), count: nz) }
            func store(_ k: Int, _ v: [[(Int32, Float)]]) { lock.lock(); perSlice[k] = v; lock.unlock() }
        }
        let out = Slices(nz: size.z, nc: nc)
        let offsets = (0..<s).map { (Double($0) + 0.5) / Double(s) - 0.5 }
        let inv = 1 / Float(s * s * s)
        DispatchQueue.concurrentPerform(iterations: size.z) { k in
            var local = Array(repeating: [(Int32, Float)](), count: nc)
            let zc = o.z + Double(k) * sp.z
            let sliceCands = (0..<np).filter { boxes[$0].min.z <= zc + sp.z / 2 && boxes[$0].max.z >= zc - sp.z / 2 }
            guard !sliceCands.isEmpty else { return }
            var counts = [Int](repeating: 0, count: nc)
            for j in 0..<size.y {
                let yc = o.y + Double(j) * sp.y
                let rowCands = sliceCands.filter { boxes[$0].min.y <= yc + sp.y / 2 && boxes[$0].max.y >= yc - sp.y / 2 }
                guard !rowCands.isEmpty else { continue }
                for i in 0..<size.x {
                    let xc = o.x + Double(i) * sp.x
                    let vb = Box3(min: Vector3(xc - sp.x / 2, yc - sp.y / 2, zc - sp.z / 2), max: Vector3(xc + sp.x / 2, yc + sp.y / 2, zc + sp.z / 2))
                    let cands = rowCands.filter { boxes[$0].intersects(vb) }
                    guard !cands.isEmpty else { continue }
                    for c in cands { counts[partOwner[c]] = 0 }
                    for dz in offsets {
                        for dy in offsets {
                            for dx in offsets {
                                let p = Vector3(xc + dx * sp.x, yc + dy * sp.y, zc + dz * sp.z)
                                // Parts are in painting order: the last containing part wins.
                                for c in cands.reversed() where partShape[c].contains(p) { counts[partOwner[c]] += 1; break }
                            }
                        }
                    }
                    let idx = Int32(i + size.x * (j + size.y * k))
                    var seen = Set<Int>()
                    for c in cands where counts[partOwner[c]] > 0 && seen.insert(partOwner[c]).inserted {
                        local[partOwner[c]].append((idx, Float(counts[partOwner[c]]) * inv))
                    }
                }
            }
            out.store(k, local)
        }
        var cvs = [CompartmentVoxels]()
        for c in 0..<nc {
            var idx = [Int32](), fr = [Float]()
            for k in 0..<size.z { for (i, f) in out.perSlice[k][c] { idx.append(i); fr.append(f) } }
            cvs.append(CompartmentVoxels(indices: idx, fractions: fr))
        }
        return VoxelizedPhantom(phantom: phantom, size: size, geometry: geometry, subsamples: s, compartmentVoxels: cvs)
    }
}
