import Foundation
import Imaging

/// Widths of one fitted profile across a line or point source.
public struct ProfileWidth: Sendable, Codable, Equatable {
    /// Full width at half maximum (mm) of the fitted Gaussian (perpendicular to the line for planar lines).
    public var fwhmMM: Double
    /// Full width at tenth maximum (mm) of the fitted Gaussian.
    public var fwtmMM: Double
    /// Where the profile was taken: "row 112", "slice 21 x", …
    public var at: String
}

/// Summary of several profile widths (mean, smallest, largest).
public struct WidthSummary: Sendable, Codable, Equatable {
    public var meanFWHMMM: Double
    public var minimumFWHMMM: Double
    public var maximumFWHMMM: Double
    public var meanFWTMMM: Double
    public var profiles: Int

    init(_ w: [ProfileWidth]) {
        meanFWHMMM = w.map(\.fwhmMM).reduce(0, +) / Double(w.count)
        minimumFWHMMM = w.map(\.fwhmMM).min() ?? .nan
        maximumFWHMMM = w.map(\.fwhmMM).max() ?? .nan
        meanFWTMMM = w.map(\.fwtmMM).reduce(0, +) / Double(w.count)
        profiles = w.count
    }
}

/// Spatial resolution from line or point sources (NEMA NU 1 §2.2 planar, §3.3 tomographic): FWHM and FWTM of
/// Gaussians (with a constant baseline) fitted to count profiles across the source.
///
/// Conventions: a profile runs along a matrix row or column through the source's peak, over the points out to
/// twice the distance where the counts fall below 5 % of the peak (at most 40 pixels each side). For a planar line
/// at angle α to the profile's normal the fitted width is multiplied by cos α (the width perpendicular to the line).
public enum Resolution {
    /// Conventions of the measurement.
    public struct Conventions: Sendable, Codable, Equatable {
        /// Pixels at or above this fraction of the maximum belong to a source.
        public var sourceThreshold: Double = 0.3
        /// Fraction of a line's length trimmed at each end before profiles are taken.
        public var endTrimFraction: Double = 0.1
        /// Fit a constant baseline (true) or not (false, as NMQC/pylinac).
        public var fitBaseline: Bool = true
        /// Peak counts a profile needs.
        public var minimumPeakCounts: Double = 100
        public init() {}
    }

    /// One planar line source.
    public struct PlanarLine: Sendable, Codable, Equatable {
        /// Line direction: angle from the image's column axis (vertical) in degrees, positive clockwise on screen.
        public var angleFromVerticalDegrees: Double
        /// Centre of the line (column, row) in pixel index units.
        public var centreColumn: Double
        public var centreRow: Double
        public var width: WidthSummary
        public var perProfile: [ProfileWidth]
    }

    /// Planar result.
    public struct PlanarResult: Sendable, Codable, Equatable {
        public var test = "resolution"
        public var kind = "planar line source"
        /// Mean FWHM and FWTM (mm) over every profile of every line.
        public var fwhmMM: Double
        public var fwtmMM: Double
        public var lines: [PlanarLine]
        public var pixelSizeMM: Double
        public var conventions: Conventions
    }

    /// Tomographic result.
    public struct TomographicResult: Sendable, Codable, Equatable {
        public var test = "resolution"
        /// "tomographic line source" (along z) or "tomographic point source".
        public var kind: String
        /// Transverse x (along rows) and y (along columns) widths; z only for a point source.
        public var x: WidthSummary
        public var y: WidthSummary
        public var z: WidthSummary?
        /// Peak voxel (x, y, z) indices.
        public var peakVoxel: [Int]
        public var perProfile: [ProfileWidth]
        public var conventions: Conventions
    }

