import DICOM
import Foundation

/// Which de-identification is applied: the Basic Application Level Confidentiality Profile of PS3.15 Annex E and the
/// options chosen.
public struct DeidentificationProfile: Sendable, Equatable {
    /// The options on top of the Basic Profile.
    public var options: Set<DeidentificationOption>

    /// The Basic Profile with options.
    public init(options: Set<DeidentificationOption> = []) { self.options = options }

    /// The Basic Profile alone.
    public static let basic = DeidentificationProfile()

    /// The profile for quantitative research export: Modified Dates (one offset per patient), Retain Patient
    /// Characteristics (weight, height, sex, age for SUV and dosimetry), Retain Safe Private (vendor SUV and decay
    /// factors), Clean Descriptors.
    public static let quantitative = DeidentificationProfile(options: [.retainLongitudinalModifiedDates, .retainPatientCharacteristics,
                                                                       .retainSafePrivate, .cleanDescriptors])

    /// Parses `basic`, `quantitative`, or a comma-separated list of option names (`modified-dates`,
    /// `retain-patient-characteristics`, `retain-device`, `retain-institution`, `retain-uids`, `retain-safe-private`,
    /// `clean-descriptors`, `full-dates`, `clean-structured-content`, `clean-graphics`, optionally after `basic,`).
    public init(parsing text: String) throws(DeidentificationError) {
        if text == "quantitative" { self = .quantitative; return }
        var options: Set<DeidentificationOption> = []
        for word in text.split(separator: ",").map({ String($0).trimmingCharacters(in: .whitespaces) }) where word != "basic" {
            guard let o = DeidentificationProfile.optionNames[word] else {
                throw DeidentificationError(.invalidRequest, "unknown profile option '\(word)'; allowed: basic, quantitative, "
                                            + DeidentificationProfile.optionNames.keys.sorted().joined(separator: ", "))
            }
            options.insert(o)
        }
        if options.contains(.retainLongitudinalFullDates) && options.contains(.retainLongitudinalModifiedDates) {
            throw DeidentificationError(.invalidRequest, "full-dates and modified-dates exclude each other")
        }
        self.options = options
    }

    /// The option names of the command line and the server route.
    public static let optionNames: [String: DeidentificationOption] = [
        "modified-dates": .retainLongitudinalModifiedDates, "full-dates": .retainLongitudinalFullDates,
        "retain-patient-characteristics": .retainPatientCharacteristics, "retain-device": .retainDeviceIdentity,
        "retain-institution": .retainInstitutionIdentity, "retain-uids": .retainUIDs, "retain-safe-private": .retainSafePrivate,
        "clean-descriptors": .cleanDescriptors, "clean-structured-content": .cleanStructuredContent, "clean-graphics": .cleanGraphics,
    ]
}

/// A de-identification error: what and where.
public struct DeidentificationError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The kind of problem.
    public enum Kind: String, Sendable {
        /// The object is not exported: its pixels may show identity and Scinti does not clean pixels.
        case notExported
        /// The input is not a DICOM object that can be de-identified.
        case invalidInput
        /// A profile name, option or secret is wrong.
        case invalidRequest
        /// The pseudonym map cannot be read (wrong secret, altered or not a map).
        case mapping
    }
    /// The kind.
    public var kind: Kind
    /// The file concerned, when there is one.
    public var file: String?
    /// What happened and what is allowed.
    public var message: String

    /// Creates an error.
    public init(_ kind: Kind, file: String? = nil, _ message: String) { self.kind = kind; self.file = file; self.message = message }

    public var description: String { (file.map { "\($0): " } ?? "") + message }
}

/// The result of de-identifying one object: the file to write and what the pseudonym map must remember.
public struct DeidentifiedObject: Sendable {
    /// The de-identified file (write it with ``DICOM/DICOMWriter``).
    public var file: DICOMFile
    /// The patient of the object: original identity and pseudonym.
    public var patient: PseudonymMap.Patient
    /// Every UID replaced in the object, original → new.
    public var uids: [String: String]
}

