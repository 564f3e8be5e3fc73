import Foundation
import Imaging

/// Spill-in and spill-out correction of VOI activities by the geometric transfer matrix (GTM; Rousset, Ma & Evans,
/// J Nucl Med 1998;39:904).
///
/// The image is modelled as regions of uniform concentration c_j blurred by the system's point-spread function (a
/// Gaussian of ``fwhmMM``): the sum of the image over region i is t_i = Σ_j G_ij c_j with G_ij = Σ_{v∈i} PSF∗1_j(v).
/// Solving G c = t gives each region's concentration free of the counts that spilled into it from its neighbours
/// and of those it lost to them; a region's activity is c_j × its volume. Regions are disjoint masks on the
/// reference grid: the organ segmentations, a background shell around each organ (the tissue next to it, whose
/// concentration differs from the far body's) and the rest of the body. The matrix is built once per grid
/// (one blur per region); each visit then costs one sum per region and a small linear solve.
///
/// Exact when the activity is uniform in every region and the PSF is the Gaussian given; not modelled: activity
/// that varies inside a region (the background shell and the rest of the body are where this matters), a PSF that
/// differs from the Gaussian (depth-dependent collimator blur, reconstruction), and resampling blur of later visits.
public struct SpillCorrection: Sendable {
    /// One region of the model.
    public struct Region: Sendable {
        /// Name (stated in the result).
        public var name: String
        /// Fraction of each voxel of the reference grid that belongs to the region (0…1; the fractions of all
        /// regions sum to at most 1 per voxel). Partial voxels at an organ's edge matter: a binary template puts the
        /// organ's edge activity into its neighbour's region.
        public var weights: [Float]
        /// The VOI whose activity this region's estimate replaces (nil: a region that carries spill only, e.g. the
        /// background around the organs, or a VOI corrected by its recovery coefficient).
        public var voi: String?
        /// Creates a region.
        public init(name: String, weights: [Float], voi: String? = nil) { self.name = name; self.weights = weights; self.voi = voi }
        /// Creates a region of whole voxels.
        public init(name: String, mask: [Bool], voi: String? = nil) { self.init(name: name, weights: mask.map { $0 ? 1 : 0 }, voi: voi) }
    }

    /// The regions, in the order of the matrix.
    public let regions: [Region]
    /// FWHM (mm) of the Gaussian point-spread function.
    public let fwhmMM: Double
    /// The grid the matrix was built for.
    public let size: GridSize
    /// Voxel size (mm).
    public let spacing: Vector3
    /// G_ij: the sum over region i of the blurred indicator of region j (voxels).
    public let matrix: [[Double]]
    /// Voxels per region (sum of its fractions).
    public let voxelCounts: [Double]

    /// Builds the transfer matrix on a grid.
    public init(regions: [Region], fwhmMM: Double, size: GridSize, spacing: Vector3) throws(DosimetryError) {
        guard !regions.isEmpty else { throw .invalidArgument("spill correction: no region") }
        guard fwhmMM.isFinite, fwhmMM > 0 else { throw .invalidArgument("spill correction: FWHM \(fwhmMM) mm, must be > 0") }
        var total = [Float](repeating: 0, count: size.count)
        for r in regions {
            guard r.weights.count == size.count else {
                throw .sizeMismatch("spill-correction region \(r.name) has \(r.weights.count) voxels, the grid \(size.count)")
            }
            for i in r.weights.indices where r.weights[i] != 0 {
                guard r.weights[i] >= 0, r.weights[i] <= 1 else { throw .invalidArgument("spill-correction region \(r.name): fraction \(r.weights[i]) at voxel \(i), allowed 0…1") }
                total[i] += r.weights[i]
                guard total[i] <= 1.001 else { throw .invalidArgument("spill-correction regions overlap at voxel \(i) (fractions sum to \(total[i]) with \(r.name))") }
            }
        }
        let counts = regions.map { $0.weights.reduce(0.0) { $0 + Double($1) } }
        if let empty = regions.indices.first(where: { counts[$0] <= 0 }) { throw .invalidArgument("spill-correction region \(regions[empty].name) is empty on the grid") }
        let c = 2 * (2 * log(2.0)).squareRoot()
        let sigma = (fwhmMM / c / spacing.x, fwhmMM / c / spacing.y, fwhmMM / c / spacing.z)
        var g = [[Double]](repeating: [Double](repeating: 0, count: regions.count), count: regions.count)
        for (j, r) in regions.enumerated() {
            let b = GaussianFilter.smooth(r.weights, size: size, sigmaVoxels: sigma, edges: .zero)
            for (k, q) in regions.enumerated() { for i in b.indices where q.weights[i] != 0 { g[k][j] += Double(q.weights[i]) * Double(b[i]) } }
        }
        self.regions = regions; self.fwhmMM = fwhmMM; self.size = size; self.spacing = spacing
        self.matrix = g; self.voxelCounts = counts
    }

