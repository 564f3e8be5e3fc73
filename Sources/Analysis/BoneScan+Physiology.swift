import Foundation
import Imaging

/// The patient's outline on one whole-body view: head-to-foot extent, midline and pixel size; places the skeletal
/// regions of a height-scaled atlas (segment proportions of the standing adult, Drillis & Contini 1966, as given in
/// Winter, *Biomechanics and Motor Control of Human Movement*, 4th ed., Fig. 4.1: shoulder at 0.818 H, hip (greater
/// trochanter) at 0.530 H, knee at 0.285 H, chin at 0.870 H above the floor).
struct BodyGeometry: Sendable {
    /// First and last rows holding the body (smoothed counts above 5 % of the 99th percentile).
    var topRow: Int, bottomRow: Int
    /// Count-weighted mean column of the body pixels.
    var midlineColumn: Double
    /// Pixel size (mm).
    var pixelMM: Double
    /// Whether the view looks from behind (its columns run from the patient's right to left... mirrored).
    var posterior: Bool
    /// Direction (LPS) of increasing column, when written.
    var rowDirectionX: Double?

    init(_ v: PlanarViewImage, smoothingSigma: Double) {
        let s = RegionTools.gaussian(v.counts, rows: v.rows, columns: v.columns, sigma: max(1, smoothingSigma))
        let p99 = RegionTools.quantile(s, 0.99)
        var top = v.rows, bottom = -1, sw = 0.0, sc = 0.0
        for r in 0..<v.rows {
            for c in 0..<v.columns where s[r * v.columns + c] > 0.05 * p99 {
                top = min(top, r); bottom = max(bottom, r)
                let w = Double(s[r * v.columns + c]); sw += w; sc += w * Double(c)
            }
        }
        topRow = top <= bottom ? top : 0; bottomRow = top <= bottom ? bottom : v.rows - 1
        midlineColumn = sw > 0 ? sc / sw : Double(v.columns - 1) / 2
        pixelMM = (v.rowSpacingMM + v.columnSpacingMM) / 2
        posterior = v.name.lowercased().contains("posterior") || (v.rowDirection?.x ?? 1) < -0.9
        rowDirectionX = v.rowDirection?.x
    }

    /// Body height in pixels.
    var heightPixels: Double { Double(max(1, bottomRow - topRow)) }
    /// Fraction of the body height from the top of the head (0) to the soles (1).
    func fraction(row: Double) -> Double { (row - Double(topRow)) / heightPixels }
    /// Lateral distance from the midline (mm, unsigned).
    func lateralMM(column: Double) -> Double { abs(column - midlineColumn) * pixelMM }
    /// Height of the patient as imaged (mm).
    var heightMM: Double { heightPixels * pixelMM }

    /// Patient side of a column: from the row direction when written (+x of LPS is the patient's left), else from the
    /// view name (anterior: image left = patient right).
    func side(column: Double) -> String {
        let dc = column - midlineColumn
        if abs(dc) * pixelMM < 15 { return "midline" }
        let x = rowDirectionX ?? (posterior ? -1 : 1)
        return (dc * x > 0) ? "left" : "right"
    }

    /// On the spine (within 25 mm of the midline) between the chin and the top of the bladder (0.13–0.46 H).
    func onSpineAboveBladder(column: Double, row: Double) -> Bool {
        let f = fraction(row: row)
        return lateralMM(column: column) < 25 && f > 0.13 && f < 0.46
    }
}

extension BoneScanAnalysis {
    /// The result for a file that is not a patient study (a QC acquisition): no lesions, the reason as the finding.
    public static func notAPatient(_ why: String) -> Result {
        let a = BoneScanAnalysis()
        return Result(lesions: [], tumourBurdenIndexPercent: 0, excludedRegions: [], conventions: a.conventions, options: a.options, notes: [],
                      findings: ["Not a patient study: not analysed for lesions (\(why))."], quality: ["not a patient: \(why)"])
    }

