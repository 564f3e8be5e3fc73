import Foundation
import Imaging
import Physics
import Testing
@testable import Analysis
@testable import Simulation

/// Automatic regions on the anatomy (issue 18) against analytic planar images built here: every organ a uniform
/// ellipse or ring of known counts per pixel, blurred by a known Gaussian, so the true region means and grades are
/// computed in the test from the same analytic description (independent of the analyses' region finders).
@Suite struct AnatomyRegionsTests {
    static let n = 128, px = 4.8

    /// Adds `value` inside the ellipse (centre column, row; semi-axes in pixels).
    static func ellipse(_ img: inout [Double], _ c: Double, _ r: Double, _ a: Double, _ b: Double, _ value: Double) {
        for y in 0..<n { for x in 0..<n where pow((Double(x) - c) / a, 2) + pow((Double(y) - r) / b, 2) <= 1 { img[y * n + x] += value } }
    }

    /// Gaussian blur (σ pixels), separable, zero outside.
    static func blur(_ img: [Double], sigma: Double) -> [Double] {
        let h = Int((3 * sigma).rounded(.up))
        let k = (-h...h).map { exp(-Double($0 * $0) / (2 * sigma * sigma)) }
        let sk = k.reduce(0, +)
        var tmp = [Double](repeating: 0, count: img.count), out = tmp
        for y in 0..<n { for x in 0..<n { var s = 0.0; for d in -h...h where x + d >= 0 && x + d < n { s += k[d + h] * img[y * n + x + d] }; tmp[y * n + x] = s / sk } }
        for y in 0..<n { for x in 0..<n { var s = 0.0; for d in -h...h where y + d >= 0 && y + d < n { s += k[d + h] * tmp[(y + d) * n + x] }; out[y * n + x] = s / sk } }
        return out
    }

    /// A chest: neck (rows 10–30) and trunk (rows 30–127), soft tissue 100 counts/pixel; liver (patient's right =
    /// image left, rows 78–110) at 400 with its left lobe reaching past the midline under the heart; a heart ring
    /// (outer radius 10 px, wall 3 px) at `heart` counts centred at column 76, row 62; `heart` 0 = no cardiac uptake.
    static func chest(heart: Double, heartRow: Double = 62) -> (image: [Double], heartOutline: [Bool], liver: [Bool]) {
        var img = [Double](repeating: 0, count: n * n)
        ellipse(&img, 63.5, 20, 9, 12, 100)                       // neck
        for y in 30..<n { for x in 20..<108 { img[y * n + x] += 100 } }   // trunk
        return organs(&img, heart: heart, heartRow: heartRow)
    }

    /// Adds the liver (400 over the body) and the heart ring (`heart` over the body, centred at `heartColumn` (76),
    /// `heartRow`) of ``chest(heart:heartRow:)`` to a body image and blurs it (σ 2 px). `rightWall`, when given, is
    /// the wall's level on the patient's right half (image columns left of the heart's centre) instead of `heart`.
    static func organs(_ img: inout [Double], heart: Double, heartRow: Double, heartColumn: Double = 76, rightWall: Double? = nil) -> (image: [Double], heartOutline: [Bool], liver: [Bool]) {
        var liverMap = [Double](repeating: 0, count: n * n)
        ellipse(&liverMap, 48, 92, 24, 16, 1)
        ellipse(&liverMap, 70, 84, 14, 6, 1)                      // left lobe, below the heart
        var liver = [Bool](repeating: false, count: n * n)
        for i in liverMap.indices where liverMap[i] > 0 { img[i] += 300; liver[i] = true }
        var outline = [Bool](repeating: false, count: n * n)
        for y in 0..<n { for x in 0..<n {
            let d = hypot(Double(x) - heartColumn, Double(y) - heartRow)
            let wall = Double(x) < heartColumn ? rightWall ?? heart : heart
            if d <= 10 { outline[y * n + x] = true; img[y * n + x] += d >= 7 ? wall : 0.5 * heart }   // wall, cavity (over/underlying wall)
        } }
        return (blur(img, sigma: 2), outline, liver)
    }

    @Test("MIBG: heart region found on the heart above the liver, H/M within 5 % of the analytic outline ratio")
    func mibgHeartOnTheAnatomy() throws {
        let c = Self.chest(heart: 300)
        // Truth: mean over the heart's outline without the pixels within 2 px of the liver ÷ the mediastinal level
        // (soft tissue only, 100 counts/pixel, at the square's place).
        let (v, r, trueHM) = try Self.analyzeChest(c, label: "analytic chest")
        #expect(hypot(r.heartROI.column - 76, r.heartROI.row - 62) <= 2, "heart region centre (\(r.heartROI.column), \(r.heartROI.row)), truth (76, 62)")
        #expect(abs(r.heartToMediastinum / trueHM - 1) <= 0.05, "H/M \(r.heartToMediastinum), analytic \(trueHM)")
        #expect(abs(r.mediastinumROI.column - 63.5) <= 1 && r.mediastinumROI.row > 30 && r.mediastinumROI.row < 52, "mediastinum \(r.mediastinumROI)")
        #expect(r.heartVisible == true)
        // No region pixel on the liver.
        #expect(!(r.heartRegionIndices ?? []).contains { c.liver[$0] })
        // Hand placement still wins (regions from outside).
        let given = try MIBGAnalysis().analyze(v, heart: PlanarDisk(column: 76, row: 62, radius: 6), mediastinum: .init(column: 63, row: 40, side: 7), collimator: "MEGP")
        #expect(given.heartRegionIndices == nil && given.heartROI == PlanarDisk(column: 76, row: 62, radius: 6))
    }

