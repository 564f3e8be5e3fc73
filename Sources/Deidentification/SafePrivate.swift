import DICOM
import Foundation

/// The allow-list of Retain Safe Private (PS3.15 E.3.10): private elements that quantitation needs and that hold no
/// identity. Every other private element is removed, also under that option. Date-times in the list are moved with
/// Modified Dates, kept with Full Dates and removed otherwise.
public enum SafePrivate {
    /// One allowed private element: creator, group, element within the block, VR, and why it is kept.
    public struct Entry: Sendable {
        public let creator: String
        public let group: UInt16
        public let element: UInt8
        public let vr: VR
        public let meaning: String
    }

    /// The allowed elements.
    public static let entries: [Entry] = [
        // Philips PET: counts to SUV and to Bq/mL (read by `scinti pet suv`).
        Entry(creator: "Philips PET Private Group", group: 0x7053, element: 0x00, vr: .DS, meaning: "SUV Scale Factor"),
        Entry(creator: "Philips PET Private Group", group: 0x7053, element: 0x09, vr: .DS, meaning: "Activity Concentration Scale Factor"),
        // GE PET decay and dose fields (GEMS_PETD_01).
        Entry(creator: "GEMS_PETD_01", group: 0x0009, element: 0x0D, vr: .DT, meaning: "PET scan_datetime (decay reference)"),
        Entry(creator: "GEMS_PETD_01", group: 0x0009, element: 0x38, vr: .FL, meaning: "PET tracer_activity"),
        Entry(creator: "GEMS_PETD_01", group: 0x0009, element: 0x39, vr: .DT, meaning: "PET meas_datetime"),
        Entry(creator: "GEMS_PETD_01", group: 0x0009, element: 0x3B, vr: .DT, meaning: "PET admin_datetime"),
        Entry(creator: "GEMS_PETD_01", group: 0x0009, element: 0x3C, vr: .FL, meaning: "PET post_inj_activity"),
        Entry(creator: "GEMS_PETD_01", group: 0x0009, element: 0x3D, vr: .DT, meaning: "PET post_inj_datetime"),
        Entry(creator: "GEMS_PETD_01", group: 0x0009, element: 0x3F, vr: .FL, meaning: "PET half_life"),
        // Siemens NM timing.
        Entry(creator: "SIEMENS MED NM", group: 0x0019, element: 0x4C, vr: .FL, meaning: "Acquisition time per window (ms)"),
    ]

    /// The entry for a private element reserved by `creator`, or nil.
    public static func entry(creator: String, tag: Tag) -> Entry? {
        let c = creator.trimmingCharacters(in: .whitespaces)
        return entries.first { $0.creator == c && $0.group == tag.group && $0.element == UInt8(tag.element & 0xFF) }
    }
}
