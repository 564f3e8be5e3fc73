import Foundation
import Imaging

/// Automatic heart and upper-mediastinal regions of the MIBG anterior chest view, placed on the anatomy seen in the
/// image (issue 18):
///
/// - Body and shoulder line: the body is where the 8 mm-smoothed image exceeds 10 % of its 99th percentile; the
///   shoulder line is the first row at least 80 % as wide as the widest row (where the neck widens into the chest;
///   the lung apices lie just below it).
/// - Liver: the brightest hilltop (15 mm smoothing) on the patient's right (≥ 40 mm from the midline) below the
///   shoulder line, grown to the 8-connected pixels above half-way from the body's median (soft tissue) to its
///   smoothed peak, not above 1.5 × that peak and only on its own hill or on hills whose top lies at least 40 mm to
///   the patient's right of the midline, like the seed (every pixel whose steepest ascent on the 15 mm-smoothed
///   image ends on another maximum nearer the midline or on the patient's left — the heart, whatever its brightness — is left out, so the heart keeps its slopes and the part of it
///   the liver overlaps); the liver band is that region dilated by 2 pixels (the camera blur), which no heart region
///   enters.
/// - Heart: the strongest compact focus (difference of Gaussians, 8 and 40 mm) left of the body midline and within
///   100 mm of it, more than 60 mm below the shoulder line, 40 mm inside the body outline, outside the liver band
///   and ABOVE THE LIVER'S DOME LINE (the liver's topmost row; the
///   heart sits on the diaphragm, above the liver dome: a focus inside or below the liver is never the heart). Its
///   region follows the myocardium's outline: the 8-connected pixels of the 1-pixel-smoothed image above
///   ``MIBGAnalysis/Options/heartEdgeFraction`` of the way from the surrounding background (median of an 80–100 mm
///   annulus) to the heart's plateau (90th percentile within 40 mm), within 80 mm of the focus, its convex hull taken (the LV cavity enclosed, also where the outline is open), the liver band left out — the heart
///   ROI over the whole heart, cavity included, drawn on the myocardium's outer edge (Flotats et al., EJNMMI
///   2010;37:1802; ADMIRE-HF, Jacobson et al., JACC 2010;55:2212).
/// - Visibility: the heart's plateau over the background; below ``MIBGAnalysis/Options/heartVisibleContrast`` the
///   heart is "not visible" and `quality` says so (the region is still placed above the liver, never on it).
/// - Mediastinum: a 7 × 7-pixel square (ADMIRE-HF) on the body midline in the upper mediastinum, between the lung
///   apices and the top of the heart, the landmarks of the EANM proposal (Flotats et al., EJNMMI 2010;37:1802) and
///   of ADMIRE-HF. The apices do not show on the anterior view (lung and chest wall take up alike), so the square is
///   placed from the two landmarks that do: ``mediastinumFraction`` (55 %) of the way from the base of the neck (the
///   row, interpolated, where the body outline first reaches ``neckBaseWidthFraction`` (60 %) of its widest row: the
///   steep flank where the neck widens into the shoulders) down to the top of the heart region. Chosen on tuning
///   patients 8101–8160 (branch `mibg13`, docs/mibg.md): the row of the truth's square (a quarter of the way from
///   the lung apices to the top of the heart) is met within ±1 row on 59 of 59, rms 0.45 rows. Until `mibg13`: 45 %
///   of the way from the shoulder line (80 % of the widest row), which lies on the shallow part of the outline and
///   sits 3 rows higher in the female phantom than in the male: the square was 0.7 rows low on average in the male
///   (rms 0.78 rows, 20 of 60 one or two rows low). A view cut below the neck (no body row above the base as narrow
///   as a neck) has no base of the neck: the square then lies ``mediastinumAboveHeartTopMM`` (42 mm) above the top
///   of the heart region, and a note says so.
extension MIBGAnalysis {
    /// What the anatomy gave.
    struct Anatomy {
        var heart: PlanarROI
        var focus: (column: Int, row: Int)
        var contrast: Double
        var liver: PlanarROI
        /// The base of the neck (interpolated row) the mediastinal square is placed from; nil when the neck is not in
        /// the view (the square then lies ``mediastinumAboveHeartTopMM`` above the top of the heart).
        var neckBaseRow: Double?
        var mediastinum: SquareROI
    }

    /// The base of the neck: where the body outline first reaches this fraction of its widest row (the steep flank
    /// where the neck widens into the shoulders; the shoulder line's 80 % lies on the shallow part above the chest,
    /// where the male and female outlines differ). Chosen on tuning patients 8101–8160 (0.55–0.65 equally good).
    static let neckBaseWidthFraction = 0.6
    /// Where the mediastinal square's centre lies from the base of the neck (0) to the top of the heart region (1).
    /// Least squares on the truth's square rows of tuning patients 8101–8160: 0.556 (0.554 on 8101–8130 alone, 0.559
    /// on 8131–8160 alone).
    static let mediastinumFraction = 0.55

