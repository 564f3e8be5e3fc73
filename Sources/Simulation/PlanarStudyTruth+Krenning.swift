import Foundation
import Imaging
import Physics

extension PlanarStudyTruth {
    /// True Krenning grade of every lesion of a somatostatin-receptor planar study (In-111 pentetreotide, anterior
    /// and posterior views), from the expected (noise-free) images and the projected anatomy.
    public struct KrenningTruth: Sendable, Codable, Equatable {
        /// One lesion.
        public struct Lesion: Sendable, Codable, Equatable {
            public var region: String
            public var diameterMM: Double
            /// Lesion ÷ host concentration (the `--lesion` contrast at this acquisition).
            public var contrast: Double
            /// Anterior-view pixel of the centre (column, row; 0-based).
            public var pixel: [Double]
            /// Conjugate-view intensity: mean of √(A·P) over the 3 × 3 pixels at the centre (expected counts/pixel).
            public var intensity: Double
            public var ratioToLiver: Double
            public var ratioToSpleen: Double
            /// Krenning grade 0–4 (0 also when the tumour's own excess is not visible, `visible` false).
            public var grade: Int
            /// Whether the tumour's own excess is visible (``PlanarStudyTruth/krenningVisibility``: Rose SNR ≥
            /// ``roseVisibilityThreshold`` on the anterior or the posterior view); nil in truths written without the
            /// images at the host's concentration (before 2026-12-07, branch `krenning9`).
            public var visible: Bool? = nil
            /// The tumour's own excess over its projected disc ÷ the counts there without it (the view with the larger
            /// SNR): expected image minus the expected image with the tumour at its host's concentration.
            public var excessRatio: Double? = nil
            /// Rose signal-to-noise ratio of that excess: excess counts over the disc ÷ √(counts without it), expected
            /// counts of the simulated acquisition (the better of the two views).
            public var excessSNR: Double? = nil
            /// Indices (in `lesions`) of the other tumours whose projected discs overlap this one's, directly or through
            /// another (centres closer than the sum of the radii): in a planar view they are one focus, which a reader
            /// grades once. nil when it overlaps none (and in truths written before 2026-12-08).
            public var overlapping: [Int]? = nil
            /// The grade of that one focus: the highest grade among the overlapping tumours (its hottest part; a tumour
            /// with no uptake of its own adds none). nil when it overlaps none: the focus is the tumour (`grade`).
            public var focusGrade: Int? = nil
        }
        public var lesions: [Lesion]
        /// Conjugate-view intensities (expected counts/pixel) of the liver and the spleen, the references of the
        /// grade: mean of √(A·P) over the organ's reference disc (``referenceDisc``: 30 mm liver, 15 mm spleen, where
        /// the organ is thickest from front to back, inside the organ and clear of the kidneys and the lesions), as a
        /// reader measures normal liver (PERCIST's right-lobe VOI) — or, where no such disc fits (`liverReference` /
        /// `spleenReference` "outline"), the whole-outline mean (`liverOutlineIntensity`).
        public var liverIntensity: Double
        public var spleenIntensity: Double
        /// Pixels of the organ's eroded outline, lesions and kidney band left out (the whole-outline region).
        public var liverPixels: Int
        public var spleenPixels: Int
        /// The whole-outline means: √(A·P) over the organ's projected outline eroded by 2 pixels, lesions (their
        /// radius + 2 pixels) and the pixels within ``kidneyMarginPixels`` of the projected kidneys left out — the
        /// reference of the grade before 2026-12-07 session 15 (branch `krenning16`); nil in truths written before.
        public var liverOutlineIntensity: Double? = nil
        public var spleenOutlineIntensity: Double? = nil
        /// "disc" (the reference disc fits) or "outline" (it does not: the whole-outline mean is the reference);
        /// nil in truths written before branch `krenning16` (whole outline).
        public var liverReference: String? = nil
        public var spleenReference: String? = nil
        /// The reference discs (nil where none fits).
        public var liverDisc: ReferenceDisc? = nil
        public var spleenDisc: ReferenceDisc? = nil
        /// Pixels of the organ's eroded outline left out because a kidney projects onto them or within
        /// ``kidneyMarginPixels`` (nil in truths written before 2026-12-07, which counted them).
        public var liverPixelsOverKidney: Int? = nil
        public var spleenPixelsOverKidney: Int? = nil
        public var definition: String
    }