    /// Fits one profile (values at 0, Δ, 2Δ… mm) around index `peak` over the window of the conventions.
    static func fitProfile(_ values: [Double], spacingMM: Double, peak: Int, at: String, cv: Conventions) throws(QCError) -> GaussianFit {
        let n = values.count
        let top = values[peak]
        guard top >= cv.minimumPeakCounts else {
            throw .insufficientCounts(what: "the peak of the profile at \(at)", have: top, need: cv.minimumPeakCounts, unit: "counts")
        }
        var lo = peak, hi = peak
        while lo > 0 && values[lo] > 0.05 * top && peak - lo < 20 { lo -= 1 }
        while hi < n - 1 && values[hi] > 0.05 * top && hi - peak < 20 { hi += 1 }
        lo = max(0, peak - 2 * (peak - lo)); hi = min(n - 1, peak + 2 * (hi - peak))
        lo = max(lo, peak - 40); hi = min(hi, peak + 40)
        let xs = (lo...hi).map { Double($0) * spacingMM }
        let g = try GaussianFit.fit(x: xs, y: Array(values[lo...hi]), withBaseline: cv.fitBaseline)
        guard g.fwhm < Double(hi - lo + 1) * spacingMM else {
            throw .fitFailed("the profile at \(at) is wider than its window (\(String(format: "%.1f", g.fwhm)) mm): not a line or point source")
        }
        return g
    }

    /// FWHM and FWTM of one profile.
    static func profileWidth(_ values: [Double], spacingMM: Double, peak: Int, at: String, cv: Conventions) throws(QCError) -> ProfileWidth {
        let g = try fitProfile(values, spacingMM: spacingMM, peak: peak, at: at, cv: cv)
        return ProfileWidth(fwhmMM: g.fwhm, fwtmMM: g.fwtm, at: at)
    }

    /// Analyses one or more separate planar line sources.
    public static func analyzePlanar(_ image: PlanarImage,
                                     conventions cv: Conventions = Conventions()) throws(QCError) -> PlanarResult {
        guard let px = image.pixelSpacing.last, px > 0 else { throw .invalidInput("the image has no Pixel Spacing; FWHM in mm needs it") }
        let g = Grid(image)
        let mx = g.values.max() ?? 0
        guard mx >= cv.minimumPeakCounts else {
            throw .insufficientCounts(what: "the hottest pixel", have: mx, need: cv.minimumPeakCounts, unit: "counts")
        }
        let mask = g.values.map { $0 >= cv.sourceThreshold * mx }
        let (labels, sizes) = Grid.label(mask, rows: g.rows, columns: g.columns)
        let hot = mask.filter { $0 }.count
        guard hot < g.values.count / 4 else {
            throw .notAQCImage(test: "line-source", reason: "\(hot * 100 / g.values.count) % of the pixels are above 30 % of the maximum (a flood or an extended object, not a line)")
        }
        var lines = [PlanarLine]()
        for l in sizes.indices.dropFirst() where sizes[l] >= 8 {
            // Weighted moments of the component.
            var s = 0.0, sx = 0.0, sy = 0.0
            for k in 0..<labels.count where labels[k] == l { let w = g.values[k]; s += w; sx += w * Double(k % g.columns); sy += w * Double(k / g.columns) }
            let cx = sx / s, cy = sy / s
            var mxx = 0.0, myy = 0.0, mxy = 0.0
            var minR = Int.max, maxR = Int.min, minC = Int.max, maxC = Int.min
            for k in 0..<labels.count where labels[k] == l {
                let w = g.values[k], dx = Double(k % g.columns) - cx, dy = Double(k / g.columns) - cy
                mxx += w * dx * dx; myy += w * dy * dy; mxy += w * dx * dy
                minR = min(minR, k / g.columns); maxR = max(maxR, k / g.columns); minC = min(minC, k % g.columns); maxC = max(maxC, k % g.columns)
            }
            // Major-axis angle from the x axis, then from vertical.
            let theta = 0.5 * atan2(2 * mxy, mxx - myy)
            let fromVertical = (theta * 180 / .pi) - 90
            let alongRows = abs(sin(theta)) >= abs(cos(theta)) // line closer to vertical: profiles along rows
            let cosCorr = alongRows ? abs(sin(theta)) : abs(cos(theta))
            let (a, b) = alongRows ? (minR, maxR) : (minC, maxC)
            let trim = Int((Double(b - a + 1) * cv.endTrimFraction).rounded())
            guard b - trim >= a + trim else { continue }
            var widths = [ProfileWidth]()
            for t in (a + trim)...(b - trim) {
                let profile: [Double] = alongRows ? (0..<g.columns).map { g[t, $0] } : (0..<g.rows).map { g[$0, t] }
                // Peak within this component.
                var best = -1
                for i in 0..<profile.count {
                    let k = alongRows ? t * g.columns + i : i * g.columns + t
                    if labels[k] == l && (best < 0 || profile[i] > profile[best]) { best = i }
                }
                guard best >= 0 else { continue }
                let w = try profileWidth(profile, spacingMM: px, peak: best, at: alongRows ? "row \(t)" : "column \(t)", cv: cv)
                widths.append(ProfileWidth(fwhmMM: w.fwhmMM * cosCorr, fwtmMM: w.fwtmMM * cosCorr, at: w.at))
            }
            guard !widths.isEmpty else { continue }
            lines.append(PlanarLine(angleFromVerticalDegrees: fromVertical > 90 ? fromVertical - 180 : (fromVertical < -90 ? fromVertical + 180 : fromVertical),
                                    centreColumn: cx, centreRow: cy, width: WidthSummary(widths), perProfile: widths))
        }
        guard !lines.isEmpty else {
            throw .notAQCImage(test: "line-source", reason: "no elongated source found above 30 % of the maximum")
        }
        lines.sort { ($0.centreColumn, $0.centreRow) < ($1.centreColumn, $1.centreRow) }
        let all = lines.flatMap(\.perProfile)
        return PlanarResult(fwhmMM: all.map(\.fwhmMM).reduce(0, +) / Double(all.count),
                            fwtmMM: all.map(\.fwtmMM).reduce(0, +) / Double(all.count), lines: lines,
                            pixelSizeMM: px, conventions: cv)
    }

