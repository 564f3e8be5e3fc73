import Foundation
import Imaging
import Physics

/// Thyroid uptake with a gamma camera (or from planar images a probe would replace): neck, standard capsule in a
/// neck phantom, thigh (tissue background) and room background, each decay-corrected to the neck acquisition
/// mid-time.
///
/// Regions: a disc of `roiRadiusMM` around the count-weighted centre of the hottest region (smoothed counts ≥ 30 %
/// of the maximum) on the neck and on the standard image; the same disc at the neck position on the thigh and
/// room images (they have no hot region). Count rates are counts ÷ duration, corrected for decay during the
/// acquisition and to the neck mid-time (room background is not decayed). With R the rates at the neck
/// mid-time `t`:
///
///     uptake % = 100 · (R_neck − R_thigh) / (R_standard − R_room) · A_standard(t) / A_administered(t)
///
/// where R_neck and R_thigh each have the room rate subtracted first, and A(t) are the standard's and the
/// administered activity decayed to `t` from their calibration / administration times. This is the SNMMI
/// procedure guideline's formula (Society of Nuclear Medicine Procedure Guideline for Thyroid Uptake
/// Measurement 3.0, 2006: %uptake = (neck − thigh)/(standard − background) × 100 for a standard equal to the
/// dose) generalised to a standard of any activity and to acquisitions at different times. With the automatic discs
/// the uptake is divided by the region-geometry factor k (the disc collects less of the extended gland's scatter
/// tails than of the point-like capsule's; measured with the standard image, `ThyroidUptake+RegionGeometry.swift`),
/// and every result carries its counting uncertainty (k = 1) and a warning below 10 000 net counts per measurement.
public struct ThyroidUptake: Sendable {
    /// One measurement: an image and when and how long it was acquired.
    public struct Measurement: Sendable {
        /// The photopeak image.
        public var image: PlanarViewImage
        /// Acquisition start.
        public var start: Date
        /// Acquisition duration (s).
        public var durationSeconds: Double
        /// Creates a measurement.
        public init(image: PlanarViewImage, start: Date, durationSeconds: Double) {
            self.image = image; self.start = start; self.durationSeconds = durationSeconds
        }
        var midTime: Date { start.addingTimeInterval(durationSeconds / 2) }
    }

    /// The therapy activity by the Marinelli formula, as given in the EANM procedure guidelines for therapy of
    /// benign thyroid disease (Stokkel MPM et al., Eur J Nucl Med Mol Imaging 2010;37:2218–2228):
    ///
    ///     A [MBq] = 24.67 · D [Gy] · m [g] / (U [%] · T_eff [d])
    ///
    /// with D the target absorbed dose, m the gland mass (volume in mL × 1 g/mL), U the (maximum) uptake in percent
    /// and T_eff the effective half-life in days. 24.67 comes from I-131's mean non-penetrating energy per decay
    /// (≈ 0.20 MeV) and the integral of the activity (U · A · T_eff / ln 2).
    public struct Marinelli: Sendable, Codable, Equatable {
        /// Target absorbed dose (Gy).
        public var targetDoseGy: Double
        /// Gland mass (g).
        public var glandMassG: Double
        /// Effective half-life (days).
        public var effectiveHalfLifeDays: Double
        /// Uptake used (percent).
        public var uptakePercent: Double
        /// Activity to administer (MBq).
        public var activityMBq: Double
        /// The formula and its source.
        public var formula: String

        /// The constant of the formula (MBq · % · d / (Gy · g)).
        public static let constant = 24.67

        /// Computes the activity; throws on a non-positive input.
        public init(targetDoseGy: Double, glandMassG: Double, uptakePercent: Double, effectiveHalfLifeDays: Double) throws(PlanarAnalysisError) {
            for (name, v) in [("target dose", targetDoseGy), ("gland mass", glandMassG), ("uptake", uptakePercent), ("effective half-life", effectiveHalfLifeDays)] {
                guard v.isFinite, v > 0 else { throw PlanarAnalysisError("Marinelli formula: \(name) must be positive, got \(v)") }
            }
            guard uptakePercent <= 100 else { throw PlanarAnalysisError("Marinelli formula: uptake \(uptakePercent) % is above 100 %") }
            self.targetDoseGy = targetDoseGy; self.glandMassG = glandMassG; self.uptakePercent = uptakePercent
            self.effectiveHalfLifeDays = effectiveHalfLifeDays
            activityMBq = Self.constant * targetDoseGy * glandMassG / (uptakePercent * effectiveHalfLifeDays)
            formula = "A[MBq] = 24.67 × D[Gy] × m[g] / (U[%] × Teff[d]) (Marinelli; EANM benign thyroid therapy guideline, Stokkel et al. EJNMMI 2010;37:2218)"
        }
    }