    /// Skeletal region of a point from its height fraction `f` (0 top of head, 1 soles) and lateral distance from the
    /// midline (mm), on the ICRP-110 atlas fitted to the patient (``SkeletalAtlas/region(fraction:lateralMM:heightMM:)``).
    static func skeletalRegion(fraction f: Double, lateralMM d: Double, heightMM: Double) -> String {
        SkeletalAtlas.region(fraction: f, lateralMM: d, heightMM: heightMM) ?? "outside the skeletal atlas"
    }

    /// Early (blood-pool) or delayed phase. From the DICOM times when written: under 30 minutes after the injection
    /// early, 90 minutes or more delayed; otherwise (unknown or in between) from the image: soft tissue against bone
    /// (median ÷ 90th percentile of the smoothed body counts of the first view) ≥ 0.55 is early (blood pool and soft
    /// tissue as bright as bone), below it delayed.
    public func decidePhase(_ views: [PlanarViewImage], minutesAfterInjection: Double?) -> PhaseDecision {
        let v = views[0]
        let s = RegionTools.gaussian(v.counts, rows: v.rows, columns: v.columns, sigma: 1.5)
        let p99 = RegionTools.quantile(s, 0.99)
        let body = s.filter { $0 > 0.05 * p99 }
        let ratio = Double(RegionTools.quantile(body, 0.5)) / max(1e-9, Double(RegionTools.quantile(body, 0.9)))
        let image = ratio >= 0.55 ? "early" : "delayed"
        let imageText = String(format: "soft tissue / bone %.2f (≥ 0.55 early)", ratio)
        if let m = minutesAfterInjection, m >= 0 {
            if m < 30 { return PhaseDecision(decision: "early", minutesAfterInjection: m, softTissueToBone: ratio,
                                             reason: String(format: "acquired %.0f min after the injection (< 30 min); image: %@", m, imageText)) }
            if m >= 90 { return PhaseDecision(decision: "delayed", minutesAfterInjection: m, softTissueToBone: ratio,
                                              reason: String(format: "acquired %.0f min after the injection (≥ 90 min); image: %@", m, imageText)) }
            return PhaseDecision(decision: image, minutesAfterInjection: m, softTissueToBone: ratio,
                                 reason: String(format: "acquired %.0f min after the injection (30–90 min: decided by the image); %@", m, imageText))
        }
        return PhaseDecision(decision: image, minutesAfterInjection: nil, softTissueToBone: ratio,
                             reason: "no injection or acquisition time in the file: decided by the image; " + imageText)
    }