    /// Analyses a reconstructed line source (along z) or point source.
    public static func analyzeTomographic(_ volume: Volume, conventions cv: Conventions = Conventions()) throws(QCError) -> TomographicResult {
        let nx = volume.size.x, ny = volume.size.y, nz = volume.size.z
        let sx = abs(volume.geometry.spacing.x), sy = abs(volume.geometry.spacing.y), sz = abs(volume.geometry.spacing.z)
        guard nx >= 8, ny >= 8, nz >= 1 else { throw .invalidInput("the volume is \(volume.size); resolution needs at least 8 × 8 pixels") }
        var gmax: Float = 0, gi = 0
        for (i, v) in volume.voxels.enumerated() where v > gmax { gmax = v; gi = i }
        guard Double(gmax) >= cv.minimumPeakCounts else {
            throw .insufficientCounts(what: "the hottest voxel", have: Double(gmax), need: cv.minimumPeakCounts, unit: "counts")
        }
        let px = gi % nx, py = (gi / nx) % ny, pz = gi / (nx * ny)
        // Slices whose maximum reaches half the global maximum: spanning ≥ 40 mm → a line along z, else a point.
        var hotSlices = [Int]()
        for z in 0..<nz where (volume.slice(z).max() ?? 0) >= gmax * 0.5 { hotSlices.append(z) }
        let isLine = Double((hotSlices.last ?? 0) - (hotSlices.first ?? 0) + 1) * sz >= 40
        var xw = [ProfileWidth](), yw = [ProfileWidth](), zw = [ProfileWidth]()
        func transverse(_ z: Int) throws(QCError) {
            let sl = volume.slice(z)
            var m: Float = -1, mi = 0
            for (i, v) in sl.enumerated() where v > m { m = v; mi = i }
            let iy = mi / nx, ix = mi % nx
            let rowProfile = (0..<nx).map { Double(volume[$0, iy, z]) }
            let colProfile = (0..<ny).map { Double(volume[ix, $0, z]) }
            xw.append(try profileWidth(rowProfile, spacingMM: sx, peak: ix, at: "slice \(z) x", cv: cv))
            yw.append(try profileWidth(colProfile, spacingMM: sy, peak: iy, at: "slice \(z) y", cv: cv))
        }
        if isLine {
            let a = hotSlices.first!, b = hotSlices.last!
            let trim = Int((Double(b - a + 1) * cv.endTrimFraction).rounded())
            for z in hotSlices where z >= a + trim && z <= b - trim { try transverse(z) }
        } else {
            try transverse(pz)
            if nz >= 5 {
                let zProfile = (0..<nz).map { Double(volume[px, py, $0]) }
                zw.append(try profileWidth(zProfile, spacingMM: sz, peak: pz, at: "z", cv: cv))
            }
        }
        guard !xw.isEmpty else { throw .notAQCImage(test: "tomographic resolution", reason: "no source slice found") }
        return TomographicResult(kind: isLine ? "tomographic line source" : "tomographic point source",
                                 x: WidthSummary(xw), y: WidthSummary(yw), z: zw.isEmpty ? nil : WidthSummary(zw),
                                 peakVoxel: [px, py, pz], perProfile: xw + yw + zw, conventions: cv)
    }