    @Test("MIBG: a heart without uptake is reported not visible, its region stays off the liver")
    func mibgHeartNotVisible() throws {
        let c = Self.chest(heart: 5)
        let v = PlanarViewImage(name: "Anterior projection", rows: Self.n, columns: Self.n, pixelSpacing: [Self.px, Self.px], counts: c.image.map { Float($0) })
        let r = try MIBGAnalysis().analyze(v, collimator: "MEGP")
        #expect(r.heartVisible == false)
        #expect(r.quality.contains { $0.contains("heart not visible") })
        #expect(!(r.heartRegionIndices ?? []).contains { c.liver[$0] })
        #expect(r.heartToMediastinum < 1.15, "H/M \(r.heartToMediastinum) without cardiac uptake")
    }

    /// Truth of the analytic chest: mean over the heart's outline without the pixels within 2 px of the liver ÷ the
    /// mediastinal level (soft tissue only, 100 counts/pixel, at the square's place).
    static func analyticHM(_ c: (image: [Double], heartOutline: [Bool], liver: [Bool])) -> Double {
        var band = [Bool](repeating: false, count: n * n)
        for i in c.liver.indices where c.liver[i] { let y = i / n, x = i % n
            for dy in -2...2 { for dx in -2...2 where y + dy >= 0 && y + dy < n && x + dx >= 0 && x + dx < n { band[(y + dy) * n + x + dx] = true } } }
        var sum = 0.0, cnt = 0.0
        for i in c.heartOutline.indices where c.heartOutline[i] && !band[i] { sum += c.image[i]; cnt += 1 }
        return (sum / cnt) / 100
    }

    /// The automatic MIBG analysis of an analytic chest image (anterior view, MEGP), with the chest's analytic H/M
    /// (``analyticHM(_:)``); prints the regions found under `label`.
    static func analyzeChest(_ c: (image: [Double], heartOutline: [Bool], liver: [Bool]), label: String) throws -> (view: PlanarViewImage, result: MIBGAnalysis.Result, trueHM: Double) {
        let v = PlanarViewImage(name: "Anterior projection", rows: n, columns: n, pixelSpacing: [px, px], counts: c.image.map { Float($0) })
        let r = try MIBGAnalysis().analyze(v, collimator: "MEGP")
        let trueHM = analyticHM(c)
        print(String(format: "MIBG %@: H/M %.3f, truth %.3f; heart centre (%.1f, %.1f), %d px; mediastinum (%.0f, %.0f)", label, r.heartToMediastinum, trueHM,
                     r.heartROI.column, r.heartROI.row, r.heartRegionPixels ?? -1, r.mediastinumROI.column, r.mediastinumROI.row))
        return (v, r, trueHM)
    }

    @Test("MIBG: a heart as bright as the liver, lying on the liver's left lobe, is not taken into the liver (fixed-seed miss kind a)")
    func mibgHeartAsBrightAsLiver() throws {
        // Heart wall 300 over 100 soft tissue = 400, the liver's level; the heart (rows 56–76) touches the left lobe
        // (rows 78–90) under it through the blur (before `uptake7` the liver grew over it: H/M −69 %).
        let c = Self.chest(heart: 300, heartRow: 66)
        let (_, r, trueHM) = try Self.analyzeChest(c, label: "heart as bright as the liver")
        #expect(hypot(r.heartROI.column - 76, r.heartROI.row - 66) <= 2.5, "heart region centre (\(r.heartROI.column), \(r.heartROI.row)), truth (76, 66)")
        #expect(abs(r.heartToMediastinum / trueHM - 1) <= 0.05, "H/M \(r.heartToMediastinum), analytic \(trueHM)")
        #expect(!(r.heartRegionIndices ?? []).contains { c.liver[$0] })
    }

    @Test("MIBG: a faint heart above a brighter left lobe: the region stays on the heart in the chest, not on the lobe (fixed-seed miss kind b)")
    func mibgFaintHeartAboveLeftLobe() throws {
        // Heart wall 60 over 100 soft tissue (plateau ≈ 1.5 × its surroundings, as faint as tuning seed 8121); the
        // left lobe (400) lies below it, the brightest compact structure left of the midline.
        let c = Self.chest(heart: 60)
        let (_, r, trueHM) = try Self.analyzeChest(c, label: "faint heart")
        #expect(hypot(r.heartROI.column - 76, r.heartROI.row - 62) <= 3, "heart region centre (\(r.heartROI.column), \(r.heartROI.row)), truth (76, 62)")
        #expect(abs(r.heartToMediastinum / trueHM - 1) <= 0.05, "H/M \(r.heartToMediastinum), analytic \(trueHM)")
        #expect(!(r.heartRegionIndices ?? []).contains { c.liver[$0] })
        #expect(r.mediastinumROI.row > 30 && r.mediastinumROI.row < 52, "mediastinum \(r.mediastinumROI)")
    }

    @Test("MIBG: a heart whose brightest wall lies just right of the midline, on the liver's left lobe, is not taken into the liver (tuning seed 8135)")
    func mibgHeartAcrossTheMidline() throws {
        // The heart (centre column 64, 0.5 px left of the midline 63.5; row 65.5, its lower edge 2.5 px above the
        // left lobe) has its wall on the patient's right twice as bright (400 over the tissue) as on the left (200),
        // so its hilltop on the 15 mm-smoothed image lies about 5 px (26 mm) right of the midline, and through the
        // blur it joins the left lobe above the liver's growth level. Until `mibg14` a hill whose top lay anywhere
        // right of the midline counted as the liver's: the liver took the heart and the region went to the heart's
        // left edge (this chest: 129 px centred 5.4 px off, H/M −16 %; tuning seed 8135: −32 %). Now another hill
        // joins the liver only when its top lies 40 mm or more to the patient's right (where the liver's seed lies).
        var img = [Double](repeating: 0, count: Self.n * Self.n)
        Self.ellipse(&img, 63.5, 20, 9, 12, 100)                                   // neck
        for y in 30..<Self.n { for x in 20..<108 { img[y * Self.n + x] += 100 } }   // trunk
        let c = Self.organs(&img, heart: 200, heartRow: 65.5, heartColumn: 64, rightWall: 400)
        let (_, r, trueHM) = try Self.analyzeChest(c, label: "heart across the midline")
        #expect(hypot(r.heartROI.column - 64, r.heartROI.row - 65.5) <= 2.5, "heart region centre (\(r.heartROI.column), \(r.heartROI.row)), truth (64, 65.5)")
        #expect(abs(r.heartToMediastinum / trueHM - 1) <= 0.05, "H/M \(r.heartToMediastinum), analytic \(trueHM)")
        #expect(!(r.heartRegionIndices ?? []).contains { c.liver[$0] })
    }

