import Foundation
import Imaging

/// Automatic regions of the Krenning score (issue 18): liver, spleen and tumours found on the anatomy of the
/// somatostatin-receptor planar views (In-111 pentetreotide, anterior and posterior), hand-placed regions still
/// taking precedence (``KrenningAnalysis/score(anterior:posterior:lesions:liver:spleen:background:)``).
///
/// On the conjugate-view image √(A·P) (posterior mirrored; the anterior alone without a posterior view):
/// - Body: the 8 mm-smoothed image above 5 % of its 99th percentile; its midline is one column for the whole view
///   (``bodyMidline(_:rows:columns:)``), taken from the soft-tissue outline (above 1 % of the 99th percentile) over
///   the trunk's rows: the 5 % outline holds only the organs, and its per-row centre moved with the liver's edge.
/// - Kidneys first (branch `uptake7`): the receptor-bearing kidneys are the hottest PAIR of organ-sized foci
///   (maxima of the 8 mm-smoothed image within 30 mm) at mirrored columns about the midline and the same height
///   (within 30 mm), each ≥ 20 mm off the midline, within 2.5 × of each other and, with both views, not lying in
///   front (posterior ÷ anterior ≥ 0.9 × the body's median); the hottest focus in the lower third on the midline
///   is the bladder. Both are physiology, never tumours, and are masked (grown to 50 % / 40 % of their peak, plus
///   3 pixels of blurred skirt) before liver and spleen are sought: beside kidneys 3–4 × the liver, liver and
///   spleen have no maximum of their own.
/// - Liver: the largest 8-connected structure on the patient's right (kidneys masked) above half-way from the soft
///   tissue (median of the pixels above 1 % of the 99th percentile) to the 95th percentile there (no larger than 40 % of the body); its disc
///   (``Options/liverRadiusMM``, 30 mm across) where the structure reads highest, clear of tumour foci (the reader's
///   reference in the thick right lobe, as the trial's truth). Without a kidney pair,
///   when the only such structure is larger (liver and unmasked right kidney joined), it is taken as the liver region
///   and every grade is withheld with the reason (no stop on "no liver found").
/// - Spleen: the same on the patient's left (≥ 30 mm off the midline) at the liver's height; its disc
///   (``Options/spleenRadiusMM``, 15 mm across) where it reads highest.
/// - Tumours: foci of the 1-pixel-smoothed image that stand out of their 20–35 mm annulus by ≥ 25 % and by ≥ 6 σ of
///   the counting noise (3 × 3 sum), outside the kidneys, spleen and bladder; inside the liver they must stand
///   out of the liver the same way. Each gets a disc of ``Options/lesionRadiusMM``.
/// - Beside the kidneys and in the spleen's region: a focus inside the kidney or bladder mask, or
///   inside the spleen's region, that lies on a hill of its own of the 8 mm-smoothed image (its steepest ascent ends
///   on a maximum more than 25 mm from the organ's; inside a kidney's grown region, only when it also lies in front:
///   posterior ÷ anterior below ``frontLimit(bodyPA:organPA:)``, between the body's median and the kidney's own) is sought against its annulus without the organ's pixels, with a
///   1.5-pixel disc (its peak, not the organ's). A focus on a kidney's own hill stays renal uptake; `quality` says a
///   tumour inside a kidney is not told apart.
/// - On the shoulder of a brighter structure (no 7 × 7 maximum of its own: a kidney pole, the liver's dome or edge, a
///   brighter tumour's skirt; branch `krenning18`): maxima of the excess over the image's 20 mm disc opening that
///   stand out of that surface by the same gates, on a structure at least twice as bright within 35 mm, outside the
///   kidneys', bladder's and spleen's own regions and off the bladder (``shoulderFoci(g:s1:rows:columns:px:own:allowed:notOn:contrast:sigma:)``), with a 1.5-pixel disc.
/// - In front of a kidney, on its shoulder (no hill of its own): maxima of the front-lying image near a kidney that
///   stand out by the same gates, the kidney's own P/A spread counted as noise (``frontOfKidneyFoci(a:p:rows:columns:px:pa:bodyPA:kidney:top:contrast:sigma:)``), with a 1.5-pixel disc.
extension KrenningAnalysis {
    /// Regions found on the anatomy.
    public struct AutomaticRegions: Sendable, Codable, Equatable {
        public var liver: NamedPlanarDisk
        public var spleen: NamedPlanarDisk
        public var lesions: [NamedPlanarDisk]
        /// Physiological foci seen and why they are no tumour (kidneys, bladder).
        public var physiology: [PhysiologicalUptake]
        public var notes: [String]
        /// Why the automatic liver is not told apart from its neighbours (nil when it is): every grade depends on it.
        public var liverNotToldApart: String? = nil
        /// Why the automatic spleen is not told apart (nil when it is): grades 3 and 4 depend on it.
        public var spleenNotToldApart: String? = nil
    }