    /// Moves physiological uptake out of the lesion list (with its reason), labels the organ-sized regions, gives
    /// every lesion its region, side, size and opposite-view agreement, and writes findings and quality.
    func separatePhysiology(_ r: inout Result, views: [PlanarViewImage], geometry: [BodyGeometry], detections: [Detection]) {
        var physiology: [Physiology] = []
        var kept: [Lesion] = []
        let byView = Dictionary(uniqueKeysWithValues: zip(views.map(\.name), zip(views, geometry).map { ($0, $1) }))
        // Organ-sized regions: bladder, kidneys, other.
        for e in r.excludedRegions {
            guard let (_, g) = byView[e.view] else { continue }
            let f = g.fraction(row: e.row), d = g.lateralMM(column: e.column)
            let kind: String, reason: String
            if f >= 0.44 && f <= 0.58 && d < 60 {
                kind = "urinary bladder"; reason = String(format: "organ-sized (%.0f cm²) on the midline of the pelvis: urinary activity", e.areaCM2)
            } else if f >= 0.25 && f <= 0.45 && d >= 25 && d < 150 {
                kind = "kidney"; reason = String(format: "organ-sized (%.0f cm²) at the level and distance from the midline of a kidney: renal excretion", e.areaCM2)
            } else {
                kind = "organ-sized uptake"; reason = String(format: "half-maximum region %.0f cm², larger than a focal lesion (soft tissue or urinary tract)", e.areaCM2)
            }
            physiology.append(Physiology(view: e.view, column: e.column, row: e.row, kind: kind, reason: reason))
        }
        let bladders = physiology.filter { $0.kind == "urinary bladder" }
        // Injection site: one per patient — the hottest focus (ratio to the local level) in an arm, away from the trunk,
        // and that place on the other view (mirrored column) or within 30 mm on the same view. Other hot foci in
        // the arms stay lesion candidates (a humeral metastasis is as hot against the thin arm's level).
        let armHot: [Lesion] = r.lesions.filter { l in
            guard let (_, g) = byView[l.view] else { return false }
            let f = g.fraction(row: l.row), d = g.lateralMM(column: l.column)
            return d > 150 * max(0.6, g.heightMM / 1700) && f > 0.25 && f < 0.62 && l.uptakeRatio > 6
        }
        let injection = armHot.max { $0.uptakeRatio < $1.uptakeRatio }
        func atInjection(_ l: Lesion) -> Bool {
            guard let i = injection, let (v, _) = byView[l.view] else { return false }
            let px = (v.rowSpacingMM + v.columnSpacingMM) / 2
            let c = i.view == l.view ? i.column : Double(v.columns - 1) - i.column
            return hypot(c - l.column, i.row - l.row) * px <= 30
        }
        for l in r.lesions {
            guard let (v, g) = byView[l.view] else { kept.append(l); continue }
            let f = g.fraction(row: l.row), d = g.lateralMM(column: l.column)
            // The bladder as seen on the opposite view (less sharp there, so not organ-sized) or on this one.
            if let b = bladders.first(where: { b in abs(b.row - l.row) <= 5
                    && abs((b.view == l.view ? b.column : Double(v.columns - 1) - b.column) - l.column) <= 6 }) {
                physiology.append(Physiology(view: l.view, column: l.column, row: l.row, kind: "urinary bladder",
                                             reason: String(format: "at the bladder found on %@ (column %.0f, row %.0f): urinary activity", b.view, b.column, b.row)))
                continue
            }
            // The bladder when it is not organ-sized: a midline focus at its level, brighter on the anterior view
            // (the bladder lies in front; the sacrum, at the same place in projection, behind).
            if d < 40, f >= 0.43, f <= 0.56, let ap = anteriorToPosterior(l, views: views, geometry: geometry), ap >= 1 {
                physiology.append(Physiology(view: l.view, column: l.column, row: l.row, kind: "urinary bladder",
                                             reason: String(format: "midline focus at the level of the bladder, anterior/posterior %.2f (≥ 1: in front, not the sacrum): urinary activity", ap)))
                continue
            }
            // Injection site / extravasation: a very hot focus in an arm, away from the trunk.
            if d > 150 * max(0.6, g.heightMM / 1700) && f > 0.25 && f < 0.62 && l.uptakeRatio > 6 && atInjection(l) {
                physiology.append(Physiology(view: l.view, column: l.column, row: l.row, kind: "injection site / extravasation",
                                             reason: String(format: "focus %.1f× the local level in the arm, %.0f mm from the midline: tracer at the injection site", l.uptakeRatio, d)))
                continue
            }
            // Symmetric joint uptake: the mirrored point (about the midline) holds a focus of similar strength.
            let det = views.firstIndex(where: { $0.name == l.view }).flatMap { $0 < detections.count ? detections[$0] : nil }
            // Only at a joint of the atlas when `symmetricJointToleranceMM` is set: a mirrored pair elsewhere is two lesions.
            let joint = options.symmetricJointToleranceMM.flatMap { SkeletalAtlas.joint(fraction: f, lateralMM: d, heightMM: g.heightMM, toleranceMM: $0) }
            if d > 40, f > 0.12, options.symmetricJointToleranceMM == nil || joint != nil {
                let partner = symmetricPartner(l, in: r.lesions, geometry: g)
                let excess = partner ? nil : det.map { mirrorExcessFraction(l, detection: $0, view: v, geometry: g) }
                if partner || (excess ?? 0) >= options.symmetricExcessFraction {
                    let evidence = partner ? "a detected focus of similar strength (0.6–1.67× its ratio)"
                        : String(format: "a focal excess %.0f %% of this one (≥ %.0f %%)", 100 * (excess ?? 0), 100 * options.symmetricExcessFraction)
                    physiology.append(Physiology(view: l.view, column: l.column, row: l.row, kind: "symmetric joint uptake",
                                                 reason: String(format: "%@ at the mirrored position on the other side (%@%@; height %.3f, %.0f mm off the midline): joint uptake", evidence, Self.skeletalRegion(fraction: f, lateralMM: d, heightMM: g.heightMM), joint.map { ", " + $0.name } ?? "", f, d)))
                    continue
                }
            }
            kept.append(l)
        }
        r.lesions = kept
        r.physiology = physiology
        finish(&r, views: views, geometry: geometry)
    }