    /// A reference disc on the anterior view's pixel grid (posterior mirrored, as everywhere in the truth).
    public struct ReferenceDisc: Sendable, Codable, Equatable {
        /// Centre (column, row; 0-based pixel centre).
        public var centre: [Int]
        /// Diameter (mm) and radius (pixels): the disc holds the pixels whose centre lies within the radius.
        public var diameterMM: Double
        public var radiusPixels: Double
        public var pixels: Int
        /// Mean projected organ thickness (mm, front to back) over the disc: the largest of any disc that fits.
        public var meanThicknessMM: Double
    }

    /// Projected thickness (mm) of an organ group along the anterior–posterior ray of each pixel of the anterior view
    /// (rows × columns): the organ's label voxels, each a box placed by the patient's pose (its centre) and scaled by
    /// the patient's girth and height, spread over the pixels it overlaps by the overlapping length across and along
    /// the body axis, their volumes summed per pixel ÷ the pixel's area — the mean front-to-back length of organ
    /// under the pixel. Exact overlaps, so that 8 mm slices on 4.8 mm pixels leave no stripes. From the phantom's
    /// labels, not from any image.
    public static func projectedThickness(_ patient: VirtualPatient, group: String, columns: Int, rows: Int, pixelMM: Double,
                                          axialCentreMM: Double) throws(VirtualPatientError) -> [Double] {
        let vs = patient.voxels(of: try OrganGroup.named(group))
        let sp = patient.phantom.spacingMM, v = patient.variability
        let hx = sp.x * v.girthScale / pixelMM / 2, hz = sp.z * v.heightScale / pixelMM / 2
        let w = sp.x * sp.y * sp.z * v.volumeScale / (pixelMM * pixelMM)
        // Fractions of the interval [centre − half, centre + half] (pixel units) on each pixel it overlaps.
        func spread(_ centre: Double, _ half: Double, _ n: Int) -> [(Int, Double)] {
            var out: [(Int, Double)] = []
            let lo = max(0, Int((centre - half + 0.5).rounded(.down))), hi = min(n - 1, Int((centre + half + 0.5).rounded(.down)))
            guard lo <= hi else { return out }
            for i in lo...hi {
                let o = min(centre + half, Double(i) + 0.5) - max(centre - half, Double(i) - 0.5)
                if o > 0 { out.append((i, o / (2 * half))) }
            }
            return out
        }
        var t = [Double](repeating: 0, count: rows * columns)
        for q in vs {
            let px = ClinicalStudies.projectedPixel(v.toPatient(q), angleDeg: 0, columns: columns, rows: rows, pixelMM: pixelMM, axialCentreMM: axialCentreMM)
            for (r, fr) in spread(px.row, hz, rows) { for (c, fc) in spread(px.column, hx, columns) { t[r * columns + c] += w * fr * fc } }
        }
        return t
    }

    /// The disc of `diameterMM` (the pixels whose centre lies within diameter ÷ 2 of an integer pixel centre) whose
    /// every pixel is in `allowed` and whose mean `thickness` is the largest (the first such centre in row-major order
    /// on ties); nil when no disc fits in `allowed`.
    public static func referenceDisc(thickness: [Double], allowed: Set<Int>, columns: Int, rows: Int, pixelMM: Double,
                                     diameterMM: Double) -> ReferenceDisc? {
        let rad = diameterMM / 2 / pixelMM, offsets = discOffsets(radiusPixels: rad)
        var best: (centre: Int, mean: Double)? = nil
        for i in allowed.sorted() {
            let r = i / columns, c = i % columns
            var sum = 0.0, fits = true
            for (dr, dc) in offsets {
                let rr = r + dr, cc = c + dc
                guard rr >= 0, cc >= 0, rr < rows, cc < columns, allowed.contains(rr * columns + cc) else { fits = false; break }
                sum += thickness[rr * columns + cc]
            }
            let mean = sum / Double(offsets.count)
            if fits, mean > (best?.mean ?? -Double.infinity) { best = (i, mean) }
        }
        return best.map { ReferenceDisc(centre: [$0.centre % columns, $0.centre / columns], diameterMM: diameterMM, radiusPixels: rad,
                                         pixels: offsets.count, meanThicknessMM: $0.mean) }
    }

