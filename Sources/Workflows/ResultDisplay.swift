import Foundation

/// What a viewer needs to show an analysis or dosimetry result over the images it came from: regions drawn on the
/// frames of the analysed series, masks on a volume's grid, curves, and a summary table with units and conventions.
///
/// Coordinates are those of the stored images: `column`/`row` are 0-based pixel indices with pixel centres at
/// integers; `frame` is the 0-based frame of the multi-frame object as stored; masks are run-length encoded over the
/// image (planar: row-major, columns fastest) or over the volume (x fastest, then y, then z) as `[start, length, …]`.
public struct ResultDisplay: Sendable, Codable, Equatable {
    /// A region drawn on a frame of a planar (frames) series.
    public struct Region: Sendable, Codable, Equatable {
        /// Label shown with the region (e.g. `LV end-diastole`, `node 1 (12.3 %)`).
        public var label: String
        /// CSS colour.
        public var colour: String
        /// Frames (0-based) the region belongs to; empty: every frame.
        public var frames: [Int]
        /// `mask`, `circle` or `square`.
        public var shape: String
        /// Mask runs `[start, length, …]` over rows × columns (shape `mask`).
        public var runs: [Int]?
        /// Centre (pixels) and radius or half side (pixels) for `circle`/`square`.
        public var column: Double?, row: Double?, radius: Double?

        /// A mask region.
        public static func mask(_ label: String, colour: String, frames: [Int], inside: [Bool]) -> Region {
            Region(label: label, colour: colour, frames: frames, shape: "mask", runs: ResultDisplay.runs(inside))
        }
        /// A circle.
        public static func circle(_ label: String, colour: String, frames: [Int], column: Double, row: Double, radius: Double) -> Region {
            Region(label: label, colour: colour, frames: frames, shape: "circle", column: column, row: row, radius: radius)
        }
        /// A square of side `side` pixels centred on (column, row).
        public static func square(_ label: String, colour: String, frames: [Int], column: Double, row: Double, side: Double) -> Region {
            Region(label: label, colour: colour, frames: frames, shape: "square", column: column, row: row, radius: side / 2)
        }
    }

    /// A mask on the grid of ``volumeSeries`` (e.g. a dosimetry VOI on the dose grid).
    public struct VolumeMask: Sendable, Codable, Equatable {
        /// VOI name.
        public var label: String
        /// CSS colour.
        public var colour: String
        /// Runs `[start, length, …]` over the voxels (x fastest).
        public var runs: [Int]
        /// Voxels inside.
        public var voxels: Int
    }

    /// One curve of a chart.
    public struct Curve: Sendable, Codable, Equatable {
        /// Legend text.
        public var label: String
        /// CSS colour.
        public var colour: String
        /// Abscissae and ordinates (same length).
        public var x: [Double], y: [Double]
        /// `points` (measured samples) or `line` (a fit or a histogram).
        public var style: String
    }

    /// A chart with axis titles that name the units.
    public struct Chart: Sendable, Codable, Equatable {
        /// Chart title.
        public var title: String
        /// Axis titles with units.
        public var xLabel: String, yLabel: String
        /// Curves.
        public var curves: [Curve]
    }

    /// Title of the result (e.g. `LVEF (gated blood pool)`).
    public var title: String
    /// Rows of (quantity, value with units).
    public var summary: [[String]]
    /// Series Instance UID of the frames the ``regions`` belong to, when any.
    public var series: String?
    /// Regions on that series' frames.
    public var regions: [Region]
    /// Series Instance UID of a volume to open (e.g. the RT Dose), when any.
    public var volumeSeries: String?
    /// Series Instance UID of the anatomical series to fuse it with (the CT of the same frame of reference), when any.
    public var anatomySeries: String?
    /// Masks on the ``volumeSeries`` grid.
    public var volumeMasks: [VolumeMask]
    /// Curves.
    public var charts: [Chart]
    /// Conventions (ROI method, background method, decay data, …).
    public var conventions: [String: String]
    /// Warnings and assumptions.
    public var warnings: [String]

    /// Creates a display.
    public init(title: String, summary: [[String]] = [], series: String? = nil, regions: [Region] = [], volumeSeries: String? = nil,
                anatomySeries: String? = nil, volumeMasks: [VolumeMask] = [], charts: [Chart] = [], conventions: [String: String] = [:],
                warnings: [String] = []) {
        self.title = title; self.summary = summary; self.series = series; self.regions = regions; self.volumeSeries = volumeSeries
        self.anatomySeries = anatomySeries; self.volumeMasks = volumeMasks; self.charts = charts; self.conventions = conventions
        self.warnings = warnings
    }

    /// Run-length encoding `[start, length, …]` of the `true` elements.
    public static func runs(_ inside: [Bool]) -> [Int] {
        var out: [Int] = []
        var i = 0
        let n = inside.count
        while i < n {
            if inside[i] {
                let s = i
                while i < n && inside[i] { i += 1 }
                out.append(s); out.append(i - s)
            } else { i += 1 }
        }
        return out
    }

    /// Decodes ``runs(_:)`` back to a mask of `count` elements (runs outside the range are clipped).
    public static func mask(runs: [Int], count: Int) -> [Bool] {
        var m = [Bool](repeating: false, count: count)
        var k = 0
        while k + 1 < runs.count {
            let s = max(0, runs[k]), e = min(count, runs[k] + max(0, runs[k + 1]))
            if s < e { for i in s..<e { m[i] = true } }
            k += 2
        }
        return m
    }

    /// Colours used for regions and curves, in order.
    public static let palette = ["#e62828", "#2f6fe6", "#2bb04a", "#f09614", "#b03ad0", "#00bed2", "#808b96"]
}

/// Number formatting for summary rows.
func fmt(_ v: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", v) }