    /// Finds liver, spleen and tumour regions. Throws when no liver or spleen is found.
    public func automaticRegions(anterior a: PlanarViewImage, posterior p: PlanarViewImage?) throws(PlanarAnalysisError) -> AutomaticRegions {
        try a.validate()
        let rows = a.rows, cols = a.columns
        let px = (a.rowSpacingMM + a.columnSpacingMM) / 2
        var g = a.counts
        // The posterior view on the anterior grid (mirrored once, used for the conjugate image and the P/A ratio).
        let pm: [Float]? = p.map { $0.mirroredColumns().counts }
        if let p, let pm {
            guard p.rows == rows, p.columns == cols else { throw PlanarAnalysisError("mismatched matrix sizes: anterior \(cols)×\(rows), posterior \(p.columns)×\(p.rows)") }
            for i in g.indices { g[i] = (a.counts[i] * pm[i]).squareRoot() }
        }
        let s = RegionTools.gaussian(g, rows: rows, columns: cols, sigma: max(1, 8 / px))
        let p99 = RegionTools.quantile(s, 0.99)
        let body = s.map { $0 > 0.05 * p99 }
        guard body.contains(true) else { throw PlanarAnalysisError("Krenning: no body found in view \(a.name)") }
        // Soft tissue: the pixels above 1 % of the 99th percentile (the 5 % body outline holds only the organs where
        // kidneys and bladder are 50–100 × the soft tissue, as in In-111 pentetreotide images).
        let soft = s.map { $0 > 0.01 * p99 }
        // The body's midline, one column for the view: the per-row centre of the 5 % outline ended on whichever organ
        // reached furthest out in that row (a liver tumour's skirt lifted the right kidney's top into a row where the
        // liver's edge moved the centre 3.5 px, and the kidney pair was not found; branch krenning13).
        let midline = Self.bodyMidline(soft, rows: rows, columns: cols)
        func dist(_ i: Int, _ j: Int) -> Double { hypot(Double(i % cols - j % cols), Double(i / cols - j / cols)) * px }
        var notes: [String] = [], physiology: [PhysiologicalUptake] = []
        // Organ-sized foci (maxima of the 8 mm-smoothed image within 30 mm).
        let maxima = RegionTools.localMaxima(s, rows: rows, columns: cols, radius: max(2, Int((30 / px).rounded())), threshold: 0.1 * p99)
            .map { $0.row * cols + $0.column }.filter { body[$0] }
        let bodyCount = body.filter { $0 }.count
        // Hills of the 8 mm-smoothed image: the maximum each pixel's steepest ascent ends on.
        let hillTop = RegionTools.hills(s, rows: rows, columns: cols)
        /// A physiological organ's region (kidney, bladder): the pixels ≥ `frac` of its peak, within 80 mm, on its own
        /// hill — their steepest ascent ends on its top or on another top within 25 mm of it (the organ's other pole,
        /// as `besidePhysiology` below). Until 2026-12-08 the hill was not asked: a spleen at 0.75 × the left
        /// kidney's peak, 67 mm from it and joined to it above 50 %, was grown into the kidney's mask and the spleen
        /// region was placed on the liver's left lobe beside it (tuning patients 7111 and 7115).
        func grow(_ m: Int, _ frac: Float) -> PlanarROI {
            PlanarROI.component(of: s.indices.map { s[$0] >= frac * s[m] && dist($0, m) <= 80 && (hillTop[$0] == m || dist(hillTop[$0], m) <= 25) },
                                rows: rows, columns: cols, seed: m)
        }
        // Posterior ÷ anterior (8 mm-smoothed, posterior mirrored) where both views are given: the kidneys lie at the
        // back (In-111 kidneys ≈ 2 × posterior-dominant on the trial patients), the liver at the front (≈ 1).
        let pa: [Float]? = pm.map { pm in
            let sa = RegionTools.gaussian(a.counts, rows: rows, columns: cols, sigma: max(1, 8 / px))
            let sp = RegionTools.gaussian(pm, rows: rows, columns: cols, sigma: max(1, 8 / px))
            return s.indices.map { sa[$0] > 0 ? sp[$0] / sa[$0] : 0 }
        }
        let bodyPA = pa.map { pa in RegionTools.quantile(s.indices.filter { body[$0] }.map { pa[$0] }, 0.5) }
        // 1. Kidneys FIRST (until `uptake7` the liver came first and, beside kidneys 3–4 × brighter, had no maximum of
        //    its own: the right kidney was reported as a tumour and the left one taken for the spleen). The
        //    receptor-bearing kidneys are the hottest PAIR of organ-sized foci: at mirrored columns about the midline
        //    (within 30 mm) and the same height (within 30 mm), each at least 20 mm off the midline, within 2.5 × of
        //    each other, and not lying in front (posterior ÷ anterior not below 0.9 × the body's median). Each kidney
        //    is grown to the pixels ≥ 50 % of its peak and masked with a 3-pixel margin (its blurred skirt).
        var kidneyPair: (Int, Int)? = nil
        for (k, m1) in maxima.enumerated() {
            for m2 in maxima[(k + 1)...] {
                let r1 = m1 / cols, c1 = Double(m1 % cols), r2 = m2 / cols, c2 = Double(m2 % cols)
                guard abs(2 * midline - c1 - c2) * px <= 30, abs(Double(r1 - r2)) * px <= 30,
                      abs(c1 - midline) * px >= 20, s[m2] > 0.4 * s[m1], s[m2] < 2.5 * s[m1] else { continue }
                if let pa, let bodyPA, pa[m1] < 0.9 * bodyPA || pa[m2] < 0.9 * bodyPA { continue }
                if let best = kidneyPair, min(s[best.0], s[best.1]) >= min(s[m1], s[m2]) { continue }
                kidneyPair = (m1, m2)
            }
        }
        var organ = PlanarROI(rows: rows, columns: cols)
        let kidneys = kidneyPair.map { [$0.0, $0.1] } ?? []
        var kidneyMask = PlanarROI(rows: rows, columns: cols)
        // Each physiological focus (kidney, bladder) with its grown region: a tumour focus beside it (on a hill of its
        // own) is still sought (below).
        var physiologicalFoci: [(top: Int, region: PlanarROI)] = []
        for k in kidneys {
            let grown = grow(k, 0.5)
            physiologicalFoci.append((k, grown))
            for i in grown.indices { kidneyMask.inside[i] = true }
            let side = Double(k % cols) > midline ? "left" : "right"
            let paText = pa.map { String(format: ", posterior ÷ anterior %.1f", $0[k]) } ?? ""
            physiology.append(PhysiologicalUptake(view: a.name, column: Double(k % cols), row: Double(k / cols), kind: "kidney",
                                                  reason: "paired focus at the mirrored place: \(side) kidney (renal receptor uptake and excretion\(paText))"))
        }
        if kidneys.isEmpty { notes.append("no pair of kidneys found: liver and spleen were searched without masking the kidneys; check the figure") }
        // Bladder: hottest focus in the lower third near the midline.
        if let b = maxima.filter({ $0 / cols > rows * 2 / 3 && abs(Double($0 % cols) - midline) * px <= 50 && !kidneys.contains($0) }).max(by: { s[$0] < s[$1] }),
           s[b] > 0.3 * p99 {
            let grown = grow(b, 0.4)
            physiologicalFoci.append((b, grown))
            for i in grown.indices { kidneyMask.inside[i] = true }
            physiology.append(PhysiologicalUptake(view: a.name, column: Double(b % cols), row: Double(b / cols), kind: "bladder", reason: "urinary excretion"))
        }
        let masked = kidneyMask.dilated(3)
        for i in masked.indices { organ.inside[i] = true }
        // Soft tissue level: the median of the soft-tissue outline.
        let tissue = RegionTools.quantile(s.indices.filter { soft[$0] }.map { s[$0] }, 0.5)
        /// The largest 8-connected structure of `zone` above half-way from the soft tissue to the 95th percentile
        /// of `zone` (an organ fills more than 5 % of its zone; a tumour does not), no larger than 40 % of the body
        /// when `capped`.
        func largestBright(_ zone: [Bool], capped: Bool = true) -> PlanarROI {
            let values = s.indices.filter { zone[$0] }.map { s[$0] }
            guard !values.isEmpty else { return PlanarROI(rows: rows, columns: cols) }
            let q = RegionTools.quantile(values, 0.95)
            guard q > tissue else { return PlanarROI(rows: rows, columns: cols) }
            let level = tissue + 0.5 * (q - tissue)
            let allowed = s.indices.map { zone[$0] && s[$0] >= level }
            var seen = [Bool](repeating: false, count: s.count), best = PlanarROI(rows: rows, columns: cols)
            for i in s.indices where allowed[i] && !seen[i] {
                let c = PlanarROI.component(of: allowed, rows: rows, columns: cols, seed: i)
                for j in c.indices { seen[j] = true }
                if c.count > best.count && (!capped || Double(c.count) <= 0.4 * Double(bodyCount)) { best = c }
            }
            return best
        }
        // 2. Liver: the largest bright structure on the patient's right (image left of the midline), kidneys and
        //    bladder masked: the liver is the biggest organ there even where it has no maximum of its own.
        let liverZone = s.indices.map { soft[$0] && !masked.inside[$0] && Double($0 % cols) < midline }
        var liver = largestBright(liverZone)
        // Without a kidney pair the right kidney is not masked and its skirt joins the liver into one structure that
        // can exceed 40 % of the (organ-only) 5 % outline: the analysis then stopped on "no liver found". It goes on
        // with that structure as the liver region, and every grade is withheld with the reason (the liver is not told
        // apart from the kidney); the tumour foci are still shown.
        var liverUnmasked: String? = nil
        if liver.count == 0 && kidneys.isEmpty {
            liver = largestBright(liverZone, capped: false)
            liverUnmasked = "no pair of kidneys was found to mask, and the brightest structure on the patient's right is larger than 40 % of the body: the liver is not told apart from the right kidney"
        }
        guard liver.count > 0 else { throw PlanarAnalysisError("Krenning: no liver found in view \(a.name); give --liver") }
        let liverTop = liver.indices.map { $0 / cols }.min() ?? 0
        let liverBottom = liver.indices.map { $0 / cols }.max() ?? rows - 1
        // 3. Spleen: the largest bright structure on the patient's left (≥ 30 mm off the midline) at the liver's
        //    height (from 40 mm above its top to 40 mm below its middle), kidneys masked.
        let spleenZone = s.indices.map { i in
            soft[i] && !masked.inside[i] && Double(i % cols) > midline + 30 / px
                && i / cols >= liverTop - Int(40 / px) && i / cols <= (liverTop + liverBottom) / 2 + Int(40 / px)
        }
        let spleen = largestBright(spleenZone)
        guard spleen.count > 0 else { throw PlanarAnalysisError("Krenning: no spleen found in view \(a.name) (splenectomy?); give --spleen") }
        for i in spleen.indices { organ.inside[i] = true }
        // Tumour foci.
        let s1 = RegionTools.gaussian(g, rows: rows, columns: cols, sigma: 1)
        let focal = RegionTools.localMaxima(s1, rows: rows, columns: cols, radius: max(2, Int((15 / px).rounded())), threshold: 0)
        var lesions: [NamedPlanarDisk] = []
        let rLesion = options.lesionRadiusMM / px
        let organBand = organ.dilated(2)
        let spleenBand = spleen.dilated(2)
        /// A focus in the kidney or bladder mask that lies on a hill of its own (its steepest ascent on the 8 mm-smoothed
        /// image ends on a maximum that is not the kidney's or the bladder's: not within 25 mm of its top, or outside
        /// its grown region) is a structure beside the organ, not the organ's own uptake (a grade-4
        /// tumour in the liver's left lobe beside the left kidney fell inside the kidney's mask and was never sought,
        /// fixed seed 7004). A focus on the kidney's own hill stays physiology: a tumour inside a kidney is not told
        /// apart from renal uptake, which `quality` says.
        func besidePhysiology(_ i: Int) -> Bool {
            let t = hillTop[i]
            return !physiologicalFoci.contains { f in
                if f.top == t || dist(t, f.top) <= 25 { return true }
                // A second top inside the organ's grown region is the organ's other pole unless it lies in front of
                // the organ: its posterior ÷ anterior closer to the body's median than to the organ's own top's
                // (below their geometric mean, and never above the body's median alone). The kidneys lie at the back
                // (P/A ≈ 2), the liver at the front (≈ 1): beside a kidney's 50 % region grown up into a liver hotter
                // than half the kidney, a grade-4 liver tumour (P/A 1.03, body median 0.85, kidney 1.8; tuning
                // seed 7107) was taken for the kidney's upper pole.
                guard f.region.inside[t] else { return false }
                if let pa, let bodyPA { return pa[t] >= Self.frontLimit(bodyPA: bodyPA, organPA: pa[f.top]) }
                return true
            }
        }
        // The spleen's own hill: the top most of its region's pixels climb to. A focus in the spleen band on another
        // hill (top more than 25 mm from the spleen's) is a structure grown into the spleen region, not the spleen
        // (a lung tumour beside the spleen was taken into the spleen region and never sought, fixed seed
        // 7013); it is sought against its surroundings without the spleen, and the spleen disc keeps away from it.
        var topCount: [Int: Int] = [:]
        for i in spleen.indices { topCount[hillTop[i], default: 0] += 1 }
        let spleenTop = topCount.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }?.key
        func besideSpleen(_ i: Int) -> Bool {
            guard let spleenTop else { return false }
            let t = hillTop[i]
            return t != spleenTop && dist(t, spleenTop) > 25
        }
        let spleenOrKidney = s.indices.map { masked.inside[$0] || spleenBand.inside[$0] }
        var besideKidney: Set<String> = [], besideSpleenNames: Set<String> = []
        for f in focal.sorted(by: { s1[$0.row * cols + $0.column] > s1[$1.row * cols + $1.column] }) {
            let i = f.row * cols + f.column
            // In the soft-tissue outline (1 % of the 99th percentile), not only the 5 % one: beside kidneys 50–100 × the
            // soft tissue the 5 % outline leaves out the lungs, where a grade-1 tumour (0.25 × the liver) lies.
            guard soft[i] else { continue }
            let nearPhysiology = organBand.inside[i] && !spleenBand.inside[i] && besidePhysiology(i)
            let nearSpleen = spleenBand.inside[i] && besideSpleen(i) && besidePhysiology(i)
            guard !organBand.inside[i] || nearPhysiology || nearSpleen else { continue }
            var sum = 0.0
            for dr in -1...1 { for dc in -1...1 { let r = f.row + dr, c = f.column + dc
                if r >= 0, c >= 0, r < rows, c < cols { sum += Double(g[r * cols + c]) } } }
            // Beside a kidney its surroundings are taken without the kidney's and bladder's masked pixels.
            let ring = RegionTools.annulus(g, rows: rows, columns: cols, column: Double(f.column), row: Double(f.row), inner: 20 / px, outer: 35 / px,
                                           excluded: nearPhysiology || nearSpleen ? spleenOrKidney : nil)
            let bg = ring.mean
            guard bg > 0 else { continue }
            let peak = sum / 9
            let sigma = (bg * 9).squareRoot()
            guard peak >= (1 + options.lesionContrast) * bg, (sum - 9 * bg) >= options.lesionSigma * sigma else { continue }
            guard !lesions.contains(where: { hypot($0.roi.column - Double(f.column), $0.roi.row - Double(f.row)) < 2 * rLesion }) else { continue }
            let name = "lesion \(lesions.count + 1)"
            // Beside a kidney the disc shrinks to the focus itself (1.5 px), so that its peak is not the kidney's.
            lesions.append(NamedPlanarDisk(name: name, roi: PlanarDisk(column: Double(f.column), row: Double(f.row), radius: nearPhysiology || nearSpleen ? 1.5 : rLesion)))
            if nearPhysiology { besideKidney.insert(name) }
            if nearSpleen { besideSpleenNames.insert(name) }
        }
        // On the shoulder of a brighter structure (no 7 × 7 maximum of its own): maxima of the excess over the 20 mm
        // opening that stand out of that surface by the usual gates, outside the kidneys', bladder's and spleen's
        // own regions (`shoulderFoci`, branch krenning18). Taken after every focus with a maximum of its own, with a
        // 1.5-pixel disc so that its peak is its own and not the brighter neighbour's.
        // Not below the kidneys' peaks (their hila): there the bowel (In-111 pentetreotide: ~2 % hepatobiliary
        // excretion to the gut, ICRP 128; colon and small bowel fill the abdomen below the kidneys) makes bumps on the
        // slopes of its loops, kidneys and bladder that one time point cannot tell from a tumour — a reader compares
        // the 4 h or 48 h image. Foci with a maximum of their own are sought there as before. Decided after the
        // held-out seeds 7141–7180 (session 16): 8 of the step's 10 new false foci lay 4–47 rows below the kidneys'
        // peaks, in front (posterior ÷ anterior 0.48–0.80: colon), every true shoulder tumour of 7101–7180 9–32 rows
        // above them; checked afterwards on new held-out seeds (docs/krenning.md).
        let hilumRow = kidneys.map { $0 / cols }.min() ?? rows
        var onShoulder: Set<String> = []
        let shoulderAllowed = s.indices.map { soft[$0] && !kidneyMask.inside[$0] && !spleenBand.inside[$0] && $0 / cols < hilumRow }
        var bladderSkirt = PlanarROI(rows: rows, columns: cols)
        for f in physiologicalFoci where !kidneys.contains(f.top) { for i in f.region.dilated(3).indices { bladderSkirt.inside[i] = true } }
        /// A focus found beside a brighter structure, unless a focus already lies within two lesion radii: a 1.5-pixel
        /// disc (its own peak, not the neighbour's), its name added to `kind`.
        func addBesideFocus(_ c: (column: Int, row: Int), to kind: inout Set<String>) {
            guard !lesions.contains(where: { hypot($0.roi.column - Double(c.column), $0.roi.row - Double(c.row)) < 2 * rLesion }) else { return }
            let name = "lesion \(lesions.count + 1)"
            lesions.append(NamedPlanarDisk(name: name, roi: PlanarDisk(column: Double(c.column), row: Double(c.row), radius: 1.5)))
            kind.insert(name)
        }
        for c in Self.shoulderFoci(g: g, s1: s1, rows: rows, columns: cols, px: px, own: focal, allowed: shoulderAllowed, notOn: bladderSkirt.inside,
                                   contrast: options.lesionContrast, sigma: options.lesionSigma) {
            addBesideFocus(c, to: &onShoulder)
        }
        if !onShoulder.isEmpty {
            notes.append("on the shoulder of a brighter structure (no maximum of its own; it stands out of the 20 mm opening of the image by the usual gates): \(onShoulder.sorted().joined(separator: ", ")) (check the figure)")
        }
        // In front of a kidney, on its shoulder (no hill of its own): maxima of the front-lying image (the two views
        // decomposed at the kidney's and the body's depth, Krenning+FrontOfKidney.swift) that stand out by the usual
        // gates, counting noise and the kidney's own P/A spread taken together (tuning seed 7122, branch krenning14).
        var frontOfKidney: Set<String> = []
        if let pm, let pa, let bodyPA {
            for f in physiologicalFoci where kidneys.contains(f.top) {
                for c in Self.frontOfKidneyFoci(a: a.counts, p: pm, rows: rows, columns: cols, px: px, pa: pa, bodyPA: bodyPA,
                                                kidney: f.region, top: f.top, contrast: options.lesionContrast, sigma: options.lesionSigma) {
                    addBesideFocus((c.column, c.row), to: &frontOfKidney)
                }
            }
        }
        if !frontOfKidney.isEmpty {
            notes.append("in front of a kidney (a maximum of the anterior and posterior views decomposed at the kidney's and the body's depth, no hill of its own): \(frontOfKidney.sorted().joined(separator: ", ")) (its disc holds the kidney's counts behind it, so its grade is an upper bound; check the figure)")
        }
        if !besideSpleenNames.isEmpty {
            notes.append("in the spleen's region but on a hill of its own (a tumour grown into the spleen's outline): \(besideSpleenNames.sorted().joined(separator: ", ")) (sought against its surroundings without the spleen, the spleen disc kept away; check the figure)")
        }
        if !besideKidney.isEmpty {
            notes.append("beside a kidney or the bladder, on a hill of its own: \(besideKidney.sorted().joined(separator: ", ")) (sought against its surroundings without the organ; check the figure)")
        }
        if !kidneys.isEmpty {
            notes.append("uptake on the kidneys' own hills is taken as renal: a tumour inside a kidney (or projected over it) is not told apart from it and is not reported")
            notes.append("below the kidneys' hila (the bowel's abdomen) only foci with a maximum of their own are sought: a tumour on the slope of a bowel loop, the kidneys or the bladder is not told apart from bowel activity on one time point (compare the 4 h or 48 h image)")
        }
        // The deepest interior point away from tumours (where no whole reference disc fits).
        func deepest(_ m: PlanarROI, radiusMM: Double, avoid: [NamedPlanarDisk]) -> PlanarDisk {
            var best = -1, bestD = -1.0
            let edge = m.boundary
            for i in m.indices {
                let c = Double(i % cols), r = Double(i / cols)
                if avoid.contains(where: { hypot($0.roi.column - c, $0.roi.row - r) <= $0.roi.radius + radiusMM / px }) { continue }
                let d = edge.map { hypot(Double($0 % cols) - c, Double($0 / cols) - r) }.min() ?? 0
                if d > bestD { bestD = d; best = i }
            }
            if best < 0, let c = m.centroid { return PlanarDisk(column: c.column, row: c.row, radius: radiusMM / px) }
            let r = min(radiusMM / px, max(1.5, bestD))
            return PlanarDisk(column: Double(best % cols), row: Double(best / cols), radius: r)
        }
        // The reader's reference disc: the whole disc inside the organ's structure, clear of the tumour foci, where its
        // mean conjugate-view count is highest — for an organ of one concentration, where it is thickest from front to
        // back (the thick right lobe of the liver, PERCIST's reference; the truth's `referenceDisc` is the same rule on
        // the phantom's labels). Where no whole disc fits, the deepest interior point with the radius that fits
        // (flagged below when that is under half the disc). Until 2026-12-08 the disc sat at the deepest interior
        // point: in the spleen zone that is the middle of whatever the structure holds, and on tuning patient 7111 it
        // lay between the spleen and the liver's left lobe (275 counts/pixel against the spleen's 1 069).
        func brightest(_ m: PlanarROI, radiusMM: Double, avoid: [NamedPlanarDisk]) -> PlanarDisk {
            let radius = radiusMM / px, reach = Int(radius.rounded(.down))
            let offsets = RegionTools.discOffsets(radius: radius).map { $0.row * cols + $0.column }
            var best = -1, bestMean = -Double.infinity
            for i in m.indices {
                let c = i % cols, r = i / cols
                guard r >= reach, r < rows - reach, c >= reach, c < cols - reach else { continue }
                if avoid.contains(where: { hypot($0.roi.column - Double(c), $0.roi.row - Double(r)) <= $0.roi.radius + radius }) { continue }
                var sum = 0.0, inside = true
                for o in offsets { guard m.inside[i + o] else { inside = false; break }; sum += Double(g[i + o]) }
                if inside, sum > bestMean * Double(offsets.count) { bestMean = sum / Double(offsets.count); best = i }
            }
            guard best >= 0 else { return deepest(m, radiusMM: radiusMM, avoid: avoid) }
            return PlanarDisk(column: Double(best % cols), row: Double(best / cols), radius: radius)
        }
        let liverDisc = brightest(liver, radiusMM: options.liverRadiusMM, avoid: lesions)
        let spleenDisc = brightest(spleen, radiusMM: options.spleenRadiusMM, avoid: lesions)
        // Can the organs be told apart? A reference region squeezed to a thin strip (between kidney, lesions and the
        // body's edge) or, for the spleen, lying in front of the body (the spleen lies at the back, P/A above the
        // body's median like the kidneys) is not the organ a reader grades against.
        var liverProblem: String? = liverUnmasked, spleenProblem: String? = nil
        if liverProblem == nil, liverDisc.radius * px < 0.5 * options.liverRadiusMM {
            liverProblem = String(format: "the automatic liver region is only %.0f mm across at its deepest point (under half the %.0f mm disc): the liver is not told apart from the kidney, tumours or the body's edge", 2 * liverDisc.radius * px, 2 * options.liverRadiusMM)
        }
        if spleenDisc.radius * px < 0.5 * options.spleenRadiusMM {
            spleenProblem = String(format: "the automatic spleen region is only %.0f mm across at its deepest point: no spleen-sized structure told apart", 2 * spleenDisc.radius * px)
        } else if let pa, let bodyPA {
            let i = Int(spleenDisc.row.rounded()) * cols + Int(spleenDisc.column.rounded())
            if pa[i] < bodyPA {
                spleenProblem = String(format: "the automatic spleen region lies in front (posterior ÷ anterior %.2f, body median %.2f); the spleen lies at the back", pa[i], bodyPA)
            }
        }
        notes.append(String(format: "liver, spleen and tumour regions placed automatically on the anatomy (liver disc at column %.0f, row %.0f; spleen at column %.0f, row %.0f; %d tumour foci); check the figure",
                            liverDisc.column, liverDisc.row, spleenDisc.column, spleenDisc.row, lesions.count))
        return AutomaticRegions(liver: NamedPlanarDisk(name: "liver", roi: liverDisc), spleen: NamedPlanarDisk(name: "spleen", roi: spleenDisc),
                                lesions: lesions, physiology: physiology, notes: notes, liverNotToldApart: liverProblem, spleenNotToldApart: spleenProblem)
    }
}

