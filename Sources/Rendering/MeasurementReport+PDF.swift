import Foundation
import Imaging

extension MeasurementReport {
    /// Lays the report out as a PDF: patient/study header, title, the result table, figures (rendered images with
    /// their regions) and charts, the measurements per region/VOI with units, findings, quality statements, conventions,
    /// warnings, the administration (dose reports), the impression and sign-off, and the software version.
    ///
    /// - Parameters:
    ///   - header: (label, value) rows of the patient and study.
    ///   - figures: rendered result images (with regions drawn), placed side by side.
    ///   - charts: curves.
    public func pdf(header: [(String, String)], figures: [Raster] = [], charts: [SVGPlot] = []) throws(RenderingError) -> [UInt8] {
        var doc = PDFDocument(title: title)
        let left = 48.0, right = PDFDocument.pageWidth - 48, bottom = PDFDocument.pageHeight - 56
        var top = 56.0
        func ensure(_ h: Double) {
            if top + h > bottom { doc.newPage(); top = 56 }
        }
        func heading(_ s: String) {
            ensure(30); top += 10
            doc.text(s, x: left, top: top, size: 12, bold: true)
            doc.line(left, top + 3, right, top + 3, width: 0.4, colour: "#888888")
            top += 16
        }
        func paragraph(_ s: String, size: Double = 9, indent: Double = 0, colour: String = "#000000") {
            for l in PDFDocument.wrap(s, width: right - left - indent, size: size) {
                ensure(size + 3); doc.text(l, x: left + indent, top: top, size: size, colour: colour); top += size + 3
            }
        }
        func table(_ rows: [[String]], widths: [Double]) {
            for (k, row) in rows.enumerated() {
                let cells = row.prefix(widths.count).enumerated().map { i, c in PDFDocument.wrap(c, width: widths[i] - 6, size: 9) }
                let h = Double(cells.map(\.count).max() ?? 1) * 12 + 3
                ensure(h)
                if k % 2 == 0 { doc.fill(x: left, top: top - 9, width: right - left, height: h, colour: "#f0f3f7") }
                var x = left + 3
                for (i, lines) in cells.enumerated() {
                    for (j, l) in lines.enumerated() { doc.text(l, x: x, top: top + 12 * Double(j), size: 9) }
                    x += widths[i]
                }
                top += h
            }
        }
        // Header.
        doc.text("Scinti result report", x: left, top: top, size: 9, colour: "#555555")
        doc.text(signOff == nil ? "preliminary (not signed)" : "signed", x: right - 110, top: top, size: 9, bold: true,
                 colour: signOff == nil ? "#b03a2e" : "#1e8449")
        top += 20
        doc.text(title, x: left, top: top, size: 16, bold: true)
        top += 18
        table(header.map { [$0.0, $0.1] }, widths: [140, right - left - 140])
        if predecessor != nil { paragraph("Amendment: this report replaces SR \(predecessor!.sopInstanceUID).", colour: "#b03a2e") }
        // Results.
        if !summary.isEmpty {
            heading("Results")
            table(summary, widths: [170, right - left - 170])
        }
        if !figures.isEmpty {
            heading("Images")
            let gap = 8.0
            let each = (right - left - gap * Double(figures.count - 1)) / Double(figures.count)
            let h = figures.map { each * Double($0.height) / Double($0.width) }.max() ?? 0
            let scale = min(1, 300 / max(h, 1))
            ensure(h * scale)
            var x = left
            for f in figures {
                try doc.image(f, x: x, top: top, width: each * scale, height: each * scale * Double(f.height) / Double(f.width))
                x += each * scale + gap
            }
            top += h * scale + 6
        }
        for c in charts {
            ensure(190)
            doc.chart(c, x: left, top: top, width: right - left, height: 180)
            top += 190
        }
        if !groups.isEmpty {
            heading("Measurements per region")
            var rows: [[String]] = []
            for g in groups {
                for m in g.measurements {
                    rows.append([g.trackingIdentifier, m.concept.meaning, "\(Self.format(m.value)) \(m.unit)"])
                }
            }
            table(rows, widths: [130, 230, right - left - 360])
        }
        if let a = administration {
            heading("Administration and absorbed doses")
            var rows: [[String]] = [["radionuclide", a.radionuclide]]
            if let v = a.activityMBq { rows.append(["administered activity", "\(Self.format(v)) MBq"]) }
            if let t = a.dateTime { rows.append(["administration time", t]) }
            if let r = a.route { rows.append(["route", r]) }
            for o in a.organDoses { rows.append(["mean absorbed dose, \(o.name)", "\(Self.format(o.meanGy)) Gy"]) }
            table(rows, widths: [200, right - left - 200])
        }
        if !findings.isEmpty { heading("Findings"); for f in findings { paragraph("• " + f) } }
        if !quality.isEmpty { heading("Quality"); for q in quality { paragraph("• " + q) } }
        if !conventions.isEmpty {
            heading("Method and conventions")
            for (k, v) in conventions.sorted(by: { $0.key < $1.key }) { paragraph("\(k): \(v)") }
        }
        if !warnings.isEmpty { heading("Warnings"); for w in warnings { paragraph("• " + w, colour: "#b03a2e") } }
        if let i = impression { heading("Impression"); paragraph(i, size: 10) }
        if let s = signOff { heading("Sign-off"); paragraph("Signed by \(s.name)\(s.organisation.isEmpty ? "" : ", \(s.organisation)") at \(s.dateTime)") }
        ensure(30); top += 12
        paragraph("\(software) · result \(resultID) · values as computed by the software; conventions above apply.", size: 7.5, colour: "#555555")
        return try doc.data()
    }

    /// A number with up to 4 significant decimals, as in the tables.
    public static func format(_ v: Double) -> String {
        if v == v.rounded() && abs(v) < 1e9 { return String(Int(v)) }
        let s = String(format: abs(v) >= 100 ? "%.1f" : abs(v) >= 1 ? "%.3f" : "%.4g", v)
        return s
    }
}
