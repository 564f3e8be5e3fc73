import Analysis
import DICOM
import DICOMImaging
import Foundation
import Imaging

/// A VOI defined on CT by a Hounsfield-unit window (e.g. bone 300…3000 HU), brought onto the image grid.
public struct CTOrganDefinition: Sendable, Codable, Equatable {
    public var name: String
    public var minHU: Double
    public var maxHU: Double
    /// Keep only the largest 26-connected part of the window (default), else every voxel in the window.
    public var largestComponent: Bool
    /// Creates a definition.
    public init(name: String, minHU: Double, maxHU: Double, largestComponent: Bool = true) {
        self.name = name; self.minHU = minHU; self.maxHU = maxHU; self.largestComponent = largestComponent
    }

    /// Parses `NAME:LO:HI` (HU).
    public init?(parsing s: String) {
        let p = s.split(separator: ":", omittingEmptySubsequences: false)
        guard p.count == 3, !p[0].isEmpty, let lo = Double(p[1]), let hi = Double(p[2]), lo <= hi else { return nil }
        self.init(name: String(p[0]), minHU: lo, maxHU: hi)
    }
}

/// Statistics of one organ/segment VOI on a quantitative image.
public struct OrganVOIResult: Sendable, Codable {
    /// Name (CT definition or SEG segment label).
    public var name: String
    /// How the VOI was defined.
    public var definition: String
    /// The statistics (units of the image).
    public var statistics: VOIStatistics
    /// Total activity in the VOI (MBq) = mean (Bq/mL) × volume (mL) / 10⁶, when the image is in Bq/mL.
    public var totalActivityMBq: Double?
}

/// The result of `scinti pet voi`.
public struct QuantVOIResult: Sendable, Codable {
    /// Units of the image values.
    public var units: String?
    /// Modality of the image (PT, NM).
    public var modality: String?
    public var organs: [OrganVOIResult]
    /// Hot spots in image units (`suvMax`… keys hold image values here, not SUV, unless the image is SUV).
    public var hotspots: [Hotspot]
    public var conventions: [String]
    public var warnings: [String]
}

/// VOI statistics on a quantitative PET or SPECT image (Bq/mL NM RECON TOMO from `scinti recon`, or a PET series),
/// with organs defined on CT by HU windows or by a DICOM SEG, and hot spots above a threshold in image units.
public enum QuantVOIJob {
    /// Options.
    public struct Options: Sendable {
        public var ct: String?
        public var ctOrgans: [CTOrganDefinition]
        public var segmentation: String?
        /// Hot-spot search in image units; nil skips hot spots.
        public var search: HotspotSearch?
        /// Organ peaks (1 cm³ sphere) are computed for VOIs of at most this many voxels (the search visits every
        /// VOI voxel); larger VOIs get no peak, with a warning.
        public var peakVoxelLimit: Int = 200_000
        /// Creates options.
        public init(ct: String? = nil, ctOrgans: [CTOrganDefinition] = [], segmentation: String? = nil, search: HotspotSearch? = nil) {
            self.ct = ct; self.ctOrgans = ctOrgans; self.segmentation = segmentation; self.search = search
        }
    }

    /// Reads the image: an NM file (RECON TOMO), else a CT/PT series.
    public static func readImage(_ path: String) throws -> (Volume, String?, [String]) {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { throw WorkflowError("\(path): no such file or directory") }
        if !isDir.boolValue {
            let f = try DICOMFile.read(path: path)
            if f.dataset.string(.modality) == "NM" { return (try ReconTomo.read(path: path), "NM", []) }
        }
        let s = try SeriesVolumeReader.read(path: path)
        return (s.volume, s.modality, s.warnings)
    }

