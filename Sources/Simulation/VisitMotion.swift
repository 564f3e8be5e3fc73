import Foundation
import Imaging

/// How a patient lies at a later visit of a serial study relative to the first visit: a rigid motion in the
/// convention of `Dosimetry.RigidTransform` (fixed = the first visit's patient coordinates, moving = this visit's):
/// the anatomy at first-visit point p lies at R·(p − c) + c + t in this visit, R = Rz·Ry·Rx of `rotationDeg`
/// (``EulerRotation/matrixZYX(degrees:)``, x applied first), c = `centerMM`, t = `translationMM`.
///
/// Written to `truth.json` as `visitMotion: {"rotationDeg": [x,y,z], "translationMM": [x,y,z], "centerMM": [x,y,z],
/// "convention": "…"}` (LPS, mm, degrees; positions in the patient frame the camera writes).
public struct VisitMotion: Sendable, Equatable, Codable {
    /// Rotations about x, y, z (degrees).
    public var rotationDeg: Vector3
    /// Translation (mm).
    public var translationMM: Vector3
    /// Centre of rotation (patient LPS, mm).
    public var centerMM: Vector3

    /// The convention, spelled out in the truth.
    public static let convention = "Dosimetry.RigidTransform: fixed = first visit's patient coordinates (LPS, mm), moving = this visit's; a first-visit point p maps to R(p - centerMM) + centerMM + translationMM, R = Rz·Ry·Rx of rotationDeg (degrees, x applied first)"

    /// Creates a motion.
    public init(rotationDeg: Vector3 = .zero, translationMM: Vector3 = .zero, centerMM: Vector3 = .zero) {
        self.rotationDeg = rotationDeg; self.translationMM = translationMM; self.centerMM = centerMM
    }

    /// The same motion as a ``Repositioning`` about the origin (translation t + c − R·c).
    public var repositioning: Repositioning {
        let r = Repositioning(rotationDeg: rotationDeg)
        return Repositioning(rotationDeg: rotationDeg, translationMM: translationMM + centerMM - r.rotated(centerMM))
    }

    /// Where the first-visit anatomy point `p` lies at this visit.
    public func apply(_ p: Vector3) -> Vector3 { repositioning.scannerPoint(ofAnatomy: p) }
    /// The first-visit point whose anatomy lies at `q` at this visit.
    public func inverse(_ q: Vector3) -> Vector3 { repositioning.anatomyPoint(atScanner: q) }

    /// The same motion expressed in a frame shifted by `offset` (positions + offset): the centre moves with it.
    public func translated(by offset: Vector3) -> VisitMotion {
        VisitMotion(rotationDeg: rotationDeg, translationMM: translationMM, centerMM: centerMM + offset)
    }

    /// A random repositioning for visit `visit` (1-based count of visits after the first) of the patient `seed`:
    /// each rotation uniform in ±`maxDeg`, each translation component uniform in ±`maxMM`, about `center`.
    public static func draw(seed: UInt64, visit: Int, maxDeg: Double, maxMM: Double, center: Vector3) -> VisitMotion {
        var g = SeededGenerator(seed: seed, stream: 0x7151_0000 &+ UInt64(visit))
        func u(_ a: Double) -> Double { a * (2 * g.uniform() - 1) }
        let r = Vector3(u(maxDeg), u(maxDeg), u(maxDeg))
        let t = Vector3(u(maxMM), u(maxMM), u(maxMM))
        return VisitMotion(rotationDeg: r, translationMM: t, centerMM: center)
    }

    /// Parses `MAXDEG:MAXMM[:CTFIELDMM]` of `--visit-motion`; the error names the value and what is allowed.
    public static func parseLimits(_ text: String) throws(VirtualPatientError) -> (maxDeg: Double, maxMM: Double, ctFieldMM: Double?) {
        let f = text.split(separator: ":", omittingEmptySubsequences: false).map { Double($0) }
        guard f.count == 2 || f.count == 3, let d = f[0], let m = f[1], f.count == 2 || f[2] != nil else {
            throw VirtualPatientError("--visit-motion \(text): expected MAXDEG:MAXMM[:CTFIELDMM], e.g. 5:10:300")
        }
        guard d.isFinite, d >= 0, d <= 30 else { throw VirtualPatientError("--visit-motion \(text): rotation \(d)° (allowed: 0–30)") }
        guard m.isFinite, m >= 0, m <= 200 else { throw VirtualPatientError("--visit-motion \(text): translation \(m) mm (allowed: 0–200)") }
        if f.count == 3, let c = f[2] {
            guard c.isFinite, c >= 20, c <= 2000 else { throw VirtualPatientError("--visit-motion \(text): CT field \(c) mm (allowed: 20–2000)") }
            return (d, m, c)
        }
        return (d, m, nil)
    }

    enum CodingKeys: String, CodingKey { case rotationDeg, translationMM, centerMM, convention }
    /// Decodes the arrays of the truth.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func v(_ k: CodingKeys) throws -> Vector3 {
            let a = try c.decode([Double].self, forKey: k)
            guard a.count == 3 else { throw DecodingError.dataCorruptedError(forKey: k, in: c, debugDescription: "\(k.rawValue): 3 numbers expected") }
            return Vector3(a[0], a[1], a[2])
        }
        self.init(rotationDeg: try v(.rotationDeg), translationMM: try v(.translationMM), centerMM: try v(.centerMM))
    }
    /// Encodes as arrays with the convention.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(rotationDeg.array, forKey: .rotationDeg)
        try c.encode(translationMM.array, forKey: .translationMM)
        try c.encode(centerMM.array, forKey: .centerMM)
        try c.encode(Self.convention, forKey: .convention)
    }
}
