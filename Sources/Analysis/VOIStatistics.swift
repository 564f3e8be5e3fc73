import Foundation
import Imaging

/// How a lesion VOI is delineated around its hottest voxel.
public enum VOIThreshold: Sendable, Codable, Equatable, CustomStringConvertible {
    /// Voxels ≥ an absolute value (e.g. SUV 2.5).
    case fixed(Double)
    /// Voxels ≥ a percentage of the VOI's maximum (e.g. 41 % of SUVmax, EANM guideline 2.0).
    case percentOfMax(Double)

    public var description: String {
        switch self {
        case .fixed(let v): return "fixed threshold \(petNum(v))"
        case .percentOfMax(let p): return "\(petNum(p)) % of max"
        }
    }

    /// The absolute threshold for a region whose maximum is `max`.
    public func value(max: Double) -> Double {
        switch self {
        case .fixed(let v): return v
        case .percentOfMax(let p): return max * p / 100
        }
    }
}

/// Statistics of one VOI on a quantitative image (SUV, SUL or Bq/mL: `units` says which).
public struct VOIStatistics: Sendable, Codable, Equatable {
    /// Units of `max`, `mean`, `peak` (e.g. `g/mL` for SUVbw, `Bq/mL`).
    public var units: String?
    /// Number of voxels in the VOI.
    public var voxelCount: Int
    /// Volume of the VOI (mL); for a thresholded lesion, the metabolic tumour volume (MTV).
    public var volumeML: Double
    /// Maximum voxel value and its patient position (LPS, mm).
    public var max: Double
    public var maxMM: [Double]
    /// Mean and standard deviation over the VOI.
    public var mean: Double
    public var sd: Double
    /// Mean × volume: total lesion activity (TLA, also "TLG" for FDG) in `units`·mL.
    public var totalLesionActivity: Double
    /// Peak: the highest mean of a 1 cm³ sphere centred on a VOI voxel, and that sphere's centre (LPS, mm).
    public var peak: Double?
    public var peakMM: [Double]?
    /// Centroid of the VOI (LPS, mm).
    public var centroidMM: [Double]
    /// How the VOI was delineated.
    public var delineation: String
}

/// A 1 cm³ (or other volume) spherical averaging kernel on a voxel grid, with partial-volume weights.
public struct SphereKernel: Sendable {
    /// Offsets (di, dj, dk) and weights (fraction of the voxel inside the sphere).
    public let offsets: [(Int, Int, Int)]
    public let weights: [Double]
    /// Volume represented by the weights (mL).
    public let volumeML: Double
    /// Radius (mm).
    public let radiusMM: Double

    /// A sphere of `volumeML` (default 1 mL: radius 6.2035 mm) centred on a voxel centre of a grid with `spacing`
    /// (mm). Each voxel's weight is the fraction of `subsamples`³ points inside the sphere.
    public init(spacing: Vector3, volumeML: Double = 1, subsamples: Int = 8) {
        let r = pow(3 * volumeML * 1000 / (4 * Double.pi), 1.0 / 3)
        radiusMM = r
        let n = max(1, subsamples)
        let hx = Int(ceil(r / spacing.x + 0.5)), hy = Int(ceil(r / spacing.y + 0.5)), hz = Int(ceil(r / spacing.z + 0.5))
        var offs: [(Int, Int, Int)] = [], ws: [Double] = []
        let r2 = r * r
        for k in -hz...hz { for j in -hy...hy { for i in -hx...hx {
            var inside = 0
            for c in 0..<n { for b in 0..<n { for a in 0..<n {
                let x = (Double(i) + (Double(a) + 0.5) / Double(n) - 0.5) * spacing.x
                let y = (Double(j) + (Double(b) + 0.5) / Double(n) - 0.5) * spacing.y
                let z = (Double(k) + (Double(c) + 0.5) / Double(n) - 0.5) * spacing.z
                if x * x + y * y + z * z <= r2 { inside += 1 }
            } } }
            if inside > 0 { offs.append((i, j, k)); ws.append(Double(inside) / Double(n * n * n)) }
        } } }
        offsets = offs; weights = ws
        self.volumeML = ws.reduce(0, +) * spacing.x * spacing.y * spacing.z / 1000
    }
}