    /// Runs the analysis on `imagePath`.
    public static func run(imagePath: String, options o: Options) throws -> QuantVOIResult {
        let (image, modality, readWarnings) = try readImage(imagePath)
        var warnings = readWarnings
        if image.units == nil { warnings.append("the image has no units: statistics are in stored/rescaled values") }
        let bqml = ["bq/ml", "bqml"].contains(image.units?.lowercased() ?? "")
        let kernel = SphereKernel(spacing: image.geometry.spacing)
        var organs: [OrganVOIResult] = []
        func add(_ name: String, _ def: String, _ idx: [Int]) {
            if idx.isEmpty { warnings.append("VOI \(name) (\(def)) is empty on the image grid"); return }
            let usePeak = idx.count <= o.peakVoxelLimit
            if !usePeak { warnings.append("VOI \(name): \(idx.count) voxels, more than \(o.peakVoxelLimit): no peak computed") }
            let s = VOIAnalysis.statistics(image, indices: idx, kernel: usePeak ? kernel : nil, delineation: def)
            organs.append(OrganVOIResult(name: name, definition: def, statistics: s,
                                         totalActivityMBq: bqml ? s.mean * s.volumeML / 1e6 : nil))
        }
        if !o.ctOrgans.isEmpty {
            guard let ctPath = o.ct else { throw WorkflowError("CT-defined organs need --ct CT_DIR") }
            let ct = try SeriesVolumeReader.read(path: ctPath)
            warnings += ct.warnings.map { "CT: \($0)" }
            if let a = ct.volume.frameOfReferenceUID, let b = image.frameOfReferenceUID, a != b {
                warnings.append("CT Frame of Reference \(a) differs from the image's \(b): organs placed by patient coordinates as if registered")
            }
            let onGrid: Volume
            do { onGrid = try ct.volume.resampled(to: image.size, geometry: image.geometry, outside: -1024) } catch {
                throw WorkflowError("cannot bring the CT onto the image grid: \(error)")
            }
            for d in o.ctOrgans {
                let lo = Float(d.minHU), hi = Float(d.maxHU)
                var window = onGrid
                window.voxels = onGrid.voxels.map { $0 >= lo && $0 <= hi ? 1 : 0 }
                var idx: [Int]
                if d.largestComponent {
                    idx = VOIAnalysis.components(window, threshold: 0.5).max { $0.count < $1.count } ?? []
                } else {
                    idx = window.voxels.indices.filter { window.voxels[$0] > 0.5 }
                }
                idx.sort()
                add(d.name, "CT \(petFormat(d.minHU))…\(petFormat(d.maxHU)) HU (trilinear CT on the image grid)\(d.largestComponent ? ", largest connected part" : "")", idx)
            }
        }
        if let segPath = o.segmentation {
            let seg = try SegmentationReader.read(path: segPath)
            warnings += seg.warnings.map { "SEG: \($0)" }
            for s in seg.segments {
                let m: Volume
                do { m = try s.mask.resampled(to: image.size, geometry: image.geometry, outside: 0) } catch {
                    throw WorkflowError("cannot bring segment \(s.number) onto the image grid: \(error)")
                }
                let idx = m.voxels.indices.filter { m.voxels[$0] >= 0.5 }
                add(s.label ?? "segment \(s.number)", "SEG segment \(s.number) (trilinear occupancy ≥ 0.5 on the image grid)", idx)
            }
        }
        let hotspots = o.search.map { $0.run(image) } ?? []
        var conventions = ["statistics in the image's units (\(image.units ?? "none")); peak = highest mean of a 1 cm³ sphere centred in the VOI",
                           "totalActivityMBq = mean × volume for Bq/mL images"]
        if let s = o.search {
            conventions.append("hot spots: values ≥ \(petFormat(s.detectionSUV)) \(image.units ?? ""), VOI \(s.delineation); the keys suvMax/suvPeak/suvMean hold image values")
        }
        return QuantVOIResult(units: image.units, modality: modality, organs: organs, hotspots: hotspots,
                              conventions: conventions, warnings: warnings)
    }
}