    /// Four-bar phantom result (two vertical and two horizontal line sources a known distance apart).
    public struct FourBarResult: Sendable, Codable, Equatable {
        public var test = "resolution"
        public var kind = "four-bar phantom"
        /// x: across the vertical bars (profile along a row band); y: across the horizontal bars.
        public var x: FourBarAxis
        public var y: FourBarAxis
        public var separationMM: Double
        public var pixelSizeMM: Double
        public var conventions: Conventions
    }

    public struct FourBarAxis: Sendable, Codable, Equatable {
        /// Mean FWHM and FWTM (mm) of the two bars.
        public var fwhmMM: Double
        public var fwtmMM: Double
        /// Pixel size (mm) measured as the known separation over the distance between the fitted centres.
        public var measuredPixelSizeMM: Double
        /// (measured − header) / header, %.
        public var pixelSizeDifferencePercent: Double
    }

    /// Four-bar phantom (IAEA NMQC 2.3.4, pylinac `FourBarResolution`): a band `roiWidthMM` wide through the image
    /// centre and 2 × `separationMM` long, averaged across, in each direction; each of the two peaks fitted by its
    /// own Gaussian (profile split halfway between the peaks).
    public static func analyzeFourBar(_ image: PlanarImage, separationMM: Double, roiWidthMM: Double = 10,
                                      conventions cv: Conventions = Conventions()) throws(QCError) -> FourBarResult {
        guard let px = image.pixelSpacing.last, px > 0, let py = image.pixelSpacing.first, py > 0 else {
            throw .invalidInput("the image has no Pixel Spacing; the four-bar test needs it")
        }
        guard separationMM > 0 else { throw .invalidInput("the bar separation must be positive (mm)") }
        let g = Grid(image)
        func band(alongColumns: Bool) throws(QCError) -> FourBarAxis {
            let spacing = alongColumns ? px : py
            let half = Int((separationMM / spacing).rounded())
            let w = max(1, Int((roiWidthMM / (alongColumns ? py : px)).rounded()))
            let centreAlong = alongColumns ? g.columns / 2 : g.rows / 2, centreAcross = alongColumns ? g.rows / 2 : g.columns / 2
            let lo = max(0, centreAlong - half), hi = min((alongColumns ? g.columns : g.rows) - 1, centreAlong + half)
            let a0 = max(0, centreAcross - w / 2), a1 = min((alongColumns ? g.rows : g.columns) - 1, a0 + w - 1)
            let profile = (lo...hi).map { t in (a0...a1).reduce(0.0) { $0 + (alongColumns ? g[$1, t] : g[t, $1]) } / Double(a1 - a0 + 1) }
            guard let p1 = profile.indices.max(by: { profile[$0] < profile[$1] }) else { throw .notAQCImage(test: "four-bar", reason: "empty profile") }
            let exclusion = max(2, half / 4)
            guard let p2 = profile.indices.filter({ abs($0 - p1) > exclusion }).max(by: { profile[$0] < profile[$1] }),
                  profile[p2] > 0.3 * profile[p1] else {
                throw .notAQCImage(test: "four-bar", reason: "fewer than two bars across the \(alongColumns ? "rows" : "columns") through the centre")
            }
            let (a, b) = (min(p1, p2), max(p1, p2))
            let mid = (a + b) / 2
            let left = Array(profile[0...mid]), right = Array(profile[(mid + 1)...])
            let fa = try fitProfile(left, spacingMM: spacing, peak: a, at: alongColumns ? "x bar 1" : "y bar 1", cv: cv)
            let fb = try fitProfile(right, spacingMM: spacing, peak: b - mid - 1, at: alongColumns ? "x bar 2" : "y bar 2", cv: cv)
            let distancePixels = (fb.centre / spacing + Double(mid + 1)) - fa.centre / spacing
            let measured = separationMM / distancePixels
            return FourBarAxis(fwhmMM: (fa.fwhm + fb.fwhm) / 2, fwtmMM: (fa.fwtm + fb.fwtm) / 2,
                               measuredPixelSizeMM: measured, pixelSizeDifferencePercent: (measured - spacing) / spacing * 100)
        }
        return FourBarResult(x: try band(alongColumns: true), y: try band(alongColumns: false), separationMM: separationMM,
                             pixelSizeMM: px, conventions: cv)
    }
}