    /// The neck counts as in the view when a body row above the base of the neck is at most this fraction of the
    /// widest row (the neck is 0.24–0.29 of it on tuning patients 8101–8160).
    static let neckWidthFraction = 0.4
    /// Without the neck in the view, the square's centre lies this far above the top of the heart region (mm): the
    /// mean on tuning patients 8101–8160 (8.7 rows of 4.8 mm; 0.81 rows rms, against 0.47 from the neck's base).
    static let mediastinumAboveHeartTopMM = 42.0

    /// The row, interpolated between whole rows, where the body width (pixels per row) first reaches `fraction` of its
    /// widest row; nil when no body row above it is as narrow as a neck (``neckWidthFraction`` of the widest): the
    /// view starts below the neck, and the first wide row is where the image is cut, not where the neck widens.
    static func neckBaseRow(width: [Int], fraction: Double) -> Double? {
        guard let maxW = width.max(), maxW > 0 else { return nil }
        let level = fraction * Double(maxW)
        guard let r = width.firstIndex(where: { Double($0) >= level }),
              width[..<r].contains(where: { $0 > 0 && Double($0) <= neckWidthFraction * Double(maxW) }) else { return nil }
        guard width[r] > width[r - 1] else { return Double(r) }
        return Double(r - 1) + (level - Double(width[r - 1])) / Double(width[r] - width[r - 1])
    }