/// Applies PS3.15 Annex E Table E.1-1 to DICOM objects with a secret, so that every file of one export (and of later
/// exports with the same secret) agrees: the same patient gets the same pseudonym and the same date offset, the same
/// original UID the same new UID wherever it occurs (SOP, series, study, frame of reference and every reference inside
/// sequences). Deterministic: the same input, profile and secret give the same bytes.
public struct Deidentifier: Sendable {
    /// The profile applied.
    public let profile: DeidentificationProfile
    let secret: [UInt8]

    /// Creates a de-identifier. The secret keys every hash (pseudonyms, date offsets, UIDs); keep it with the site.
    public init(profile: DeidentificationProfile, secret: [UInt8]) throws(DeidentificationError) {
        guard secret.count >= 16 else {
            throw DeidentificationError(.invalidRequest, "the secret has \(secret.count) bytes; at least 16 are needed")
        }
        self.profile = profile; self.secret = secret
    }

    var options: Set<DeidentificationOption> { profile.options }

    // MARK: Keyed values

    /// The pseudonym of a patient: `ANON-` and 12 hex digits of HMAC-SHA-256(secret, patient ID).
    public func pseudonym(patientID: String) -> String {
        "ANON-" + Keyed.hmac(key: secret, label: "patient", patientID).prefix(6).map { hex2($0) }.joined().uppercased()
    }

    /// Days every date of a patient moves (Modified Dates): between 365 and 3651 days into the past, from
    /// HMAC-SHA-256(secret, patient ID); the same for every visit and series of the patient.
    public func dateOffsetDays(patientID: String) -> Int {
        let h = Keyed.hmac(key: secret, label: "date-offset", patientID)
        let v = h.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return -(365 + Int(v % 3287))
    }

    /// The new UID for an original: `2.25.` and the decimal value of a UUID (RFC 9562 version 8) made from
    /// HMAC-SHA-256(secret, UID), so that it is a valid UUID-derived UID (PS3.5 B.2) and the same everywhere.
    public func remappedUID(_ uid: String) -> String {
        var b = Array(Keyed.hmac(key: secret, label: "uid", uid).prefix(16))
        b[6] = (b[6] & 0x0F) | 0x80 // version 8
        b[8] = (b[8] & 0x3F) | 0x80 // variant 10
        return "2.25." + decimal128(b)
    }

    /// The path of an archive instance in an export: remapped series and SOP Instance UIDs (the originals with
    /// Retain UIDs), so that no original UID appears in a path.
    public func exportPath(seriesUID: String, sopInstanceUID: String) -> String {
        let keep = options.contains(.retainUIDs)
        return (keep ? seriesUID : remappedUID(seriesUID)) + "/" + (keep ? sopInstanceUID : remappedUID(sopInstanceUID)) + ".dcm"
    }

    // MARK: Objects

    /// Whether an object must not be exported because identity may be burned into its pixels (Burned In Annotation
    /// YES, secondary captures, screen captures): Scinti does not clean pixel data, so such objects are refused.
    public static func pixelRefusal(_ ds: Dataset) -> String? {
        if ds.string(Tag(0x0028, 0x0301))?.uppercased() == "YES" { return "Burned In Annotation is YES" }
        let sop = ds.string(.sopClassUID) ?? ""
        if sop.hasPrefix("1.2.840.10008.5.1.4.1.1.7") { return "a secondary capture (\(UIDDictionary.name(sop)))" }
        let imageType = ds.strings(.imageType).map { $0.uppercased() }
        if imageType.contains("SCREEN") || imageType.contains("RESULT") {
            return "a result screen (Image Type \(imageType.joined(separator: "\\")))"
        }
        if ds.string(Tag(0x0008, 0x0064)) == "WSD" { return "a workstation screen capture (Conversion Type WSD)" }
        return nil
    }