extension KrenningAnalysis {
    /// The body's midline column on a planar view: the median, over the trunk's rows (those where the soft-tissue
    /// outline is at least half as wide as at its widest), of each row's outline centre (first and last outline
    /// column); the view's centre column when the outline is empty. One column for the view, so that no single row's
    /// edge (an organ or tumour reaching further out than the soft tissue there) moves it.
    static func bodyMidline(_ outline: [Bool], rows: Int, columns: Int) -> Double {
        let (first, last, _) = RegionTools.rowExtents(outline, rows: rows, columns: columns)
        let widths = (0..<rows).map { first[$0] < 0 ? 0 : last[$0] - first[$0] + 1 }
        guard let widest = widths.max(), widest > 0 else { return Double(columns - 1) / 2 }
        let centres = (0..<rows).filter { 2 * widths[$0] >= widest }.map { Double(first[$0] + last[$0]) / 2 }.sorted()
        let k = centres.count
        return k % 2 == 1 ? centres[k / 2] : (centres[k / 2 - 1] + centres[k / 2]) / 2
    }

    /// The posterior ÷ anterior ratio below which a top inside a kidney's (or the bladder's) grown region lies in
    /// front of the organ: the geometric mean of the body's median and the organ's own top's ratio (a depth closer
    /// to the body's than to the organ's), and at least the body's median.
    static func frontLimit(bodyPA: Float, organPA: Float) -> Float {
        max(bodyPA, (bodyPA * max(organPA, 0)).squareRoot())
    }