    /// A chest whose outline widens gradually, as a patient's does: neck 18 px wide from row 10 to `neckEnd`, the
    /// shoulders widening linearly over 10 rows to `shoulderWidth`, then the trunk (100 counts/pixel) widening linearly
    /// over `chestRows` rows to its full 88 px; liver and heart as in ``chest(heart:heartRow:)``. Also returns the
    /// analytic base of the neck: the row where the drawn width reaches 60 % of the widest (on the shoulders' flank).
    static func slopedChest(neckEnd: Double, shoulderWidth: Double, chestRows: Double, heartRow: Double) -> (image: [Double], heartOutline: [Bool], liver: [Bool], neckBase: Double) {
        func width(_ y: Double) -> Double {
            if y < 10 { return 0 }
            if y < neckEnd { return 18 }
            if y < neckEnd + 10 { return 18 + (shoulderWidth - 18) * (y - neckEnd) / 10 }
            return min(88, shoulderWidth + (88 - shoulderWidth) * (y - neckEnd - 10) / chestRows)
        }
        var img = [Double](repeating: 0, count: n * n)
        for y in 0..<n { for x in 0..<n where abs(Double(x) - 63.5) <= width(Double(y)) / 2 { img[y * n + x] = 100 } }
        let c = organs(&img, heart: 300, heartRow: heartRow)
        // 60 % of 88 px lies on the shoulders' flank (shoulderWidth ≥ 52.8 here).
        return (c.image, c.heartOutline, c.liver, neckEnd + 10 * (0.6 * 88 - 18) / (shoulderWidth - 18))
    }