    /// The index of the region that replaces `voi`'s activity, if any.
    public func region(forVOI voi: String) -> Int? { regions.firstIndex { $0.voi == voi } }

    /// Activity (MBq) of every region in an image of concentrations (Bq/mL) on the grid.
    public func activitiesMBq(_ image: [Float]) throws(DosimetryError) -> [Double] {
        guard image.count == size.count else { throw .sizeMismatch("spill correction: image of \(image.count) voxels, grid \(size.count)") }
        var t = [Double](repeating: 0, count: regions.count)
        for (j, r) in regions.enumerated() { for i in r.weights.indices where r.weights[i] != 0 { t[j] += Double(r.weights[i]) * Double(image[i]) } }
        let conc = try Self.solve(matrix, t)
        let voxelML = spacing.x * spacing.y * spacing.z / 1000
        return zip(conc, voxelCounts).map { $0 * $1 * voxelML / 1e6 }
    }

    /// Regions from organ segmentations: each organ (its fractions per voxel; `voi` names the VOI it corrects), then
    /// a background shell of `shellMM` around each organ in turn (the part of each body voxel within reach that no
    /// organ holds, voxels not in an earlier shell), then the rest of the body. Empty shells are left out.
    public static func regions(organs: [Region], body: [Bool], shellMM: Double, size: GridSize, spacing: Vector3) -> [Region] {
        var free = [Float](repeating: 0, count: size.count)
        for i in free.indices where body[i] { free[i] = max(0, 1 - organs.reduce(Float(0)) { $0 + $1.weights[i] }) }
        var inShell = [Bool](repeating: false, count: size.count)
        var out = organs
        for o in organs {
            let reach = dilate(o.weights.map { $0 > 0 }, size, radiusMM: shellMM, spacing: spacing)
            var w = [Float](repeating: 0, count: size.count)
            for i in w.indices where reach[i] && !inShell[i] && free[i] > 0 { w[i] = free[i]; inShell[i] = true }
            if w.contains(where: { $0 > 0 }) { out.append(Region(name: "\(o.name) background shell", weights: w)) }
        }
        let rest = free.indices.map { inShell[$0] ? 0 : free[$0] }
        if rest.contains(where: { $0 > 0 }) { out.append(Region(name: "rest of body", weights: rest)) }
        return out
    }

    /// Gaussian elimination with partial pivoting.
    static func solve(_ a0: [[Double]], _ b0: [Double]) throws(DosimetryError) -> [Double] {
        var a = a0, b = b0
        let n = b.count
        for k in 0..<n {
            let p = (k..<n).max { abs(a[$0][k]) < abs(a[$1][k]) }!
            guard abs(a[p][k]) > 1e-12 * max(1, abs(a0[k][k])) else { throw .invalidArgument("spill correction: singular transfer matrix (region \(k))") }
            if p != k { a.swapAt(p, k); b.swapAt(p, k) }
            for i in (k + 1)..<n where a[i][k] != 0 {
                let f = a[i][k] / a[k][k]
                for j in k..<n { a[i][j] -= f * a[k][j] }
                b[i] -= f * b[k]
            }
        }
        var x = [Double](repeating: 0, count: n)
        for k in stride(from: n - 1, through: 0, by: -1) {
            var s = b[k]
            for j in (k + 1)..<n { s -= a[k][j] * x[j] }
            x[k] = s / a[k][k]
        }
        return x
    }

    /// Dilates a mask by an ellipsoid of ⌊radiusMM / spacing⌋ voxels per axis.
    public static func dilate(_ m: [Bool], _ s: GridSize, radiusMM: Double, spacing: Vector3) -> [Bool] {
        let r = (Int(radiusMM / spacing.x), Int(radiusMM / spacing.y), Int(radiusMM / spacing.z))
        guard r.0 > 0 || r.1 > 0 || r.2 > 0 else { return m }
        // (i/rx)² + (j/ry)² + (k/rz)² ≤ 1 in integers (a zero radius allows offset 0 only).
        let (a2, b2, c2) = (max(r.0, 1) * max(r.0, 1), max(r.1, 1) * max(r.1, 1), max(r.2, 1) * max(r.2, 1))
        var offs: [(Int, Int, Int)] = []
        for k in -r.2...r.2 { for j in -r.1...r.1 { for i in -r.0...r.0 where i * i * b2 * c2 + j * j * a2 * c2 + k * k * a2 * b2 <= a2 * b2 * c2 {
            offs.append((i, j, k))
        } } }
        var out = m
        for z in 0..<s.z { for y in 0..<s.y { for x in 0..<s.x where m[x + s.x * (y + s.y * z)] {
            for (i, j, k) in offs {
                let a = x + i, b = y + j, c = z + k
                if a >= 0, b >= 0, c >= 0, a < s.x, b < s.y, c < s.z { out[a + s.x * (b + s.y * c)] = true }
            }
        } } }
        return out
    }
}