    /// The result with units and conventions. `uptakePercent` is the contract key.
    public struct Result: Sendable, Codable, Equatable {
        /// Percent of the administered activity in the gland at the neck mid-time (decay-corrected).
        public var uptakePercent: Double
        /// Radionuclide and its half-life (s) used for the decay corrections, and the data set.
        public var radionuclide: String
        public var halfLifeSeconds: Double
        public var decayDataSet: String
        /// Reference time (ISO 8601): the neck acquisition mid-time.
        public var referenceTime: String
        /// Hours from administration to the reference time.
        public var hoursAfterAdministration: Double
        /// Count rates (cps) in the regions at the reference time (room: as measured).
        public var neckCPS: Double
        public var thighCPS: Double?
        public var standardCPS: Double
        public var roomCPS: Double?
        /// Activities (MBq): administered (at administration), standard (at its calibration), both at the reference time.
        public var administeredMBq: Double
        public var standardMBq: Double
        public var administeredAtReferenceMBq: Double
        public var standardAtReferenceMBq: Double
        /// Gland activity at the reference time (MBq).
        public var thyroidMBq: Double
        /// System sensitivity from the standard (cps/MBq).
        public var sensitivityCPSPerMBq: Double
        /// Region: radius (mm, pixels) and centres (column, row) on the neck and the standard.
        public var roiRadiusMM: Double
        public var roiRadiusPixels: Double
        public var neckROICentre: [Double]
        public var standardROICentre: [Double]
        /// Where the activities came from.
        public var activitySources: [String]
        /// The therapy activity, when asked for.
        public var marinelli: Marinelli?
        /// Conventions in words.
        public var method: String
        /// Units.
        public var units: [String: String]
        /// What was assumed.
        public var warnings: [String]
        /// What a physician reads (issue 18), one sentence each.
        public var findings: [String] = []
        /// Uptake seen and why it is not a finding.
        public var physiology: [PhysiologicalUptake] = []
        /// What limits the result (counts, view, phase, assumptions).
        public var quality: [String] = []
        /// Standard uncertainty (k = 1) of `uptakePercent` from the Poisson statistics of the counts in the regions
        /// (percentage points; covariance through the shared room image neglected).
        public var uptakeUncertaintyPoints: Double? = nil
        /// Counts in the regions as acquired: neck, thigh and room in the neck's region, standard in its own.
        public var neckCounts: Double? = nil
        public var thighCounts: Double? = nil
        public var standardCounts: Double? = nil
        public var roomCounts: Double? = nil
        /// Net counts: the neck's less the thigh's and room's (scaled to the neck's duration), the standard's less the room's.
        public var neckNetCounts: Double? = nil
        public var standardNetCounts: Double? = nil
        /// The fraction the neck region collects of the extended gland relative to a point at its centre, measured
        /// with the standard image (``ThyroidUptake/regionGeometryFactor(gland:core:region:standard:capsule:)``);
        /// the uptake is divided by it. 1 with regions given from outside (not applied).
        public var regionGeometryFactor: Double? = nil
        /// The uptake before the region-geometry correction (percent).
        public var uncorrectedUptakePercent: Double? = nil
    }

    /// Regions for the figure.
    public struct Analysis: Sendable {
        public var result: Result
        public var neckROI: PlanarROI
        public var standardROI: PlanarROI
    }

    /// Radius of the circular regions (mm).
    public var roiRadiusMM: Double
    /// Radionuclide (decay data).
    public var nuclide: Radionuclide

    /// Creates the analysis.
    public init(nuclide: Radionuclide, roiRadiusMM: Double = 50) { self.nuclide = nuclide; self.roiRadiusMM = roiRadiusMM }

    /// The disc region around the hot spot of `img` (count-weighted centre of smoothed counts ≥ 30 % of maximum).
    static func hotCentre(_ img: PlanarViewImage) -> (Double, Double) {
        let s = img.smoothed(passes: 2)
        let m = s.counts.max() ?? 0
        var w = 0.0, sc = 0.0, sr = 0.0
        for i in s.counts.indices where s.counts[i] >= 0.3 * m {
            let v = Double(s.counts[i]); w += v; sc += v * Double(i % img.columns); sr += v * Double(i / img.columns)
        }
        return w > 0 ? (sc / w, sr / w) : (Double(img.columns - 1) / 2, Double(img.rows - 1) / 2)
    }