    /// The (row, column) offsets of the pixels whose centre lies within `radiusPixels` of a pixel centre: the pixels
    /// of a reference disc.
    static func discOffsets(radiusPixels rad: Double) -> [(Int, Int)] {
        let k = Int(rad.rounded(.down))
        var offsets: [(Int, Int)] = []
        for dr in -k...k { for dc in -k...k where Double(dr * dr + dc * dc) <= rad * rad { offsets.append((dr, dc)) } }
        return offsets
    }

    /// Diameters (mm) of the truth's reference discs: liver 30 mm (PERCIST's normal-liver reference, "a 3-cm-diameter
    /// spherical VOI in the normal right lobe of the liver": Wahl et al., J Nucl Med 50:122S (2009); O, Lodge & Wahl,
    /// Radiology 280:576 (2016); also the liver reference of the PET Krenning score / SSTR-RADS), spleen 15 mm (the
    /// spleen is small; the analysis' spleen disc, docs/krenning.md). Fixed by the lead before any measurement.
    public static let liverReferenceDiameterMM = 30.0
    public static let spleenReferenceDiameterMM = 15.0

    /// Margin (pixels) around the projected kidneys left out of the truth's liver and spleen: the camera blur of a
    /// kidney 3–4 × the liver (In-111 MEGP, FWHM ≈ 12 mm at 10 cm, σ ≈ 1.1 pixel of 4.8 mm) is below 1 % of the liver
    /// 3 pixels from the kidney's edge.
    public static let kidneyMarginPixels = 3

    /// Rose's criterion (Rose, J Opt Soc Am 1948;38:196–208): an object of known size on a uniform background is seen
    /// reliably when its excess counts over its area exceed about 5 × the Poisson σ of the background counts there.
    /// The Krenning grade is visual (planar image): a tumour below this is graded 0 ("no uptake") by the truth, whatever
    /// the intensity of the organ behind it. Not tuned on trial seeds.
    public static let roseVisibilityThreshold = 5.0

    /// Visibility of one tumour's own excess in a planar study: on each view, the excess E = Σ (image − image without
    /// the tumour's excess) over the tumour's projected disc (radius `radiusPixels`, at least 1 pixel, centred on
    /// `centre` = anterior column and row; the posterior view's column is mirrored, C − 1 − column) and the counts
    /// without it B = Σ (image without the excess) there. Returns the view with the larger SNR = E ÷ √B: that SNR and
    /// E ÷ B. Images are expected (noise-free) counts of the acquisition, rows × columns.
    public static func krenningVisibility(anterior: [Float], posterior: [Float], hostAnterior: [Float], hostPosterior: [Float],
                                          columns: Int, rows: Int, centre: (column: Double, row: Double), radiusPixels: Double) -> (snr: Double, excessRatio: Double) {
        let rad = max(radiusPixels, 1)
        var best = (snr: -Double.infinity, excessRatio: 0.0)
        for (image, host, mirrored) in [(anterior, hostAnterior, false), (posterior, hostPosterior, true)] {
            let cx = mirrored ? Double(columns - 1) - centre.column : centre.column
            var e = 0.0, b = 0.0
            for r in max(0, Int((centre.row - rad).rounded(.down)))...min(rows - 1, Int((centre.row + rad).rounded(.up))) {
                for c in max(0, Int((cx - rad).rounded(.down)))...min(columns - 1, Int((cx + rad).rounded(.up)))
                where hypot(Double(c) - cx, Double(r) - centre.row) <= rad {
                    e += Double(image[r * columns + c]) - Double(host[r * columns + c]); b += Double(host[r * columns + c])
                }
            }
            let snr = b > 0 ? e / b.squareRoot() : (e > 0 ? .infinity : 0)
            if snr > best.snr { best = (snr, b > 0 ? e / b : 0) }
        }
        return best
    }

