import Foundation

/// The QC tests Scinti runs.
public enum QCTest: String, Sendable, Codable, CaseIterable {
    case uniformity, cor, resolution, sensitivity, mwsr, tomo, wholebody
}

/// What a QC image's header says about it (filled by the DICOM adapter; no DICOM types here).
public struct QCImageHeader: Sendable, Codable, Equatable {
    public var modality: String?
    /// Image Type values, e.g. ["ORIGINAL", "PRIMARY", "STATIC", "EMISSION"].
    public var imageType: [String]
    public var seriesDescription: String?
    public var studyDescription: String?
    public var protocolName: String?
    /// Collimator/Grid Name of each detector ("INTR" for intrinsic).
    public var collimators: [String]
    public var energyWindows: Int
    public init(modality: String?, imageType: [String], seriesDescription: String?, studyDescription: String?,
                protocolName: String?, collimators: [String], energyWindows: Int) {
        self.modality = modality; self.imageType = imageType; self.seriesDescription = seriesDescription
        self.studyDescription = studyDescription; self.protocolName = protocolName; self.collimators = collimators
        self.energyWindows = energyWindows
    }
}

/// Recognises QC acquisitions among arriving images, from the header only.
///
/// Rules (first match wins), on the series/study description and protocol name (case-insensitive, several
/// languages as seen in real files: "linjekilde", "kantmetoden", "uniformidad", "skannhastighet"):
/// - modality other than NM → not QC;
/// - WHOLE BODY with "scan speed"/"scanspeed"/"skannhastighet"/"qc" → `wholebody`;
/// - RECON TOMO with "jaszczak"/"iec"/"phantom"/"uniform" → `tomo`; with "line"/"linje"/"point"/"punkt" → `resolution`;
/// - TOMO with "cor"/"center of rotation"/"centre of rotation"/"point source" → `cor`;
/// - STATIC with several energy windows and "mwsr"/"registration"/"ga-67"/"ga67" → `mwsr`;
/// - STATIC with "sensitiv" → `sensitivity` (analysed only when the source activity is known);
/// - STATIC with "line"/"linje"/"bar" → `resolution`;
/// - STATIC with collimator "INTR" or "flood"/"unif" → `uniformity`.
/// "edge"/"kant" (edge-spread resolution) is recognised as QC but not analysed automatically: the edge method needs
/// an ROI on one edge (``Outcome/unsupported(_:)`` says so).
public enum QCRecognition {
    public enum Outcome: Sendable, Equatable {
        case test(QCTest)
        /// A QC image of a kind Scinti does not analyse (the reason says which).
        case unsupported(String)
        case notQC
    }

    public static func recognise(_ h: QCImageHeader) -> Outcome {
        guard (h.modality ?? "NM").uppercased() == "NM" else { return .notQC }
        let text = [h.seriesDescription, h.studyDescription, h.protocolName].compactMap { $0 }.joined(separator: " ").lowercased()
        let type = Set(h.imageType.map { $0.uppercased().trimmingCharacters(in: .whitespaces) })
        func has(_ words: [String]) -> Bool { words.contains { text.contains($0) } }
        let intrinsic = h.collimators.contains { $0.uppercased().trimmingCharacters(in: .whitespaces) == "INTR" }
        if type.contains("WHOLE BODY") {
            return has(["scan speed", "scanspeed", "skannhastighet", " qc", "qc ", "quality"]) ? .test(.wholebody) : .notQC
        }
        if type.contains("RECON TOMO") {
            if has(["jaszczak", "jaszack", "iec", "phantom", "fantom", "uniform"]) { return .test(.tomo) }
            if has(["line", "linje", "point", "punkt"]) { return .test(.resolution) }
            return .notQC
        }
        if type.contains("TOMO") {
            return has(["cor ", " cor", "center of rotation", "centre of rotation", "point source", "punktkilde"]) || text == "cor"
                ? .test(.cor) : .notQC
        }
        if type.contains("STATIC") || type.isEmpty {
            if has(["edge", "kant"]) {
                return .unsupported("edge images need an ROI on one edge: scinti qc resolution FILE --edge-roi COL,ROW,SIZE")
            }
            if h.energyWindows > 1 && has(["mwsr", "registration", "ga-67", "ga67", "multi-window", "multiple window"]) { return .test(.mwsr) }
            if has(["sensitiv"]) { return .test(.sensitivity) }
            if has(["line", "linje", "bar "]) { return .test(.resolution) }
            if intrinsic || has(["flood", "unif"]) { return .test(.uniformity) }
        }
        return .notQC
    }
}