    /// The finishing step shared by the automatic path and the lesions given from outside
    /// (``analyze(_:minutesAfterInjection:lesions:)``): every lesion's region, side, size and opposite-view agreement,
    /// then the findings and the quality notes.
    func finish(_ r: inout Result, views: [PlanarViewImage], geometry: [BodyGeometry]) {
        let byView = Dictionary(uniqueKeysWithValues: zip(views.map(\.name), zip(views, geometry).map { ($0, $1) }))
        var kept = r.lesions
        let smoothed = kept.isEmpty ? [] : views.map { RegionTools.gaussian($0.counts, rows: $0.rows, columns: $0.columns, sigma: options.smoothingSigmaPixels) }
        for k in kept.indices {
            guard let (_, g) = byView[kept[k].view] else { continue }
            let f = g.fraction(row: kept[k].row), d = g.lateralMM(column: kept[k].column)
            kept[k].region = Self.skeletalRegion(fraction: f, lateralMM: d, heightMM: g.heightMM)
            kept[k].side = g.side(column: kept[k].column)
            kept[k].sizeMM = 2 * (kept[k].areaCM2 * 100 / Double.pi).squareRoot()
            // Sternum or thoracic spine (one column in projection): the sternum is anterior, brighter on the anterior
            // view than on the posterior one at the same place.
            if kept[k].region == "thoracic spine", f >= 0.175, f < 0.275,
               let ap = anteriorToPosterior(kept[k], views: views, geometry: geometry), ap > 1 {
                kept[k].region = "sternum"
            }
            kept[k].uptakeRatioToRegion = regionRatio(kept[k], views: views, geometry: geometry, smoothed: smoothed)
        }
        // Anterior ↔ posterior agreement (mirrored columns, same rows).
        for k in kept.indices {
            let l = kept[k]
            guard let (v, _) = byView[l.view] else { continue }
            let others = kept.filter { $0.view != l.view }
            if others.isEmpty && views.count < 2 { continue }
            kept[k].seenOnOppositeView = others.contains { o in
                abs(o.row - l.row) <= 4 && abs((Double(v.columns - 1) - o.column) - l.column) <= 5
            }
        }
        r.lesions = kept
        r.boneScanIndexPercent = boneScanIndex(kept, views: views, geometry: geometry)
        var findings: [String] = []
        if kept.isEmpty {
            // Not "no metastasis": the automatic detector finds about half of the trial's metastases (docs/bone-scan.md),
            // so an empty list is no negative finding (issue 18: every result states its limits).
            findings.append("No focal skeletal uptake found by the automatic detector. This does not exclude metastases: " + Self.detectionLimit)
        } else {
            for l in kept {
                findings.append(String(format: "Focal uptake, %@ %@, %@ view: %.1f× normal bone of the region, about %.0f mm%@.", l.side ?? "", l.region ?? "", l.view,
                                       l.uptakeRatioToRegion ?? l.uptakeRatio, l.sizeMM ?? 0, l.seenOnOppositeView == true ? ", also on the opposite view" : ""))
            }
        }
        r.findings = findings
        var quality: [String] = []
        if let p = r.phase { quality.append("phase: \(p.decision) (\(p.reason))") }
        if views.count < 2 { quality.append("only one view: no anterior–posterior agreement") }
        for v in views where v.totalCounts < 1.0e6 {
            quality.append(String(format: "%@: %.2g counts (under 1 million: low-count whole body)", v.name, v.totalCounts))
        }
        quality.append("skeletal regions from the ICRP-110 atlas fitted by body height and midline only (no deformable registration); bone scan index from projected areas and ICRP-110 region masses")
        if r.phase?.decision != "early" { quality.append("detection limit: " + Self.detectionLimit) }
        r.quality = quality
    }