    /// The Krenning scale as the simulator grades (Krenning et al., Eur J Nucl Med 1993;20:716–731, planar scale as
    /// used for NETTER-1 eligibility, Strosberg et al., N Engl J Med 2017;376:125–135): 0 no uptake (the lesion
    /// concentrates no more than its host: contrast ≤ 1), 1 very low (< `veryLowFraction` × liver), 2 up to the
    /// liver, 3 above the liver, 4 above the spleen. `veryLowFraction` is the analysis' convention (0.5).
    public static func krenningGrade(contrast: Double, ratioToLiver: Double, ratioToSpleen: Double, veryLowFraction: Double = 0.5) -> Int {
        if contrast <= 1 { return 0 }
        if ratioToSpleen > 1 && ratioToLiver > 1 { return 4 }
        if ratioToLiver > 1 { return 3 }
        return ratioToLiver >= veryLowFraction ? 2 : 1
    }

    /// Grades the lesions of `truth` on the expected anterior and posterior images (rows × columns each; the
    /// posterior view's columns run the other way: pixel c of the anterior pairs with C − 1 − c of the posterior).
    /// `withoutExcess`: the same expected views with every tumour at its host's concentration. When given, a tumour
    /// whose own excess is not visible (``krenningVisibility`` below ``roseVisibilityThreshold``) is graded 0 with
    /// `visible` false: a reader sees the organ behind it, not the tumour.
    public static func krenning(anterior: [Float], posterior: [Float], columns: Int, rows: Int, pixelMM: Double, axialCentreMM: Double,
                                patient: VirtualPatient, lesions: [LesionTruth],
                                withoutExcess: (anterior: [Float], posterior: [Float])? = nil) throws(VirtualPatientError) -> KrenningTruth {
        var gm = [Double](repeating: 0, count: rows * columns)
        for r in 0..<rows { for c in 0..<columns {
            gm[r * columns + c] = (Double(anterior[r * columns + c]) * Double(posterior[r * columns + columns - 1 - c])).squareRoot()
        } }
        let centres = lesions.map { l in
            ClinicalStudies.projectedPixel(Vector3(l.centerLPS[0], l.centerLPS[1], l.centerLPS[2]), angleDeg: 0, columns: columns, rows: rows,
                                           pixelMM: pixelMM, axialCentreMM: axialCentreMM)
        }
        func projected(_ name: String) throws(VirtualPatientError) -> Set<Int> {
            var fp = try footprint(patient, group: name, angleDeg: 0, columns: columns, rows: rows, pixelMM: pixelMM, axialCentreMM: axialCentreMM)
            // Close the gaps a scaled patient's voxel centres leave between pixels (≥ 5 of the 8 neighbours inside).
            for i in 0..<(rows * columns) where !fp.contains(i) {
                let r = i / columns, c = i % columns
                var k = 0
                for dr in -1...1 { for dc in -1...1 where (dr != 0 || dc != 0) && fp.contains((r + dr) * columns + c + dc) { k += 1 } }
                if k >= 5 { fp.insert(i) }
            }
            return fp
        }
        // The kidneys (receptor-bearing, 3–4 × the liver in In-111 pentetreotide images) lie behind the liver's lower
        // part and the spleen's: their pixels and the blur around them are no liver or spleen intensity (until
        // 2026-12-07 they were counted, +44 % on the liver of tuning patient 7102).
        let m = kidneyMarginPixels
        var kidneyBand = Set<Int>()
        for i in try projected("kidneys") { let r = i / columns, c = i % columns
            for dr in -m...m { for dc in -m...m where dr * dr + dc * dc <= m * m && r + dr >= 0 && r + dr < rows && c + dc >= 0 && c + dc < columns {
                kidneyBand.insert((r + dr) * columns + c + dc) } } }
        func organ(_ name: String, discMM: Double) throws(VirtualPatientError) -> (mean: Double, pixels: Int, overKidney: Int, outline: Double, disc: ReferenceDisc?) {
            let fp = try projected(name)
            var sum = 0.0, n = 0, overKidney = 0
            var allowed = Set<Int>()
            for i in fp {
                let r = i / columns, c = i % columns
                var interior = true
                for dr in -2...2 { for dc in -2...2 where !fp.contains((r + dr) * columns + c + dc) { interior = false } }
                guard interior else { continue }
                let nearLesion = zip(lesions, centres).contains { l, q in
                    hypot(Double(c) - q.column, Double(r) - q.row) <= l.diameterMM / 2 / pixelMM + 2
                }
                if nearLesion { continue }
                if kidneyBand.contains(i) { overKidney += 1; continue }
                sum += gm[i]; n += 1
                allowed.insert(i)
            }
            guard n > 0 else { throw VirtualPatientError("the \(name) has no interior pixels clear of the kidneys in the \(columns)×\(rows) view") }
            let outline = sum / Double(n)
            // The reference a reader measures: a disc where the organ is thickest (front to back), inside the region above.
            let thickness = try projectedThickness(patient, group: name, columns: columns, rows: rows, pixelMM: pixelMM, axialCentreMM: axialCentreMM)
            guard let disc = referenceDisc(thickness: thickness, allowed: allowed, columns: columns, rows: rows, pixelMM: pixelMM, diameterMM: discMM) else {
                return (outline, n, overKidney, outline, nil)
            }
            let offsets = discOffsets(radiusPixels: disc.radiusPixels)
            let ds = offsets.reduce(0.0) { $0 + gm[(disc.centre[1] + $1.0) * columns + disc.centre[0] + $1.1] }
            return (ds / Double(offsets.count), n, overKidney, outline, disc)
        }
        let liver = try organ("liver", discMM: liverReferenceDiameterMM), spleen = try organ("spleen", discMM: spleenReferenceDiameterMM)
        var out: [KrenningTruth.Lesion] = []
        for (l, q) in zip(lesions, centres) {
            let c0 = Int(q.column.rounded()), r0 = Int(q.row.rounded())
            var sum = 0.0, n = 0
            for r in (r0 - 1)...(r0 + 1) { for c in (c0 - 1)...(c0 + 1) where r >= 0 && c >= 0 && r < rows && c < columns { sum += gm[r * columns + c]; n += 1 } }
            guard n > 0 else { throw VirtualPatientError("lesion in \(l.region) projects outside the \(columns)×\(rows) view") }
            let i = sum / Double(n)
            let contrast = l.contrastAtAcquisition ?? l.contrast
            let rl = i / liver.mean, rs = i / spleen.mean
            var lesion = KrenningTruth.Lesion(region: l.region, diameterMM: l.diameterMM, contrast: contrast, pixel: [q.column, q.row], intensity: i,
                                              ratioToLiver: rl, ratioToSpleen: rs, grade: krenningGrade(contrast: contrast, ratioToLiver: rl, ratioToSpleen: rs))
            if let h = withoutExcess {
                let v = krenningVisibility(anterior: anterior, posterior: posterior, hostAnterior: h.anterior, hostPosterior: h.posterior,
                                           columns: columns, rows: rows, centre: q, radiusPixels: l.diameterMM / 2 / pixelMM)
                lesion.visible = v.snr >= roseVisibilityThreshold
                lesion.excessRatio = v.excessRatio
                lesion.excessSNR = v.snr
                if lesion.visible == false { lesion.grade = 0 }
            }
            out.append(lesion)
        }
        markOverlappingFoci(&out, pixelMM: pixelMM)
        func reference(_ name: String, _ o: (mean: Double, pixels: Int, overKidney: Int, outline: Double, disc: ReferenceDisc?), _ mm: Double) -> String {
            o.disc == nil ? "\(name) = NO \(Int(mm)) mm disc fits clear of the kidneys and lesions: mean over its whole-outline region described below (fallback)"
                          : "\(name) = mean over a \(Int(mm)) mm diameter disc"
        }
        var t = KrenningTruth(lesions: out, liverIntensity: liver.mean, spleenIntensity: spleen.mean, liverPixels: liver.pixels, spleenPixels: spleen.pixels,
                             liverPixelsOverKidney: liver.overKidney, spleenPixelsOverKidney: spleen.overKidney,
                             definition: "expected (noise-free) anterior and posterior photopeak counts, conjugate view √(A·P): lesion = mean of the 3×3 pixels at its projected centre; \(reference("liver", liver, liverReferenceDiameterMM)); \(reference("spleen", spleen, spleenReferenceDiameterMM)); each disc centred on the pixel where the organ's projected thickness (its label voxels along the anterior–posterior ray) averaged over the disc is largest, the whole disc inside the projected organ outline eroded by 2 pixels, clear of the lesions (radius + 2 px) and of the pixels within \(m) px of the projected kidneys (the reader's normal-liver reference: PERCIST's 3 cm VOI in the right lobe, Wahl et al. J Nucl Med 50:122S (2009), O, Lodge & Wahl Radiology 280:576 (2016); spleen 15 mm); liverOutlineIntensity / spleenOutlineIntensity = mean over that whole region (the definition before krenning16); grade 0 contrast ≤ 1\(withoutExcess == nil ? "" : " or the tumour's own excess not visible (image − image with the tumours at the host's concentration, summed over the projected disc: Rose SNR = excess ÷ √counts < \(roseVisibilityThreshold) on both views)"), 1 < 0.5 × liver, 2 ≤ liver, 3 > liver, 4 > spleen (Krenning 1993); tumours whose projected discs overlap (centre distance < sum of radii) are one planar focus graded once: focusGrade = the highest grade among them")
        t.liverOutlineIntensity = liver.outline; t.spleenOutlineIntensity = spleen.outline
        t.liverReference = liver.disc == nil ? "outline" : "disc"; t.spleenReference = spleen.disc == nil ? "outline" : "disc"
        t.liverDisc = liver.disc; t.spleenDisc = spleen.disc
        return t
    }

    /// Tumours whose projected discs overlap (centre distance below the sum of their radii, on the anterior pixel
    /// grid), directly or through another, are one focus in a planar view: a reader sees and grades one hot spot.
    /// Each member gets the others' indices (`overlapping`) and the focus' grade (`focusGrade`: the highest grade
    /// of the members). Decided 2026-12-08 (issue 18) after two kinds of misses: two grade-4 spine tumours 2 px apart
    /// seen as one focus, one of them scored as missed (fixed patient 7012, session 14); a grade-2 tumour 2 px from a
    /// grade-4 one graded 2 at its own centre though no reader can see it apart (tuning patient 7204).
    public static func markOverlappingFoci(_ lesions: inout [KrenningTruth.Lesion], pixelMM: Double) {
        let n = lesions.count
        var group = Array(0..<n)
        func root(_ k: Int) -> Int { var k = k; while group[k] != k { k = group[k] }; return k }
        for a in 0..<n { for b in (a + 1)..<n {
            let d = hypot(lesions[a].pixel[0] - lesions[b].pixel[0], lesions[a].pixel[1] - lesions[b].pixel[1])
            if d < (lesions[a].diameterMM + lesions[b].diameterMM) / 2 / pixelMM { group[root(b)] = root(a) }
        } }
        for k in 0..<n {
            let members = (0..<n).filter { root($0) == root(k) }
            guard members.count > 1 else { continue }
            lesions[k].overlapping = members.filter { $0 != k }
            lesions[k].focusGrade = members.map { lesions[$0].grade }.max()
        }
    }
}