    /// Finds liver, heart and upper mediastinum on the anterior view `v`.
    static func anatomy(_ v: PlanarViewImage, options o: Options) throws(PlanarAnalysisError) -> Anatomy {
        let rows = v.rows, cols = v.columns
        let px = (v.rowSpacingMM + v.columnSpacingMM) / 2
        let s = RegionTools.gaussian(v.counts, rows: rows, columns: cols, sigma: max(1, 8 / px))
        let p99 = RegionTools.quantile(s, 0.99)
        let body = s.map { $0 > 0.1 * p99 }
        let (lo, hi, width) = RegionTools.rowExtents(body, rows: rows, columns: cols)
        guard let maxW = width.max(), maxW > 0 else { throw PlanarAnalysisError("MIBG: no body found in view \(v.name)") }
        let shoulder = width.firstIndex { Double($0) >= 0.8 * Double(maxW) } ?? 0
        func midline(_ r: Int) -> Double { lo[r] < 0 ? Double(cols - 1) / 2 : Double(lo[r] + hi[r]) / 2 }
        // Liver: brightest broad structure on the patient's right (image columns left of the midline).
        let s15 = RegionTools.gaussian(v.counts, rows: rows, columns: cols, sigma: max(2, 15 / px))
        // At least 40 mm to the patient's right of the midline: the liver's right lobe is lateral, while a bright
        // heart's glow (and the right ventricle) reaches just across the midline.
        let lateral = 40 / px
        func lateralRight(_ i: Int) -> Bool { Double(i % cols) <= midline(i / cols) - lateral }
        func right(_ i: Int) -> Bool { i / cols >= shoulder && body[i] && lateralRight(i) }
        // Each pixel's hill: the local maximum of the 15 mm-smoothed image its steepest ascent ends on.
        let hill = RegionTools.hills(s15, rows: rows, columns: cols)
        // The liver's seed: the brightest hilltop on the patient's right (not a slope pixel at the edge of that side
        // that leads up to a brighter heart across the midline); else the brightest pixel there.
        var seed = -1
        for i in s15.indices where right(i) && hill[i] == i && (seed < 0 || s15[i] > s15[seed]) { seed = i }
        if seed < 0 { for i in s15.indices where right(i) && (seed < 0 || s15[i] > s15[seed]) { seed = i } }
        var liver = PlanarROI(rows: rows, columns: cols)
        if seed >= 0 {
            // Half-way from the body's soft-tissue level (median over the body) to the liver's peak: a fixed
            // fraction of the peak alone floods the whole body where the liver is only a little above it.
            let tissue = RegionTools.quantile(s.indices.filter { body[$0] }.map { s[$0] }, 0.5)
            let level = tissue + 0.5 * max(0, s[seed] - tissue)
            // ... and not above 1.5 × the liver's peak: a brighter heart touching the liver is no liver.
            let cap = 1.5 * s[seed]
            // ... and not on the hill of any other maximum off the liver's side (below), whatever its brightness (the
            // heart): its slopes, and the pixels where the heart overlaps the liver, rise towards the heart, not the
            // liver. Without this the liver grew round a heart brighter than it along the heart's skirt (between
            // `level` and `cap`); until `uptake7` only brighter maxima were excluded, and the liver still grew over a
            // heart about as bright as itself (fixed seeds 8010, 8012).
            let own = hill[seed]
            func otherHill(_ i: Int) -> Bool {
                let t = hill[i]
                // ... and a hill counts as the liver's only when its top lies `lateral` (40 mm) or more to the patient's
                // right, where the liver's seed must lie: a heart whose brightest wall lies just across the midline has
                // its hilltop there (tuning seed 8135: 0.5 and 2 columns right of the midline; the liver took the
                // heart, H/M −32 %, until `mibg14`).
                return t != own && !lateralRight(t)
            }
            liver = PlanarROI.component(of: s.indices.map { s[$0] >= level && s[$0] <= cap && !otherHill($0) }, rows: rows, columns: cols, seed: seed)
        }
        let band = liver.dilated(2)
        var liverTop = [Int](repeating: rows, count: cols)
        for i in liver.indices { liverTop[i % cols] = min(liverTop[i % cols], i / cols) }
        // The liver's dome line: its topmost row. The heart lies in the chest on the diaphragm, above the dome; the
        // liver's left lobe and the upper abdomen below it are never the heart (until `uptake7` the focus only had
        // to lie above the liver's centre row, and took the left lobe where the heart was faint: fixed seeds 8006,
        // 8011, 8016, 8019; tuning seed 8121).
        let domeRow = liver.indices.map { $0 / cols }.min() ?? rows
        // Heart focus: above the liver in its column, left of the midline, well inside the body.
        let broad = RegionTools.gaussian(v.counts, rows: rows, columns: cols, sigma: max(2, 40 / px))
        let inside = RegionTools.squareFilter(body.map { $0 ? Float(1) : 0 }, rows: rows, columns: cols,
                                              half: max(1, Int((40 / px).rounded())), useMax: false)
        var best = -1, bestDoG: Float = -.infinity
        // Not within 60 mm below the shoulder line (the lung apices and the base of the neck: the heart lies lower).
        for r in min(rows, shoulder + Int((60 / px).rounded()))..<rows {
            let mid = midline(r)
            // ... and within 100 mm of the midline: the heart's left border lies at most about 10 cm from it on a
            // frontal view; further out a faint heart lost to the DoG edge of the body outline (analytic chest).
            for c in 0..<cols where Double(c) > mid && (Double(c) - mid) * px <= 100 && inside[r * cols + c] > 0 && !band.inside[r * cols + c] && r < liverTop[c] && r < domeRow {
                let i = r * cols + c
                if s[i] - broad[i] > bestDoG { best = i; bestDoG = s[i] - broad[i] }
            }
        }
        guard best >= 0 else { throw PlanarAnalysisError("MIBG: no heart focus above the liver in view \(v.name); give --heart") }
        let fc = best % cols, fr = best / cols
        // Heart region on the myocardium's outline.
        let s1 = RegionTools.gaussian(v.counts, rows: rows, columns: cols, sigma: 1)
        func dist(_ i: Int) -> Double { hypot(Double(i % cols - fc), Double(i / cols - fr)) * px }
        var plateauValues: [Float] = [], ringValues: [Float] = []
        var peak = best
        for i in s1.indices where body[i] && !band.inside[i] {
            let d = dist(i)
            if d <= 40 { plateauValues.append(s1[i]) }
            if d >= 80 && d <= 100 { ringValues.append(s1[i]) }
            if d <= 15 && s1[i] > s1[peak] { peak = i }
        }
        let plateau = RegionTools.quantile(plateauValues, 0.9), bg = RegionTools.quantile(ringValues, 0.5)
        let threshold = bg + Float(o.heartEdgeFraction) * (plateau - bg)
        let allowed = s1.indices.map { s1[$0] >= threshold && dist($0) <= 80 && !band.inside[$0] }
        // The ROI a reader draws round the heart's outer edge encloses the LV cavity also where the myocardium's
        // outline is open (a C seen from the front): the convex hull of the outline, not only its closed holes.
        var heart = PlanarROI.component(of: allowed, rows: rows, columns: cols, seed: peak).convexHull().subtracting(band)
        if heart.count < 8 {
            heart = PlanarROI.disc(rows: rows, columns: cols, column: Double(fc), row: Double(fr), radius: o.heartRadiusMM / px).subtracting(band)
        }
        let contrast = bg > 0 ? Double(plateau / bg) - 1 : 0
        // Upper mediastinum: between the lung apices and the top of the heart (Flotats 2010; ADMIRE-HF), on the
        // midline: `mediastinumFraction` of the way from the base of the neck to the top of the heart region.
        let heartTop = heart.indices.map { $0 / cols }.min() ?? fr
        // Without the neck in the view (a field cut below it): a fixed distance above the heart, and a note says so.
        let neck = Self.neckBaseRow(width: width, fraction: Self.neckBaseWidthFraction)
        let centre = neck.map { $0 + Self.mediastinumFraction * (Double(heartTop) - $0) } ?? Double(heartTop) - Self.mediastinumAboveHeartTopMM / px
        let mr = min(max(Int(centre.rounded()), 0), rows - 1)
        let med = SquareROI(column: midline(mr).rounded(), row: Double(mr), side: o.mediastinumSidePixels)
        return Anatomy(heart: heart, focus: (fc, fr), contrast: contrast, liver: liver, neckBaseRow: neck, mediastinum: med)
    }
}
