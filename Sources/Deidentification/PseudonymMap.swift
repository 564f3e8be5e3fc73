import Foundation

/// What a site needs to re-identify an export: each patient's original identity and pseudonym (and date offset), and
/// every UID replaced. Kept by the sender, never exported: written encrypted with the secret.
///
/// File format: the 18 ASCII bytes `SCINTI-DEID-MAP-1\n`, a 16-byte salt, a 12-byte nonce, then the JSON of the map
/// sealed with AES-256-GCM (16-byte tag at the end; the header is authenticated data) under the key
/// PBKDF2-HMAC-SHA-256(secret, salt, 200 000 iterations, 32 bytes). Any AES-GCM implementation opens it.
public struct PseudonymMap: Sendable, Codable, Equatable {
    /// One patient.
    public struct Patient: Sendable, Codable, Equatable {
        /// Original Patient ID.
        public var patientID: String
        /// Original Patient's Name.
        public var patientName: String
        /// Original Patient's Birth Date.
        public var birthDate: String
        /// The pseudonym written as Patient's Name and Patient ID.
        public var pseudonym: String
        /// Days added to every date (Modified Dates), nil when dates were not modified.
        public var dateOffsetDays: Int?
    }

    /// Patients by pseudonym.
    public var patients: [String: Patient] = [:]
    /// UIDs, original → new.
    public var uids: [String: String] = [:]

    /// An empty map.
    public init() {}

    /// Adds what one de-identified object replaced.
    public mutating func record(_ object: DeidentifiedObject) {
        patients[object.patient.pseudonym] = object.patient
        uids.merge(object.uids) { a, _ in a }
    }

    /// Adds another map's entries.
    public mutating func merge(_ other: PseudonymMap) {
        patients.merge(other.patients) { a, _ in a }
        uids.merge(other.uids) { a, _ in a }
    }

    static let magic = Array("SCINTI-DEID-MAP-1\n".utf8)
    static let iterations = 200_000

    /// The encrypted file bytes (a fresh salt and nonce each time).
    public func sealed(secret: [UInt8]) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let json = Array((try? encoder.encode(self)) ?? Data("{}".utf8))
        let salt = Keyed.random(16), nonce = Keyed.random(12)
        let key = PseudonymMap.pbkdf2Key(secret: secret, salt: salt)
        return PseudonymMap.magic + salt + nonce + Keyed.sealAESGCM(key: key, nonce: nonce, plaintext: json, aad: PseudonymMap.magic)
    }

    /// Opens an encrypted map; `.mapping` error when the secret is wrong or the file was altered.
    public static func open(_ bytes: [UInt8], secret: [UInt8], file: String? = nil) throws(DeidentificationError) -> PseudonymMap {
        let m = magic.count
        guard bytes.count >= m + 16 + 12 + 16, Array(bytes.prefix(m)) == magic else {
            throw DeidentificationError(.mapping, file: file, "not a Scinti pseudonym map (header SCINTI-DEID-MAP-1 expected)")
        }
        let salt = Array(bytes[m..<m + 16]), nonce = Array(bytes[m + 16..<m + 28])
        let key = pbkdf2Key(secret: secret, salt: salt)
        guard let json = Keyed.openAESGCM(key: key, nonce: nonce, sealed: Array(bytes[(m + 28)...]), aad: magic) else {
            throw DeidentificationError(.mapping, file: file, "the pseudonym map does not open with this secret (wrong secret or altered file)")
        }
        do { return try JSONDecoder().decode(PseudonymMap.self, from: Data(json)) } catch {
            throw DeidentificationError(.mapping, file: file, "the pseudonym map's content is not valid: \(error)")
        }
    }

    static func pbkdf2Key(secret: [UInt8], salt: [UInt8]) -> [UInt8] {
        Keyed.pbkdf2(secret: secret, salt: salt, iterations: iterations)
    }
}
