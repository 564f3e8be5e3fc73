import Foundation

/// Paths into the shared corpus (`../shared/corpus` relative to the repository root).
enum Corpus {
    static let root: String = {
        let here = URL(fileURLWithPath: #filePath)  // <repo>/Tests/DICOMImagingTests/Corpus.swift
        return here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("../shared/corpus").standardized.path
    }()
    static func path(_ rel: String) -> String { root + "/" + rel }
    static func exists(_ rel: String) -> Bool { FileManager.default.fileExists(atPath: path(rel)) }

    static let geNM = "nm/GE_D670_Lu177_TOMO_bed2_projections.dcm"
    static let geCT = "ct/GE_D670_CTAC"
    static let pet = "pt/ACRIN_FLT_PT_slice_a.dcm"
    static let seg = "other/liver_seg.dcm"
    static let dose = "other/rtdose.dcm"
}

import DICOM
/// `Tag` means the DICOM tag in these tests (swift-testing also declares one).
typealias Tag = DICOM.Tag