    @Test("MIBG: the mediastinal square lies 55 % of the way from the base of the neck to the top of the heart, on the midline: as either moves, where the chest keeps widening below the shoulders, and under counting noise")
    func mibgMediastinumBetweenNeckAndHeart() throws {
        // Landmarks drawn in the test: the base of the neck where the outline reaches 60 % of its widest row (on the
        // shoulders' steep flank), the top of the heart at its ring's top edge (heartRow − 10). The upper mediastinum
        // between the lung apices and the heart (Flotats et al., EJNMMI 2010;37:1802; ADMIRE-HF, Jacobson et al., JACC
        // 2010;55:2212), placed 55 % of the way from the neck's base to the heart's top (tuning patients 8101–8160,
        // docs/mibg.md). The last chest keeps widening slowly for 30 rows below its shoulders (70 → 88 px), where a
        // shoulder line at 80 % of the widest row slides down that shallow flank: the rule until `mibg13` (45 % of the
        // way from that line) puts the square 4 rows lower there (row 50 instead of 46; its formula on this chest).
        for (neckEnd, shoulderWidth, chestRows, heartRow) in [(32.0, 88.0, 0.0, 62.0), (36, 88, 0, 62), (32, 88, 0, 66), (28, 88, 0, 60), (32, 66, 30, 62)] {
            let c = Self.slopedChest(neckEnd: neckEnd, shoulderWidth: shoulderWidth, chestRows: chestRows, heartRow: heartRow)
            let expected = c.neckBase + 0.55 * (heartRow - 10 - c.neckBase)
            for noise in [false, true] {
                var counts = c.image.map { Float(2 * $0) }       // 200 counts/pixel of soft tissue, as the late anterior views
                if noise { var g = SeededGenerator(seed: 13, stream: UInt64(neckEnd + heartRow)); counts = counts.map { Float(g.poisson(Double($0))) } }
                let v = PlanarViewImage(name: "Anterior projection", rows: Self.n, columns: Self.n, pixelSpacing: [Self.px, Self.px], counts: counts)
                let r = try MIBGAnalysis().analyze(v, collimator: "MEGP")
                print(String(format: "MIBG sloped chest (neck to %.0f, shoulders %.0f px, chest %.0f rows, heart row %.0f, noise %@): square row %.0f, expected %.2f; H/M %.3f, truth %.3f",
                             neckEnd, shoulderWidth, chestRows, heartRow, noise ? "yes" : "no", r.mediastinumROI.row, expected, r.heartToMediastinum, Self.analyticHM((c.image, c.heartOutline, c.liver))))
                #expect(abs(r.mediastinumROI.row - expected) <= 1, "square row \(r.mediastinumROI.row), expected \(expected) (neck \(neckEnd), heart \(heartRow), noise \(noise))")
                #expect(abs(r.mediastinumROI.column - 63.5) <= 1, "square column \(r.mediastinumROI.column)")
                if !noise { #expect(abs(r.heartToMediastinum / Self.analyticHM((c.image, c.heartOutline, c.liver)) - 1) <= 0.05) }
            }
        }
    }

    @Test("MIBG: a view cut below the neck places the square 42 mm above the heart's top and says so")
    func mibgNeckNotInView() throws {
        // The sloped chest cut at row 38, on the shoulders' flank (68 % of the widest row): no neck above the first wide
        // row, so no base of the neck. The square then lies 42 mm above the heart ring's top edge (heartRow − 10),
        // the mean distance on tuning patients 8101–8160 (docs/mibg.md).
        let c = Self.slopedChest(neckEnd: 32, shoulderWidth: 88, chestRows: 0, heartRow: 62)
        let counts = c.image.indices.map { $0 / Self.n < 38 ? Float(0) : Float(2 * c.image[$0]) }
        let v = PlanarViewImage(name: "Anterior projection", rows: Self.n, columns: Self.n, pixelSpacing: [Self.px, Self.px], counts: counts)
        let r = try MIBGAnalysis().analyze(v, collimator: "MEGP")
        let expected = 62 - 10 - 42 / Self.px
        #expect(abs(r.mediastinumROI.row - expected) <= 1, "square row \(r.mediastinumROI.row), expected \(expected)")
        #expect(r.quality.contains { $0.contains("neck not in the view") }, "\(r.quality)")
        // With the neck in the view, no such note.
        let whole = try MIBGAnalysis().analyze(PlanarViewImage(name: "Anterior projection", rows: Self.n, columns: Self.n, pixelSpacing: [Self.px, Self.px],
                                                               counts: c.image.map { Float(2 * $0) }), collimator: "MEGP")
        #expect(!whole.quality.contains { $0.contains("neck not in the view") })
    }

    /// An abdomen for the Krenning regions: trunk 40 counts/pixel, liver (image left) 400, spleen (image right,
    /// at the liver's height) 1200, kidneys (paired, below) 1500, and tumours of 3 px radius at the given counts
    /// (added to what lies under them); returns the image (used as anterior and, mirrored, as posterior).
    static func abdomen(tumours: [(Double, Double, Double)], spleen: Double = 1160) -> [Double] {
        var img = [Double](repeating: 0, count: n * n)
        for y in 0..<n { for x in 24..<104 { img[y * n + x] += 40 } }
        ellipse(&img, 46, 50, 22, 16, 360)       // liver
        ellipse(&img, 88, 50, 7, 11, spleen)     // spleen
        ellipse(&img, 52, 78, 5, 9, 1460)        // right kidney
        ellipse(&img, 75, 78, 5, 9, 1460)        // left kidney
        for (c, r, v) in tumours { ellipse(&img, c, r, 3, 3, v) }
        return blur(img, sigma: 1.2)
    }

    @Test("Krenning: liver, spleen and tumours found on the anatomy; grades equal the analytic ones")
    func krenningAutomatic() throws {
        // Tumours: in the lung field/soft tissue 0.3× and 0.75× the liver, in the liver 1.8× the liver, in soft tissue
        // of the left lower abdomen (off the midline: the hottest lower midline focus is taken as the bladder). Peak counts (before blur) = background + added value.
        let tumours: [(Double, Double, Double)] = [(70, 20, 120 - 40), (40, 105, 300 - 40), (40, 52, 720 - 400), (95, 100, 3000 - 40)]
        let img = Self.abdomen(tumours: tumours)
        let mirrored = (0..<(Self.n * Self.n)).map { i in Float(img[(i / Self.n) * Self.n + Self.n - 1 - i % Self.n]) }
        let a = PlanarViewImage(name: "Anterior projection", rows: Self.n, columns: Self.n, pixelSpacing: [Self.px, Self.px], counts: img.map { Float($0) })
        let p = PlanarViewImage(name: "Posterior projection", rows: Self.n, columns: Self.n, pixelSpacing: [Self.px, Self.px], counts: mirrored)
        let r = try KrenningAnalysis().score(anterior: a, posterior: p, lesions: nil, liver: nil, spleen: nil)
        // Analytic grades from the blurred image: peak 3×3 mean ÷ liver 400, spleen 1200 (interior plateaus).
        func peak(_ c: Double, _ rw: Double) -> Double {
            var s = 0.0; for dy in -1...1 { for dx in -1...1 { s += img[(Int(rw) + dy) * Self.n + Int(c) + dx] } }; return s / 9
        }
        for (c, rw, _) in tumours {
            let i = peak(c, rw)
            let truth = PlanarStudyTruth.krenningGrade(contrast: 2, ratioToLiver: i / 400, ratioToSpleen: i / 1200)
            let found = r.lesions.first { hypot($0.region.column - c, $0.region.row - rw) <= 4 }
            print(String(format: "Krenning analytic tumour (%.0f, %.0f): peak %.0f, truth grade %d, found %@", c, rw, i, truth, found.map { "grade \($0.krenningScore ?? -1)" } ?? "no"))
            #expect(found?.krenningScore == truth, "tumour at (\(c), \(rw)): \(String(describing: found)), truth grade \(truth)")
        }
        #expect(r.lesions.count == tumours.count, "found \(r.lesions.map { ($0.region.column, $0.region.row) })")
        #expect(abs(r.liver.intensity / 400 - 1) < 0.05 && abs(r.spleen.intensity / 1200 - 1) < 0.1, "liver \(r.liver.intensity), spleen \(r.spleen.intensity)")
        #expect(r.physiology.filter { $0.kind == "kidney" }.count == 2)
        #expect(r.automaticRegions == ["liver", "spleen", "lesions"])
        // Hand-placed liver and spleen still win; lesions found automatically.
        let h = try KrenningAnalysis().score(anterior: a, posterior: p, lesions: nil, liver: NamedPlanarDisk(name: "liver", roi: PlanarDisk(column: 40, row: 45, radius: 4)),
                                             spleen: NamedPlanarDisk(name: "spleen", roi: PlanarDisk(column: 88, row: 50, radius: 3)))
        #expect(h.automaticRegions == ["lesions"] && h.liver.column == 40)
    }

    @Test("Krenning: a spleen told apart that reads not hotter than the liver: grade 4 means above both, quality says so; grades below the liver stand")
    func krenningSpleenNotHotterThanLiver() throws {
        // The abdomen above with the spleen at 200 (+ 40 tissue) against the liver's 400: a spleen-sized structure at
        // the liver's height (P/A 1 as the body: not in front), so it is the spleen. Tumours at 0.3 × and 0.75 × the
        // liver (grades 1, 2: the liver alone decides), 1.8 × in the liver and 7.5 × in the left lower abdomen: above
        // the liver and the spleen, grade 4 — the scale as written (until 2026-12-08 they were withheld).
        let tumours: [(Double, Double, Double)] = [(70, 20, 120 - 40), (40, 105, 300 - 40), (40, 52, 720 - 400), (95, 100, 3000 - 40)]
        let img = Self.abdomen(tumours: tumours, spleen: 200)
        let mirrored = (0..<(Self.n * Self.n)).map { i in Float(img[(i / Self.n) * Self.n + Self.n - 1 - i % Self.n]) }
        let a = PlanarViewImage(name: "Anterior projection", rows: Self.n, columns: Self.n, pixelSpacing: [Self.px, Self.px], counts: img.map { Float($0) })
        let p = PlanarViewImage(name: "Posterior projection", rows: Self.n, columns: Self.n, pixelSpacing: [Self.px, Self.px], counts: mirrored)
        let r = try KrenningAnalysis().score(anterior: a, posterior: p, lesions: nil, liver: nil, spleen: nil)
        print("Krenning spleen not hotter than the liver: spleen \(r.spleen.intensity), liver \(r.liver.intensity); " + r.findings.joined(separator: " "))
        #expect(r.spleen.intensity < r.liver.intensity)
        for (c, rw, _) in tumours {
            var s = 0.0; for dy in -1...1 { for dx in -1...1 { s += img[(Int(rw) + dy) * Self.n + Int(c) + dx] } }
            let i = s / 9
            let found = try #require(r.lesions.first { hypot($0.region.column - c, $0.region.row - rw) <= 4 }, "tumour at (\(c), \(rw)) not found")
            #expect(found.krenningScore == PlanarStudyTruth.krenningGrade(contrast: 2, ratioToLiver: i / 400, ratioToSpleen: i / 240), "tumour at (\(c), \(rw)): \(found)")
            if i > 400 { #expect(found.krenningScore == 4) }
        }
        #expect(r.quality.contains { $0.contains("not hotter than the liver region") && $0.contains("score 4 means above both") }, "\(r.quality)")
        #expect(!r.findings.contains { $0.contains("withheld") })
    }

    @Test("Krenning: a lesion within 5 % + 2 σ of a grade boundary says so (which boundary, the neighbouring grade as plausible); one clearly inside its band does not")
    func krenningNearBoundary() throws {
        // Uniform plateaus, no blur, given regions: liver 400, spleen 800, lesions at 1.02 × and 1.5 × the liver,
        // 0.97 × the spleen and 0.51 × the liver (grade 2/3, none, 3/4, 1/2 boundaries). Counts are high (σ of a
        // 3 × 3 mean of ~400: 1.7 % per view), so the flag's margin is 5 % + 2 σ ≈ 7 %; the 1.5 × lesion is 25 % from
        // both boundaries.
        let n = Self.n
        var img = [Double](repeating: 40, count: n * n)
        func square(_ c: Int, _ r: Int, _ h: Int, _ v: Double) { for y in (r - h)...(r + h) { for x in (c - h)...(c + h) { img[y * n + x] = v } } }
        square(40, 50, 8, 400); square(90, 50, 6, 800)
        let lesions: [(Int, Int, Double, String?)] = [(30, 100, 408, "2/3"), (60, 100, 600, nil), (90, 100, 776, "3/4"), (110, 20, 204, "1/2")]
        for (c, r, v, _) in lesions { square(c, r, 2, v) }
        let mirrored = (0..<(n * n)).map { i in Float(img[(i / n) * n + n - 1 - i % n]) }
        let a = PlanarViewImage(name: "Anterior projection", rows: n, columns: n, pixelSpacing: [Self.px, Self.px], counts: img.map { Float($0) })
        let p = PlanarViewImage(name: "Posterior projection", rows: n, columns: n, pixelSpacing: [Self.px, Self.px], counts: mirrored)
        let r = try KrenningAnalysis().score(anterior: a, posterior: p,
                                             lesions: lesions.enumerated().map { NamedPlanarDisk(name: "lesion \($0.offset + 1)", roi: PlanarDisk(column: Double($0.element.0), row: Double($0.element.1), radius: 2)) },
                                             liver: NamedPlanarDisk(name: "liver", roi: PlanarDisk(column: 40, row: 50, radius: 3)),
                                             spleen: NamedPlanarDisk(name: "spleen", roi: PlanarDisk(column: 90, row: 50, radius: 1.5)))
        for (k, l) in lesions.enumerated() {
            let s = r.lesions[k]
            print("Krenning near boundary: lesion \(k + 1) grade \(s.krenningScore ?? -1), \(s.nearBoundary ?? "not near")")
            if let b = l.3 {
                #expect(s.nearBoundary?.contains("grade \(b) boundary") == true, "lesion \(k + 1): \(String(describing: s.nearBoundary))")
                #expect(r.findings[k].contains("neighbouring grade is as plausible"))
            } else {
                #expect(s.nearBoundary == nil, "lesion \(k + 1): \(String(describing: s.nearBoundary))")
            }
        }
        #expect(r.lesions.map(\.krenningScore) == [3, 3, 3, 2])
    }

    @Test("Krenning: an automatic spleen region lying in front of the body is not the spleen: grades above the liver withheld with the reason; grades below it stand; a spleen given by hand wins")
    func krenningSpleenNotToldApart() throws {
        // The abdomen without its spleen, and a spleen-sized structure at the spleen's place lying in FRONT
        // (posterior ÷ anterior 0.5 against the body's 1): the spleen lies at the back, so the region is something
        // else and cannot separate grade 3 from 4.
        let tumours: [(Double, Double, Double)] = [(70, 20, 120 - 40), (40, 105, 300 - 40), (40, 52, 720 - 400), (95, 100, 3000 - 40)]
        let base = Self.abdomen(tumours: tumours, spleen: 0)
        var front = [Double](repeating: 0, count: Self.n * Self.n)
        Self.ellipse(&front, 88, 50, 7, 11, 1160)
        let fb = Self.blur(front, sigma: 1.2)
        let pa = 0.5
        let ant = zip(base, fb).map { $0 + $1 / pa.squareRoot() }, post = zip(base, fb).map { $0 + $1 * pa.squareRoot() }
        let mirrored = (0..<(Self.n * Self.n)).map { i in Float(post[(i / Self.n) * Self.n + Self.n - 1 - i % Self.n]) }
        let a = PlanarViewImage(name: "Anterior projection", rows: Self.n, columns: Self.n, pixelSpacing: [Self.px, Self.px], counts: ant.map { Float($0) })
        let p = PlanarViewImage(name: "Posterior projection", rows: Self.n, columns: Self.n, pixelSpacing: [Self.px, Self.px], counts: mirrored)
        let r = try KrenningAnalysis().score(anterior: a, posterior: p, lesions: nil, liver: nil, spleen: nil)
        print("Krenning spleen not told apart: spleen \(r.spleen.intensity), liver \(r.liver.intensity); " + r.findings.joined(separator: " "))
        for (c, rw, _) in tumours {
            var s = 0.0; for dy in -1...1 { for dx in -1...1 { s += base[(Int(rw) + dy) * Self.n + Int(c) + dx] } }
            let i = s / 9
            let found = try #require(r.lesions.first { hypot($0.region.column - c, $0.region.row - rw) <= 4 }, "tumour at (\(c), \(rw)) not found")
            if i > 400 {
                #expect(found.krenningScore == nil && (found.withheld ?? "").contains("lies in front"), "tumour at (\(c), \(rw)): \(found)")
            } else {
                #expect(found.krenningScore == PlanarStudyTruth.krenningGrade(contrast: 2, ratioToLiver: i / 400, ratioToSpleen: i / 1200), "tumour at (\(c), \(rw)): \(found)")
            }
        }
        #expect(r.quality.contains { $0.contains("withheld") && $0.contains("--spleen") })
        #expect(r.findings.filter { $0.contains("withheld") }.count == 2)
        // A spleen given by hand is the user's reference: no grade withheld.
        let h = try KrenningAnalysis().score(anterior: a, posterior: p, lesions: nil, liver: nil,
                                             spleen: NamedPlanarDisk(name: "spleen", roi: PlanarDisk(column: 88, row: 50, radius: 3)))
        #expect(h.lesions.allSatisfy { $0.krenningScore != nil })
    }

    @Test("Krenning: a spleen joined to the left kidney above half the kidney's peak is not grown into the kidney (a kidney's region is its own hill); the liver disc sits where the liver reads highest")
    func krenningSpleenBesideKidneyAndThickLiver() throws {
        // Trunk 40; liver 360 with a thick lobe (+190, 30 mm disc fits) off its centre; spleen 1050 whose lower pole
        // touches the left kidney (1400), so that the 8 mm-smoothed image joins them above 50 % of the kidney's peak
        // while the spleen keeps a maximum of its own 80 mm from the kidney's (tuning patient 7111's geometry).
        let n = Self.n
        var img = [Double](repeating: 0, count: n * n)
        for y in 0..<n { for x in 24..<104 { img[y * n + x] += 40 } }
        Self.ellipse(&img, 46, 50, 22, 16, 360)
        Self.ellipse(&img, 33, 52, 7, 7, 190)
        var kidneyL = [Double](repeating: 0, count: n * n)
        Self.ellipse(&kidneyL, 75, 74, 5, 9, 1)
        for y in 0..<n { for x in 0..<n where pow((Double(x) - 84) / 7, 2) + pow((Double(y) - 60) / 9, 2) <= 1 && kidneyL[y * n + x] == 0 { img[y * n + x] += 1050 } }
        Self.ellipse(&img, 75, 74, 5, 9, 1400)
        Self.ellipse(&img, 52, 74, 5, 9, 1400)
        let b = Self.blur(img, sigma: 1.2)
        // The case: on the analysis' 8 mm-smoothed image the spleen's top lies inside the kidney's 50 % region.
        let s = RegionTools.gaussian(b.map { Float($0) }, rows: n, columns: n, sigma: 8 / Self.px)
        let joined = PlanarROI.component(of: s.indices.map { s[$0] >= 0.5 * s[74 * n + 75] }, rows: n, columns: n, seed: 74 * n + 75)
        #expect(joined.inside[60 * n + 84], "the test's spleen is not joined to the kidney above half its peak")
        let mirrored = (0..<(n * n)).map { i in Float(b[(i / n) * n + n - 1 - i % n]) }
        let a = PlanarViewImage(name: "Anterior projection", rows: n, columns: n, pixelSpacing: [Self.px, Self.px], counts: b.map { Float($0) })
        let p = PlanarViewImage(name: "Posterior projection", rows: n, columns: n, pixelSpacing: [Self.px, Self.px], counts: mirrored)
        let r = try KrenningAnalysis().score(anterior: a, posterior: p, lesions: nil, liver: nil, spleen: nil)
        print(String(format: "Krenning spleen beside the kidney: spleen (%.0f, %.0f) %.0f, liver (%.0f, %.0f) %.0f", r.spleen.column, r.spleen.row, r.spleen.intensity,
                     r.liver.column, r.liver.row, r.liver.intensity))
        // The spleen's plateau (blurred, at its centre) and the thick lobe's (40 + 360 + 190 = 590 before the blur).
        #expect(abs(r.spleen.intensity / b[60 * n + 84] - 1) < 0.05 && hypot(r.spleen.column - 84, r.spleen.row - 60) <= 4, "spleen \(r.spleen)")
        #expect(abs(r.liver.intensity / b[52 * n + 33] - 1) < 0.05 && hypot(r.liver.column - 33, r.liver.row - 52) <= 4, "liver \(r.liver)")
        #expect(r.physiology.filter { $0.kind == "kidney" }.count == 2)
    }

    @Test("Krenning: kidneys 3.5 × the liver behind its lower edge are found first; liver and spleen then found without a maximum of their own")
    func krenningKidneysFirst() throws {
        // Conjugate-view values g = √(A·P), split into anterior and posterior by the organ's depth: kidneys posterior
        // (P/A 2.2), spleen posterior (P/A 2), liver and tumours P/A 1. Liver rising from 300 (dome) to 450 (lower
        // edge) towards the right kidney (1400), which overlaps its lower edge: like the In-111 trial patients, the
        // liver has no maximum of its own. Spleen 600 at the liver's height, soft tissue 30.
        let n = Self.n
        var a = [Double](repeating: 0, count: n * n), p = a, liver = [Bool](repeating: false, count: n * n)
        func organ(_ c: Double, _ r: Double, _ ax: Double, _ b: Double, _ g: Double, _ pa: Double) {
            Self.ellipse(&a, c, r, ax, b, g / pa.squareRoot()); Self.ellipse(&p, c, r, ax, b, g * pa.squareRoot())
        }
        for y in 0..<n { for x in 24..<104 { a[y * n + x] += 30; p[y * n + x] += 30 } }
        for y in 0..<n { for x in 0..<n where pow((Double(x) - 46) / 22, 2) + pow((Double(y) - 50) / 16, 2) <= 1 {
            let v = 270 + 150 * (Double(y) - 34) / 32; a[y * n + x] += v; p[y * n + x] += v; liver[y * n + x] = true } }
        organ(86, 52, 7, 10, 570, 2)        // spleen
        organ(50, 72, 5, 9, 1370, 2.2)      // right kidney, over the liver's lower edge
        organ(77, 72, 5, 9, 1370, 2.2)      // left kidney
        let tumours: [(Double, Double, Double)] = [(70, 20, 100), (36, 105, 250), (62, 22, 540), (100, 30, 900)]
        for (c, r, v) in tumours { organ(c, r, 3, 3, v - 30, 1) }
        let ab = Self.blur(a, sigma: 1.2), pb = Self.blur(p, sigma: 1.2)
        let g = zip(ab, pb).map { ($0 * $1).squareRoot() }
        let mirrored = (0..<(n * n)).map { i in Float(pb[(i / n) * n + n - 1 - i % n]) }
        let av = PlanarViewImage(name: "Anterior projection", rows: n, columns: n, pixelSpacing: [Self.px, Self.px], counts: ab.map { Float($0) })
        let pv = PlanarViewImage(name: "Posterior projection", rows: n, columns: n, pixelSpacing: [Self.px, Self.px], counts: mirrored)
        let r = try KrenningAnalysis().score(anterior: av, posterior: pv, lesions: nil, liver: nil, spleen: nil)
        print(String(format: "Krenning kidneys first: liver disc (%.0f, %.0f) %.0f, spleen (%.0f, %.0f) %.0f; %d foci; physiology %@", r.liver.column, r.liver.row,
                     r.liver.intensity, r.spleen.column, r.spleen.row, r.spleen.intensity, r.lesions.count, r.physiology.map(\.kind).joined(separator: ",")))
        #expect(r.physiology.filter { $0.kind == "kidney" }.count == 2)
        // The liver disc on the liver (anywhere on its 300–450 ramp), not on a kidney; the spleen disc on the spleen.
        #expect(liver[Int(r.liver.row) * n + Int(r.liver.column)] && r.liver.intensity >= 290 && r.liver.intensity <= 460, "liver \(r.liver)")
        #expect(abs(r.spleen.intensity / 600 - 1) < 0.1 && hypot(r.spleen.column - 86, r.spleen.row - 52) <= 6, "spleen \(r.spleen)")
        // No focus on the kidneys.
        #expect(!r.lesions.contains { hypot($0.region.column - 50, $0.region.row - 72) <= 9 || hypot($0.region.column - 77, $0.region.row - 72) <= 9 })
        // Analytic grades: the blurred conjugate peak (3 × 3) against a liver anywhere on its ramp (the same grade at
        // 300 and at 450) and the spleen 600.
        for (c, rw, _) in tumours {
            var sum = 0.0; for dy in -1...1 { for dx in -1...1 { sum += g[(Int(rw) + dy) * n + Int(c) + dx] } }
            let i = sum / 9
            let lo = PlanarStudyTruth.krenningGrade(contrast: 2, ratioToLiver: i / 450, ratioToSpleen: i / 600)
            let hi = PlanarStudyTruth.krenningGrade(contrast: 2, ratioToLiver: i / 300, ratioToSpleen: i / 600)
            #expect(lo == hi, "tumour (\(c), \(rw)) peak \(i) straddles a grade boundary of the liver ramp")
            let found = r.lesions.first { hypot($0.region.column - c, $0.region.row - rw) <= 4 }
            #expect(found?.krenningScore == lo, "tumour at (\(c), \(rw)): \(String(describing: found?.krenningScore)), analytic grade \(lo)")
        }
    }

    @Test("Krenning: tumours on the shoulder of a brighter organ (no maximum of their own) are found with their analytic grades; the organ edges alone give no focus, and with counting noise no shoulder focus")
    func krenningTumourOnAnOrgansShoulder() throws {
        // The abdomen above (liver 400, spleen 1200, kidneys 1500, trunk 40; blur σ 1.2 px) and two tumours of 3 px
        // radius that sit on a brighter organ's slope (tuning seeds 7119/7129/7136 and 7116, branch krenning18): a
        // lung tumour centred 3 px above the liver's dome (+150: grade 1) and one 3 px above the left kidney's upper pole
        // and 3 px to its medial side (+520: grade 3; the kidney, 1500, is about 3 × its peak).
        let n = Self.n
        let tumours: [(Double, Double, Double)] = [(46, 31, 150), (72, 66, 520)]
        let img = Self.abdomen(tumours: tumours)
        func views(_ b: [Double], noiseSeed: UInt64? = nil) -> (PlanarViewImage, PlanarViewImage) {
            var c = b.map { Float($0) }
            if let noiseSeed { var g = SeededGenerator(seed: noiseSeed, stream: 1); c = c.map { Float(g.poisson(Double($0))) } }
            let mirrored = (0..<(n * n)).map { i in c[(i / n) * n + n - 1 - i % n] }
            return (PlanarViewImage(name: "Anterior projection", rows: n, columns: n, pixelSpacing: [Self.px, Self.px], counts: c),
                    PlanarViewImage(name: "Posterior projection", rows: n, columns: n, pixelSpacing: [Self.px, Self.px], counts: mirrored))
        }
        // The case: on the analysis' 1-pixel-smoothed image neither tumour has a maximum of its own within ± 3 px (the
        // main search's 7 × 7 window), so only the shoulder step can find it.
        let s1 = RegionTools.gaussian(img.map { Float($0) }, rows: n, columns: n, sigma: 1)
        let maxima = RegionTools.localMaxima(s1, rows: n, columns: n, radius: 3, threshold: 0)
        for (c, rw, _) in tumours {
            #expect(!maxima.contains { abs(Double($0.column) - c) <= 3 && abs(Double($0.row) - rw) <= 3 }, "the test's tumour at (\(c), \(rw)) has a maximum of its own")
        }
        let (a, p) = views(img)
        let r = try KrenningAnalysis().score(anterior: a, posterior: p, lesions: nil, liver: nil, spleen: nil)
        for (c, rw, _) in tumours {
            // The analytic grade: the blurred image's 3 × 3 mean at the tumour's centre (its own peak, the organ's slope
            // under it included, as the trial's truth) against the liver 400 and the spleen 1200.
            var sum = 0.0; for dy in -1...1 { for dx in -1...1 { sum += img[(Int(rw) + dy) * n + Int(c) + dx] } }
            let truth = PlanarStudyTruth.krenningGrade(contrast: 2, ratioToLiver: sum / 9 / 400, ratioToSpleen: sum / 9 / 1200)
            let found = r.lesions.first { hypot($0.region.column - c, $0.region.row - rw) <= 4 }
            print(String(format: "Krenning shoulder tumour (%.0f, %.0f): peak %.0f, truth grade %d, found %@", c, rw, sum / 9, truth,
                         found.map { String(format: "at (%.0f, %.0f) grade %d, %.0f", $0.region.column, $0.region.row, $0.krenningScore ?? -1, $0.region.intensity) } ?? "no"))
            #expect(found?.krenningScore == truth, "tumour at (\(c), \(rw)): \(String(describing: found)), truth grade \(truth)")
        }
        #expect(r.lesions.count == tumours.count, "found \(r.lesions.map { ($0.region.column, $0.region.row) })")
        #expect(r.notes.contains { $0.hasPrefix("on the shoulder of a brighter structure") })
        // Physiology alone: liver, spleen and kidney edges are no focus; with counting noise (Poisson, fixed seeds) the
        // shoulder step adds none (the maxima-based search's own reaction to noise at 40 counts/pixel is not this test's).
        let (a0, p0) = views(Self.abdomen(tumours: []))
        let r0 = try KrenningAnalysis().score(anterior: a0, posterior: p0, lesions: nil, liver: nil, spleen: nil)
        #expect(r0.lesions.isEmpty, "foci \(r0.lesions.map { ($0.region.column, $0.region.row, $0.region.intensity) })")
        for seed: UInt64 in [18, 19, 20] {
            let (an, pn) = views(Self.abdomen(tumours: []), noiseSeed: seed)
            let rn = try KrenningAnalysis().score(anterior: an, posterior: pn, lesions: nil, liver: nil, spleen: nil)
            #expect(!rn.notes.contains { $0.hasPrefix("on the shoulder") }, "noise seed \(seed): \(rn.notes)")
        }
    }

    @Test("Krenning: below the kidneys' peaks (the bowel's abdomen) the shoulder step does not search; the same bump above them is found")
    func krenningNoShoulderFociBelowTheKidneys() throws {
        // The abdomen above and a bump (+520, 3 px radius) on the slope of the left kidney, 3 px to its medial side:
        // once 3 px above its upper pole (row 66: found, as `krenningTumourOnAnOrgansShoulder`), once 3 px below its
        // lower pole (row 90: below the kidneys' peaks at row 78, where In-111 pentetreotide's bowel activity makes
        // such bumps). Neither has a maximum of its own.
        let n = Self.n
        for (row, expectFound) in [(66.0, true), (90.0, false)] {
            let img = Self.abdomen(tumours: [(72, row, 520)])
            let s1 = RegionTools.gaussian(img.map { Float($0) }, rows: n, columns: n, sigma: 1)
            #expect(!RegionTools.localMaxima(s1, rows: n, columns: n, radius: 3, threshold: 0).contains { abs($0.column - 72) <= 3 && abs(Double($0.row) - row) <= 3 },
                    "the test's bump at row \(row) has a maximum of its own")
            let mirrored = (0..<(n * n)).map { i in Float(img[(i / n) * n + n - 1 - i % n]) }
            let a = PlanarViewImage(name: "Anterior projection", rows: n, columns: n, pixelSpacing: [Self.px, Self.px], counts: img.map { Float($0) })
            let p = PlanarViewImage(name: "Posterior projection", rows: n, columns: n, pixelSpacing: [Self.px, Self.px], counts: mirrored)
            let r = try KrenningAnalysis().score(anterior: a, posterior: p, lesions: nil, liver: nil, spleen: nil)
            let found = r.lesions.contains { hypot($0.region.column - 72, $0.region.row - row) <= 4 }
            print("Krenning shoulder bump at row \(row): \(found ? "found" : "not sought")")
            #expect(found == expectFound, "bump at row \(row): \(r.lesions.map { ($0.region.column, $0.region.row) })")
            #expect(r.quality.contains { $0.hasPrefix("below the kidneys' hila") }, "the limit is said in quality")
        }
    }
}