    /// The Krenning score with the regions not given (nil) placed automatically on the anatomy
    /// (``automaticRegions(anterior:posterior:)``); hand-placed regions win. With automatic tumour regions and no
    /// tumour focus found the result has no lesions and says so.
    public func score(anterior: PlanarViewImage, posterior: PlanarViewImage?, lesions: [NamedPlanarDisk]?, liver: NamedPlanarDisk?,
                      spleen: NamedPlanarDisk?, background: NamedPlanarDisk? = nil) throws(PlanarAnalysisError) -> Result {
        if let lesions, let liver, let spleen {
            return try score(anterior: anterior, posterior: posterior, lesions: lesions, liver: liver, spleen: spleen, background: background)
        }
        let auto = try automaticRegions(anterior: anterior, posterior: posterior)
        var r = try score(anterior: anterior, posterior: posterior, lesions: lesions ?? auto.lesions, liver: liver ?? auto.liver,
                          spleen: spleen ?? auto.spleen, background: background, allowNoLesions: lesions == nil)
        r.automaticRegions = (liver == nil ? ["liver"] : []) + (spleen == nil ? ["spleen"] : []) + (lesions == nil ? ["lesions"] : [])
        r.physiology = auto.physiology
        r.notes = auto.notes + r.notes
        if lesions == nil && r.lesions.isEmpty {
            r.findings = ["No somatostatin-receptor-positive tumour focus found (a known tumour without visible uptake is Krenning grade 0)."]
        }
        r.quality = auto.notes + r.quality
        // Grades against an automatic reference organ that was not told apart are withheld, with the reason (issue
        // 18: a wrong spleen gave grades with no warning).
        let liverProblem = liver == nil ? auto.liverNotToldApart : nil
        var spleenProblem = spleen == nil ? auto.spleenNotToldApart : nil
        if liverProblem != nil { spleenProblem = nil }
        // A spleen told apart (a spleen-sized structure at the back, its disc where it reads highest) that reads not
        // hotter than the liver's thick part is a patient whose spleen projects no brighter than the liver: the
        // spleen is thin front to back (≈ 5 cm against the right lobe's 15–20 cm), so despite its higher concentration
        // (ICRP 128: about 6 × the liver's) its projection can match the liver's (the virtual trial's truth: 11 of 48
        // tuning patients within 10 %). Grade 4 is then "above both", grade 3 cannot occur — the scale as written,
        // not a guess; `quality` says so, so that a reader checks the figure. (Until 2026-12-08 every grade above
        // the liver was withheld there; tuning patients 7101, 7122, 7129 and 7138 lost a true grade 4 to it.) The quality
        // line is `score`'s own ("the spleen region ... is not hotter than the liver region").
        for k in r.lesions.indices {
            if let why = liverProblem {
                r.lesions[k].krenningScore = nil; r.lesions[k].withheld = why; r.lesions[k].nearBoundary = nil
            } else if let why = spleenProblem, r.lesions[k].ratioToLiver > 1 {
                // Grades 1 and 2 depend on the liver only; above the liver the spleen decides between 3 and 4.
                r.lesions[k].krenningScore = nil; r.lesions[k].withheld = why; r.lesions[k].nearBoundary = nil
            }
        }
        if let why = liverProblem { r.quality.append("Krenning grades withheld: \(why); give --liver") }
        if let why = spleenProblem, r.lesions.contains(where: { $0.krenningScore == nil }) {
            r.quality.append("Krenning grades above the liver (3 or 4) withheld: \(why); give --spleen")
        } else if let why = spleenProblem {
            r.quality.append("spleen not told apart (\(why)); no lesion above the liver needed it")
        }
        if !r.lesions.isEmpty { r.findings = Self.findings(r.lesions) }
        return r
    }
}