/// VOI tools: statistics over a mask, threshold delineation, SUVpeak, hot-spot search.
public enum VOIAnalysis {
    /// Statistics of the voxels `indices` of `image`; `peakCandidates` (default: the VOI itself) are the centres
    /// tried for the peak sphere. `kernel` nil skips the peak.
    public static func statistics(_ image: Volume, indices: [Int], kernel: SphereKernel?, peakCandidates: [Int]? = nil,
                                  delineation: String) -> VOIStatistics {
        let g = image.geometry
        let vox = g.spacing.x * g.spacing.y * g.spacing.z / 1000
        var sum = 0.0, sum2 = 0.0, mx = -Double.infinity, mxi = -1
        var cx = 0.0, cy = 0.0, cz = 0.0
        let nx = image.size.x, nxy = image.size.x * image.size.y
        image.voxels.withUnsafeBufferPointer { v in
            for i in indices {
                let x = Double(v[i])
                sum += x; sum2 += x * x
                if x > mx { mx = x; mxi = i }
                cx += Double(i % nx); cy += Double((i / nx) % image.size.y); cz += Double(i / nxy)
            }
        }
        let n = Double(max(indices.count, 1))
        let mean = sum / n
        let sd = indices.count > 1 ? ((sum2 - sum * sum / n) / (n - 1)).squareRoot().petNanToZero : 0
        func pos(_ i: Int) -> [Double] { g.patientPosition(i % nx, (i / nx) % image.size.y, i / nxy).array }
        let centroid = g.patientPosition(i: cx / n, j: cy / n, k: cz / n).array
        var peak: Double?, peakMM: [Double]?
        if let k = kernel, !indices.isEmpty {
            let p = self.peak(image, candidates: peakCandidates ?? indices, kernel: k)
            peak = p.value; peakMM = pos(p.index)
        }
        return VOIStatistics(units: image.units, voxelCount: indices.count, volumeML: Double(indices.count) * vox,
                             max: indices.isEmpty ? 0 : mx, maxMM: mxi >= 0 ? pos(mxi) : [], mean: mean, sd: sd,
                             totalLesionActivity: mean * Double(indices.count) * vox, peak: peak, peakMM: peakMM,
                             centroidMM: centroid, delineation: delineation)
    }

    /// The highest weighted mean of `kernel` centred on any of `candidates` (voxel indices), and where. Kernel
    /// voxels outside the image are left out of the mean (their weight too).
    public static func peak(_ image: Volume, candidates: [Int], kernel: SphereKernel) -> (value: Double, index: Int) {
        let nx = image.size.x, ny = image.size.y, nz = image.size.z
        let cands = candidates
        guard !cands.isEmpty else { return (0, -1) }
        let chunks = Swift.max(1, Swift.min(cands.count, ProcessInfo.processInfo.activeProcessorCount * 4))
        var best = [(Double, Int)](repeating: (-.infinity, -1), count: chunks)
        let offs = kernel.offsets, ws = kernel.weights
        // Flat index offsets for candidates whose sphere lies inside the image (no bounds checks there).
        let flat = offs.map { $0.0 + nx * ($0.1 + ny * $0.2) }
        let rx = offs.map { abs($0.0) }.max() ?? 0, ry = offs.map { abs($0.1) }.max() ?? 0, rz = offs.map { abs($0.2) }.max() ?? 0
        let wTotal = ws.reduce(0, +)
        image.voxels.withUnsafeBufferPointer { vb in
            flat.withUnsafeBufferPointer { fb in
                ws.withUnsafeBufferPointer { wb in
                    best.withUnsafeMutableBufferPointer { bb in
                        let v = SendableBox(vb), f = SendableBox(fb), w = SendableBox(wb), b = SendableBox(bb)
                        DispatchQueue.concurrentPerform(iterations: chunks) { c in
                            var localBest = -Double.infinity, localIdx = -1
                            var s = c * cands.count / chunks
                            let e = (c + 1) * cands.count / chunks
                            while s < e {
                                let idx = cands[s]; s += 1
                                let i = idx % nx, j = (idx / nx) % ny, k = idx / (nx * ny)
                                var acc = 0.0, wsum = 0.0
                                if i >= rx && i < nx - rx && j >= ry && j < ny - ry && k >= rz && k < nz - rz {
                                    for t in 0..<f.value.count { acc += w.value[t] * Double(v.value[idx + f.value[t]]) }
                                    wsum = wTotal
                                } else {
                                    for t in 0..<offs.count {
                                        let o = offs[t]
                                        let x = i + o.0, y = j + o.1, z = k + o.2
                                        if x < 0 || y < 0 || z < 0 || x >= nx || y >= ny || z >= nz { continue }
                                        acc += w.value[t] * Double(v.value[x + nx * (y + ny * z)]); wsum += w.value[t]
                                    }
                                }
                                let m = wsum > 0 ? acc / wsum : 0
                                if m > localBest { localBest = m; localIdx = idx }
                            }
                            b.value[c] = (localBest, localIdx)
                        }
                    }
                }
            }
        }
        return best.max { $0.0 < $1.0 }.map { ($0.0, $0.1) } ?? (0, -1)
    }