    /// Computes the uptake. `administeredBq` at `administration`; `standardBq` at `standardCalibration`.
    /// `neckRegion` and `standardRegion`, when given (regions edited by a reader, issue 13/18), replace the automatic
    /// discs on the neck (also used on the thigh and room images) and on the standard; the uptake is computed from them
    /// in the same way.
    public func analyze(neck: Measurement, standard: Measurement, thigh: Measurement?, room: Measurement?,
                        administeredBq: Double, administration: Date, standardBq: Double, standardCalibration: Date,
                        marinelli: (targetDoseGy: Double, glandMassG: Double, effectiveHalfLifeDays: Double)? = nil,
                        activitySources: [String] = [], neckRegion: PlanarROI? = nil,
                        standardRegion: PlanarROI? = nil) throws(PlanarAnalysisError) -> Analysis {
        guard administeredBq.isFinite, administeredBq > 0 else { throw PlanarAnalysisError("administered activity must be positive, got \(administeredBq) Bq") }
        guard standardBq.isFinite, standardBq > 0 else { throw PlanarAnalysisError("standard activity must be positive, got \(standardBq) Bq") }
        let all: [(String, Measurement?)] = [("neck", neck), ("standard", standard), ("thigh", thigh), ("room", room)]
        for (name, m) in all {
            guard let m else { continue }
            guard m.durationSeconds.isFinite, m.durationSeconds > 0 else { throw PlanarAnalysisError("\(name): acquisition duration must be positive") }
            guard m.image.rows == neck.image.rows, m.image.columns == neck.image.columns else {
                throw PlanarAnalysisError("\(name) image is \(m.image.rows)×\(m.image.columns), the neck image \(neck.image.rows)×\(neck.image.columns): mismatched matrix sizes")
            }
            if name == "neck" || name == "standard" { guard m.image.totalCounts > 0 else { throw PlanarAnalysisError("\(name) image has zero counts") } }
        }
        var warnings: [String] = []
        let pixel = neck.image.pixelSpacingMM ?? { warnings.append("no pixel spacing: 4 mm assumed for the \(roiRadiusMM) mm region"); return 4 }()
        if let sp = standard.image.pixelSpacingMM, abs(sp - pixel) > 1e-3 { throw PlanarAnalysisError("standard pixel spacing \(sp) mm differs from the neck's \(pixel) mm") }
        let rpx = roiRadiusMM / pixel
        let rows = neck.image.rows, cols = neck.image.columns
        let nc = Self.hotCentre(neck.image), sc = Self.hotCentre(standard.image)
        var neckROI = PlanarROI.disc(rows: rows, columns: cols, column: nc.0, row: nc.1, radius: rpx)
        var stdROI = PlanarROI.disc(rows: rows, columns: cols, column: sc.0, row: sc.1, radius: rpx)
        // Whole-disc coverage: warn when the disc leaves the image.
        let ideal = Double.pi * rpx * rpx
        if neckRegion == nil && Double(neckROI.count) < 0.9 * ideal || standardRegion == nil && Double(stdROI.count) < 0.9 * ideal {
            warnings.append("the \(roiRadiusMM) mm region reaches past the image edge")
        }
        for (name, given) in [("neck", neckRegion), ("standard", standardRegion)] {
            guard let g = given else { continue }
            guard g.rows == rows, g.columns == cols, g.count > 0 else {
                throw PlanarAnalysisError("the \(name) region given is empty or not on the \(cols)×\(rows) image grid")
            }
            if name == "neck" { neckROI = g } else { stdROI = g }
            warnings.append("\(name) region given from outside (edited): \(g.count) pixels")
        }
        let edited = neckRegion != nil || standardRegion != nil
        let neckCentre = neckRegion.flatMap(\.centroid).map { [$0.column, $0.row] } ?? [nc.0, nc.1]
        let stdCentre = standardRegion.flatMap(\.centroid).map { [$0.column, $0.row] } ?? [sc.0, sc.1]
        let ref = neck.midTime
        let hl = nuclide.halfLifeSeconds
        func rate(_ m: Measurement, _ roi: PlanarROI) -> Double { roi.sum(m.image) / m.durationSeconds }
        func toRef(_ m: Measurement) -> Double {
            Decay.correctionFactor(acquisitionStart: m.start, durationSeconds: m.durationSeconds, reference: ref, halfLifeSeconds: hl)
        }
        let roomRate = room.map { rate($0, neckROI) }
        let roomStd = room.map { rate($0, stdROI) } ?? 0
        if room == nil { warnings.append("no room background image: room background taken as 0") }
        let neckRate = (rate(neck, neckROI) - (roomRate ?? 0)) * toRef(neck)
        let thighRate = thigh.map { (rate($0, neckROI) - (roomRate ?? 0)) * toRef($0) }
        if thigh == nil { warnings.append("no thigh image: no correction for extrathyroidal tissue activity (uptake overestimated)") }
        let stdRate = (rate(standard, stdROI) - roomStd) * toRef(standard)
        guard stdRate > 0 else { throw PlanarAnalysisError("standard counts do not exceed the room background") }
        let adminRef = Decay.activity(administeredBq, from: administration, to: ref, halfLifeSeconds: hl)
        let stdRef = Decay.activity(standardBq, from: standardCalibration, to: ref, halfLifeSeconds: hl)
        let sens = stdRate / stdRef
        let net = neckRate - (thighRate ?? 0)
        // Region geometry (automatic discs only): the gland's extent against the point-like capsule, measured with
        // the standard image as the system's point response (ThyroidUptake+RegionGeometry.swift).
        let cn = toRef(neck), ch = thigh.map { toRef($0) } ?? 0, cs = toRef(standard)
        var geometry = 1.0
        if !edited {
            let roomPx = (roomRate ?? 0) / Double(max(1, neckROI.count)), roomStdPx = roomStd / Double(max(1, stdROI.count))
            var gland = [Double](repeating: 0, count: neck.image.counts.count)
            for i in gland.indices {
                gland[i] = (Double(neck.image.counts[i]) / neck.durationSeconds - roomPx) * cn
                if let t = thigh { gland[i] -= (Double(t.image.counts[i]) / t.durationSeconds - roomPx) * ch }
            }
            let std: [Double] = standard.image.counts.map { Double($0) / standard.durationSeconds - roomStdPx }
            geometry = Self.regionGeometryFactor(gland: gland, core: Self.hotCore(neck.image), region: neckROI, standard: std,
                                                 capsule: (sc.0, sc.1))
        }
        let thyroidBq = net / sens / geometry
        let uptake = 100 * thyroidBq / adminRef
        // Counting statistics (Poisson, k = 1): variances of the net neck rate and of the standard's rate.
        let nN = neckROI.sum(neck.image), nH = thigh.map { neckROI.sum($0.image) }, nS = stdROI.sum(standard.image)
        let nR = room.map { neckROI.sum($0.image) }, nRS = room.map { stdROI.sum($0.image) }
        let tN = neck.durationSeconds, tS = standard.durationSeconds, tH = thigh?.durationSeconds ?? 1, tR = room?.durationSeconds ?? 1
        let varNet = cn * cn * nN / (tN * tN) + ch * ch * (nH ?? 0) / (tH * tH) + (cn - ch) * (cn - ch) * (nR ?? 0) / (tR * tR)
        let varStd = cs * cs * (nS / (tS * tS) + (nRS ?? 0) / (tR * tR))
        let rel = Self.ratioRelativeUncertainty(num: net, varNum: varNet, den: stdRate, varDen: varStd)
        let sigma = net != 0 ? abs(uptake) * rel : 100 * varNet.squareRoot() / sens / geometry / adminRef
        let neckNet = net / cn * tN, stdNet = stdRate / cs * tS
        if uptake < 0 { warnings.append("neck counts are below the thigh's: uptake negative (no measurable uptake)") }
        let hours = ref.timeIntervalSince(administration) / 3600
        if hours < 0 { throw PlanarAnalysisError("the neck was acquired before the administration (\(String(format: "%.2f", hours)) h)") }
        var mar: Marinelli? = nil
        if let m = marinelli { mar = try Marinelli(targetDoseGy: m.targetDoseGy, glandMassG: m.glandMassG, uptakePercent: uptake, effectiveHalfLifeDays: m.effectiveHalfLifeDays) }
        var quality: [String] = []
        quality.append(String(format: "counting uncertainty ±%.2f points (k = 1, %.2f %% relative; Poisson): %.0f net counts in the neck region (neck %.0f, thigh %@, room %@), %.0f net counts of the standard (%.0f)",
                              sigma, 100 * sigma / max(abs(uptake), 1e-12), neckNet, nN, nH.map { String(format: "%.0f", $0) } ?? "—",
                              nR.map { String(format: "%.0f", $0) } ?? "—", stdNet, nS))
        for (name, c) in [("neck (net of thigh and room)", neckNet), ("standard (net of room)", stdNet)] where c < Self.minimumNetCounts {
            let w = String(format: "%@: %.0f net counts in the region, below the %.0f per measurement of the uptake procedure (their Poisson uncertainty alone %.1f %%): acquire longer or with more activity",
                           name, c, Self.minimumNetCounts, c > 0 ? 100 / c.squareRoot() : .infinity)
            warnings.append(w)
        }
        if 2 * sigma > Self.statementPoints {
            warnings.append(String(format: "counting uncertainty ±%.2f points (k = 1): the ≈ 95 %% interval (k = 2, ±%.2f) is wider than ±%.1f points, so the uptake cannot be stated to %.1f points; the uncertainty falls as 1/√(acquisition time or activity)",
                                   sigma, 2 * sigma, Self.statementPoints, Self.statementPoints))
        }
        if !edited {
            quality.append(String(format: "region geometry: the %.0f mm disc collects %.2f %% of the extended gland's counts relative to a point at its centre (measured with the standard image as the point response); uptake divided by %.4f", roiRadiusMM, 100 * geometry, geometry))
        } else {
            quality.append("region geometry correction not applied: regions given from outside are measured as drawn")
        }
        let iso = ISO8601DateFormatter()
        let result = Result(
            uptakePercent: uptake, radionuclide: nuclide.name, halfLifeSeconds: hl, decayDataSet: nuclide.dataSet.rawValue,
            referenceTime: iso.string(from: ref), hoursAfterAdministration: hours,
            neckCPS: neckRate, thighCPS: thighRate, standardCPS: stdRate, roomCPS: roomRate,
            administeredMBq: administeredBq / 1e6, standardMBq: standardBq / 1e6, administeredAtReferenceMBq: adminRef / 1e6,
            standardAtReferenceMBq: stdRef / 1e6, thyroidMBq: thyroidBq / 1e6, sensitivityCPSPerMBq: sens * 1e6,
            roiRadiusMM: roiRadiusMM, roiRadiusPixels: rpx, neckROICentre: neckCentre, standardROICentre: stdCentre,
            activitySources: activitySources, marinelli: mar,
            method: (edited ? "edited regions replace the automatic discs where given; " : "") + "disc regions of \(roiRadiusMM) mm radius on the neck and standard hot spots (thigh and room: the neck's disc); count rates corrected for decay during each acquisition and to the neck mid-time (\(nuclide.name) T½ \(String(format: "%.4g", hl / 3600)) h, \(nuclide.dataSet.rawValue)); room rate subtracted from every image; uptake = (neck − thigh)/(standard − room) × A_standard(t)/A_administered(t) × 100 (SNMMI thyroid uptake guideline 3.0)" + (edited ? "" : " ÷ k, k the fraction the neck disc collects of the extended gland relative to a point at its centre, measured by moving the disc over the standard image (the system's point response in the neck phantom)") + "; uncertainty: Poisson counting statistics, k = 1",
            units: ["uptakePercent": "percent of administered activity, decay-corrected to the reference time", "*CPS": "counts per second in the region at the reference time",
                    "*MBq": "MBq", "roiRadiusMM": "mm", "roiRadiusPixels": "pixels", "*ROICentre": "column, row (0-based pixels)",
                    "hoursAfterAdministration": "h", "sensitivityCPSPerMBq": "cps per MBq",
                    "uptakeUncertaintyPoints": "percentage points of uptake, standard uncertainty (k = 1), counting statistics",
                    "*Counts": "counts in the region (as acquired; *NetCounts: net of thigh and room, at the measurement's own duration)",
                    "regionGeometryFactor": "dimensionless", "uncorrectedUptakePercent": "percent of administered activity"],
            warnings: warnings)
        var r = result
        r.findings = [String(format: "Thyroid uptake %.1f %% ± %.1f (k = 1, counting statistics) of the administered activity at %.1f h (%@).", uptake, sigma, hours, nuclide.name)]
        r.quality = quality + warnings
        r.uptakeUncertaintyPoints = sigma
        r.neckCounts = nN; r.thighCounts = nH; r.standardCounts = nS; r.roomCounts = nR
        r.neckNetCounts = neckNet; r.standardNetCounts = stdNet
        r.regionGeometryFactor = geometry
        r.uncorrectedUptakePercent = uptake * geometry
        return Analysis(result: r, neckROI: neckROI, standardROI: stdROI)
    }
}