    /// What the automatic lesion detection is worth, as measured (docs/clinical-validation.md, fixed seeds 1001–1040,
    /// the default analysis since branch `bone8`: 50/108 lesions ≥ 15 mm at ≥ 2 ×, 10 false positives in 40 patients):
    /// said with every delayed-phase result, so that a list of lesions is never read as complete.
    static let detectionLimit = "on the virtual trials the automatic detector found 46 % of the metastases of 15 mm or more at 2–4 × normal bone (0.25 false positives per patient); it misses lesions in the spine, beside brighter bone and at the joints more often than elsewhere — read the images"

    /// Anterior ÷ posterior smoothed counts at a lesion's place (the opposite view at the mirrored column, same row);
    /// nil with one view or without a view that looks from the other side.
    func anteriorToPosterior(_ l: Lesion, views: [PlanarViewImage], geometry: [BodyGeometry]) -> Double? {
        guard let k = views.firstIndex(where: { $0.name == l.view }),
              let o = views.indices.first(where: { geometry[$0].posterior != geometry[k].posterior }) else { return nil }
        let v = views[k], w = views[o]
        let r0 = Int(l.row.rounded()), c0 = Int(l.column.rounded()), c1 = w.columns - 1 - c0
        guard r0 >= 0, r0 < v.rows, r0 < w.rows, c0 >= 0, c0 < v.columns, c1 >= 0, c1 < w.columns else { return nil }
        func level(_ x: PlanarViewImage, _ c: Int) -> Double {
            var s = 0.0, n = 0.0
            for dr in -1...1 { for dc in -1...1 {
                let rr = r0 + dr, cc = c + dc
                if rr >= 0, rr < x.rows, cc >= 0, cc < x.columns { s += Double(x.counts[rr * x.columns + cc]); n += 1 }
            } }
            return s / max(n, 1)
        }
        let here = level(v, c0), there = level(w, c1)
        let anterior = geometry[k].posterior ? there : here, posterior = geometry[k].posterior ? here : there
        return posterior > 0 ? anterior / posterior : nil
    }

    /// Whether another detected focus, or the smoothed image itself, shows a focus of similar strength at the mirrored
    /// position about the midline (within 4 px).
    /// Focal excess (smoothed − local normal level) at the mirrored position about the midline (largest within 3 px
    /// and 3 rows) ÷ the excess at the lesion: near 1 for symmetric joint uptake, small for a one-sided lesion whose
    /// mirror is normal bone.
    func mirrorExcessFraction(_ l: Lesion, detection d: Detection, view v: PlanarViewImage, geometry g: BodyGeometry) -> Double {
        let r0 = Int(l.row.rounded()), c0 = Int(l.column.rounded()), mc = Int((2 * g.midlineColumn - l.column).rounded())
        guard r0 >= 0, r0 < v.rows, c0 >= 0, c0 < v.columns, d.smoothed.count == v.rows * v.columns else { return 0 }
        // The excess over normal bone: over the fitted atlas image when the atlas pass ran, else over the opening.
        func excess(_ i: Int) -> Double { Double(d.residual.map { $0[i] } ?? (d.smoothed[i] - d.normal[i])) }
        let here = excess(r0 * v.columns + c0)
        guard here > 0 else { return 0 }
        var there = -Double.infinity
        for dr in -3...3 { for dc in -3...3 {
            let rr = r0 + dr, cc = mc + dc
            guard rr >= 0, rr < v.rows, cc >= 0, cc < v.columns else { continue }
            there = max(there, excess(rr * v.columns + cc))
        } }
        return there.isFinite ? there / here : 0
    }

    func symmetricPartner(_ l: Lesion, in all: [Lesion], geometry g: BodyGeometry) -> Bool {
        let mc = 2 * g.midlineColumn - l.column
        return all.contains { o in
            o.view == l.view && abs(o.column - mc) <= 4 && abs(o.row - l.row) <= 4
                && o.uptakeRatio > 0.6 * l.uptakeRatio && o.uptakeRatio < l.uptakeRatio / 0.6
        }
    }
}