    /// The 26-connected region of voxels ≥ `threshold` that contains `seed`, restricted to `allowed` when given.
    /// Grows at most `maxVoxels` voxels (a guard against thresholds that flood the whole body).
    public static func connectedRegion(_ image: Volume, seed: Int, threshold: Float, allowed: [Bool]? = nil,
                                       maxVoxels: Int = 10_000_000) -> [Int] {
        let nx = image.size.x, ny = image.size.y, nz = image.size.z
        guard seed >= 0, seed < image.voxels.count, image.voxels[seed] >= threshold else { return [] }
        var visited = [Bool](repeating: false, count: image.voxels.count)
        var out: [Int] = [seed]
        visited[seed] = true
        var head = 0
        while head < out.count && out.count < maxVoxels {
            let idx = out[head]; head += 1
            let i = idx % nx, j = (idx / nx) % ny, k = idx / (nx * ny)
            for dk in -1...1 { for dj in -1...1 { for di in -1...1 {
                let x = i + di, y = j + dj, z = k + dk
                if x < 0 || y < 0 || z < 0 || x >= nx || y >= ny || z >= nz { continue }
                let n = x + nx * (y + ny * z)
                if visited[n] { continue }
                visited[n] = true
                if image.voxels[n] >= threshold && (allowed?[n] ?? true) { out.append(n) }
            } } }
        }
        return out
    }

    /// Labels the 26-connected components of voxels ≥ `threshold`; returns each component's voxel indices
    /// (largest maximum first).
    public static func components(_ image: Volume, threshold: Float) -> [[Int]] {
        let nx = image.size.x, ny = image.size.y, nz = image.size.z
        var label = [Int32](repeating: 0, count: image.voxels.count)
        var comps: [[Int]] = []
        for s in 0..<image.voxels.count where image.voxels[s] >= threshold && label[s] == 0 {
            let id = Int32(comps.count + 1)
            var members = [s]; label[s] = id
            var head = 0
            while head < members.count {
                let idx = members[head]; head += 1
                let i = idx % nx, j = (idx / nx) % ny, k = idx / (nx * ny)
                for dk in -1...1 { for dj in -1...1 { for di in -1...1 {
                    let x = i + di, y = j + dj, z = k + dk
                    if x < 0 || y < 0 || z < 0 || x >= nx || y >= ny || z >= nz { continue }
                    let n = x + nx * (y + ny * z)
                    if label[n] == 0 && image.voxels[n] >= threshold { label[n] = id; members.append(n) }
                } } }
            }
            comps.append(members)
        }
        let maxima = comps.map { c in c.reduce(-Float.infinity) { Swift.max($0, image.voxels[$1]) } }
        return comps.indices.sorted { maxima[$0] > maxima[$1] }.map { comps[$0] }
    }