    /// De-identifies one object. Throws `.notExported` for objects whose pixels may show identity.
    public func deidentify(_ input: DICOMFile) throws(DeidentificationError) -> DeidentifiedObject {
        let ds = input.dataset
        if let reason = Deidentifier.pixelRefusal(ds) {
            throw DeidentificationError(.notExported, file: input.source,
                                        "not exported: \(reason); Scinti does not clean pixel data (Clean Pixel Data Option not offered)")
        }
        let (out0, patient, uids) = deidentify(dataset: ds, patientID: ds.string(.patientID) ?? "")
        var out = out0
        addMethodAttributes(&out)
        var file = DICOMFile(dataset: out, transferSyntax: input.transferSyntax, source: input.source)
        file.meta.set(.mediaStorageSOPClassUID, .UI, ds.string(.sopClassUID) ?? input.meta.string(.mediaStorageSOPClassUID) ?? "")
        if let sop = out.string(.sopInstanceUID) { file.meta.set(.mediaStorageSOPInstanceUID, .UI, sop) }
        return DeidentifiedObject(file: file, patient: patient, uids: uids)
    }

    /// The table applied to one data set (an object, or a DICOMDIR record) of the patient `patientID`.
    /// `identifyingWords`: words to scrub from descriptors besides the data set's own (a DICOMDIR's records share them).
    func deidentify(dataset ds: Dataset, patientID: String,
                    identifyingWords: Set<String> = []) -> (Dataset, PseudonymMap.Patient, [String: String]) {
        var run = Run(deid: self, offsetDays: options.contains(.retainLongitudinalModifiedDates) ? dateOffsetDays(patientID: patientID) : 0,
                      pseudonym: pseudonym(patientID: patientID))
        run.collectIdentifyingWords(ds)
        run.identifyingWords.formUnion(identifyingWords)
        let out = run.clean(ds, mode: .normal)
        let patient = PseudonymMap.Patient(patientID: patientID, patientName: ds.string(.patientName) ?? "",
                                           birthDate: ds.string(Tag(0x0010, 0x0030)) ?? "", pseudonym: run.pseudonym,
                                           dateOffsetDays: options.contains(.retainLongitudinalModifiedDates) ? run.offsetDays : nil)
        return (out, patient, run.uids)
    }

    /// De-identification Method, its Code Sequence, Patient Identity Removed and Longitudinal Temporal Information
    /// Modified (PS3.15 E.1.1, PS3.3 C.7.1.1).
    func addMethodAttributes(_ ds: inout Dataset) {
        ds.set(Tag(0x0012, 0x0062), .CS, "YES")
        let chosen = options.sorted()
        var methods = ["PS3.15 \(ConfidentialityProfileTable.edition) E.1-1 Basic Profile (Scinti)"]
        methods += chosen.map { $0.meaning }
        ds.set(Tag(0x0012, 0x0063), .LO, strings: methods.map { String($0.prefix(64)) })
        var items: [Dataset] = []
        for (code, meaning) in [(basicProfileCode, "Basic Application Confidentiality Profile")] + chosen.map({ ($0.code, $0.meaning) }) {
            var item = Dataset()
            item.set(Tag(0x0008, 0x0100), .SH, code)
            item.set(Tag(0x0008, 0x0102), .SH, "DCM")
            item.set(Tag(0x0008, 0x0104), .LO, meaning)
            items.append(item)
        }
        ds.set(Tag(0x0012, 0x0064), sequence: items)
        let temporal = options.contains(.retainLongitudinalModifiedDates) ? "MODIFIED"
            : options.contains(.retainLongitudinalFullDates) ? "UNMODIFIED" : "REMOVED"
        ds.set(Tag(0x0028, 0x0303), .CS, temporal)
    }
}

/// Two lower-case hex digits.
func hex2(_ b: UInt8) -> String {
    let d = Array("0123456789abcdef")
    return String([d[Int(b >> 4)], d[Int(b & 15)]])
}

/// The decimal digits of a 128-bit big-endian unsigned integer.
func decimal128(_ bytes: [UInt8]) -> String {
    var words = bytes.map { UInt32($0) }
    var digits: [Character] = []
    while words.contains(where: { $0 != 0 }) {
        var rem: UInt32 = 0
        for i in words.indices {
            let cur = rem << 8 | words[i]
            words[i] = cur / 10; rem = cur % 10
        }
        digits.append(Character(String(rem)))
    }
    return digits.isEmpty ? "0" : String(digits.reversed())
}