    /// A lesion VOI grown from the hottest voxel of `searchRegion` with `threshold` (connected, inside the
    /// search region), with its statistics; the peak sphere is centred on any voxel of the lesion.
    ///
    /// `marginMM` > 0 lets the VOI grow beyond the search region, up to that margin around the search region's
    /// bounding box (so that a delineation threshold below the detection threshold can reach the lesion's edge
    /// without flooding the body); 0 keeps it inside the search region.
    public static func lesion(_ image: Volume, searchRegion: [Int], threshold: VOIThreshold,
                              kernel: SphereKernel?, marginMM: Double = 0) -> VOIStatistics? {
        guard var seed = searchRegion.first else { return nil }
        for i in searchRegion where image.voxels[i] > image.voxels[seed] { seed = i }
        let t = threshold.value(max: Double(image.voxels[seed]))
        var allowed = [Bool](repeating: false, count: image.voxels.count)
        let nx = image.size.x, ny = image.size.y, nz = image.size.z
        if marginMM > 0 {
            var lo = (Int.max, Int.max, Int.max), hi = (Int.min, Int.min, Int.min)
            for i in searchRegion {
                let x = i % nx, y = (i / nx) % ny, z = i / (nx * ny)
                lo = (Swift.min(lo.0, x), Swift.min(lo.1, y), Swift.min(lo.2, z))
                hi = (Swift.max(hi.0, x), Swift.max(hi.1, y), Swift.max(hi.2, z))
            }
            let sp = image.geometry.spacing
            let mx = Int(ceil(marginMM / sp.x)), my = Int(ceil(marginMM / sp.y)), mz = Int(ceil(marginMM / sp.z))
            for z in Swift.max(0, lo.2 - mz)...Swift.min(nz - 1, hi.2 + mz) {
                for y in Swift.max(0, lo.1 - my)...Swift.min(ny - 1, hi.1 + my) {
                    for x in Swift.max(0, lo.0 - mx)...Swift.min(nx - 1, hi.0 + mx) { allowed[x + nx * (y + ny * z)] = true }
                }
            }
        } else {
            for i in searchRegion { allowed[i] = true }
        }
        let region = connectedRegion(image, seed: seed, threshold: Float(t), allowed: allowed)
        let within = marginMM > 0 ? "within \(petNum(marginMM)) mm of the detected region" : "inside the search region"
        return statistics(image, indices: region, kernel: kernel,
                          delineation: "\(threshold) (\(petNum(t))), connected to the maximum, \(within)")
    }
}

/// A hot spot found in an SUV image.
public struct Hotspot: Sendable, Codable, Equatable {
    /// Centre (LPS, mm): centroid of the lesion VOI.
    public var centerMM: [Double]
    /// SUVmax, SUVpeak (1 cm³ sphere), SUVmean over the lesion VOI (g/mL, body weight).
    public var suvMax: Double
    public var suvPeak: Double?
    public var suvMean: Double
    /// SULpeak (lean body mass by James), when height and sex are known.
    public var sulPeak: Double?
    /// Metabolic tumour volume (mL) and total lesion activity (SUVmean × MTV, g/mL·mL = g).
    public var mtvML: Double
    public var tla: Double
    /// Position of the hottest voxel and of the peak sphere centre (LPS, mm).
    public var maxMM: [Double]
    public var peakMM: [Double]?
    /// VOI delineation used for mean, MTV and TLA.
    public var delineation: String
}

/// Finds hot spots in an SUV image: connected regions above a detection threshold, each delineated around its
/// maximum by a percentage of that maximum (default 41 %, EANM).
public struct HotspotSearch: Sendable {
    /// Detection threshold (SUV): regions with every voxel ≥ it.
    public var detectionSUV: Double
    /// Lesion delineation inside each detected region.
    public var delineation: VOIThreshold
    /// At most this many hot spots (the hottest first).
    public var maxCount: Int
    /// How far (mm) the lesion VOI may grow beyond the detected region's bounding box.
    public var marginMM: Double = 10
    /// Creates a search.
    public init(detectionSUV: Double = 2.5, delineation: VOIThreshold = .percentOfMax(41), maxCount: Int = 10) {
        self.detectionSUV = detectionSUV; self.delineation = delineation; self.maxCount = maxCount
    }

    /// Runs on an SUVbw image; `sulPerSUV` (suvlbmFactor / suvbwFactor) adds SULpeak.
    public func run(_ suv: Volume, sulPerSUV: Double? = nil) -> [Hotspot] {
        let kernel = SphereKernel(spacing: suv.geometry.spacing)
        let comps = VOIAnalysis.components(suv, threshold: Float(detectionSUV))
        var out: [Hotspot] = []
        for c in comps.prefix(maxCount) {
            guard let s = VOIAnalysis.lesion(suv, searchRegion: c, threshold: delineation, kernel: kernel, marginMM: marginMM) else { continue }
            out.append(Hotspot(centerMM: s.centroidMM, suvMax: s.max, suvPeak: s.peak, suvMean: s.mean,
                               sulPeak: s.peak.flatMap { p in sulPerSUV.map { p * $0 } }, mtvML: s.volumeML,
                               tla: s.totalLesionActivity, maxMM: s.maxMM, peakMM: s.peakMM,
                               delineation: "detected at SUV ≥ \(petNum(detectionSUV)); \(s.delineation)"))
        }
        return out
    }
}

extension Double {
    var petNanToZero: Double { isNaN ? 0 : self }
}
