import CZlib
import Foundation
import Imaging
import Physics

/// Error of the virtual-patient layer (phantom data, tracer, organ, lesion or phase): one line naming the value
/// and what is allowed.
public struct VirtualPatientError: Error, Sendable, CustomStringConvertible {
    /// The message.
    public var description: String
    /// Creates an error.
    public init(_ message: String) { description = message }
}

/// The two ICRP Publication 110 adult reference voxel phantoms.
public enum ICRPPhantomKind: String, Sendable, Codable, CaseIterable {
    /// Adult male (254 × 127 × 222 voxels of 2.137 × 2.137 × 8.0 mm).
    case adultMale = "icrp-am"
    /// Adult female (299 × 137 × 348 voxels of 1.775 × 1.775 × 4.84 mm).
    case adultFemale = "icrp-af"

    /// File prefix in the phantom folder (`AM`, `AF`).
    public var prefix: String { self == .adultMale ? "AM" : "AF" }

    /// Parses `icrp-am`/`icrp-af` (also `am`, `af`); the error names the value and the allowed ones.
    public static func parse(_ text: String) throws(VirtualPatientError) -> ICRPPhantomKind {
        switch text.lowercased() {
        case "icrp-am", "am": return .adultMale
        case "icrp-af", "af": return .adultFemale
        default: throw VirtualPatientError("unknown phantom \(text) (allowed: icrp-am, icrp-af)")
        }
    }
}

/// An ICRP-110 adult reference voxel phantom (ICRP 2009, Ann. ICRP 39(2)), read in place from the OpenDose packaging
/// in `../shared/phantoms/icrp110/` (see its README): organ IDs (0 = air around the body, 1…141), each ID's
/// medium with density and elemental composition, voxel size.
///
/// Layout: `labels[x + nx·(y + ny·z)]`, x towards the patient's left, y posterior, z from the feet to the head: the
/// axes of patient LPS. ``geometry`` places the grid with its centre at (0, 0, 0).
public struct ICRPPhantom: Sendable {
    /// Which phantom.
    public var kind: ICRPPhantomKind
    /// Grid size (columns, rows, slices).
    public var size: GridSize
    /// Voxel size (mm).
    public var spacingMM: Vector3
    /// Organ ID of every voxel (IDs fit in a byte: 0…141).
    public var labels: [UInt8]
    /// Organ name of every ID (`organs.tsv`).
    public var organNames: [Int: String]
    /// Medium of every ID (index = ID, 0…255; nil where no ID is defined).
    public var media: [Medium?]
    /// The folder it was read from.
    public var folder: String

    /// The environment variable that overrides the folder (`SCINTI_ICRP110`).
    public static let folderVariable = "SCINTI_ICRP110"
    /// `$SCINTI_ICRP110`, else `../shared/phantoms/icrp110` (relative to the working directory, the repository root).
    public static var defaultFolder: String {
        ProcessInfo.processInfo.environment[folderVariable] ?? "../shared/phantoms/icrp110"
    }

    /// Grid geometry: axis-aligned LPS, centred on (0, 0, 0).
    public var geometry: ImageGeometry {
        Voxelizer.centredGrid(size: size, spacing: spacingMM)
    }

    /// Voxel volume (cm³ = mL).
    public var voxelVolumeML: Double { spacingMM.x * spacingMM.y * spacingMM.z / 1000 }

    /// Number of voxels of each ID (index = ID).
    public func voxelCounts() -> [Int] {
        var n = [Int](repeating: 0, count: 256)
        labels.withUnsafeBufferPointer { for v in $0 { n[Int(v)] &+= 1 } }
        return n
    }

    /// Mass (g) of a set of IDs: Σ voxels × voxel volume × the ID's medium density.
    public func massGrams(ids: Set<Int>) -> Double {
        let n = voxelCounts()
        return ids.reduce(0.0) { $0 + Double(n[$1]) * voxelVolumeML * (media[$1]?.densityGPerCm3 ?? 0) }
    }

    /// Volume (mL) of a set of IDs.
    public func volumeML(ids: Set<Int>) -> Double {
        let n = voxelCounts()
        return ids.reduce(0.0) { $0 + Double(n[$1]) * voxelVolumeML }
    }

    /// Reads a phantom from `folder` (default ``defaultFolder``).
    public static func load(_ kind: ICRPPhantomKind, folder: String = ICRPPhantom.defaultFolder) throws(VirtualPatientError) -> ICRPPhantom {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDir), isDir.boolValue else {
            throw VirtualPatientError("ICRP-110 phantom folder \(folder) not found (set \(folderVariable) or place the phantoms at ../shared/phantoms/icrp110)")
        }
        let p = kind.prefix
        guard let mhdName = (try? FileManager.default.contentsOfDirectory(atPath: folder))?.first(where: { $0.hasPrefix(p + "_") && $0.hasSuffix(".mhd") }) else {
            throw VirtualPatientError("\(folder): no \(p)_*.mhd header of the \(kind.rawValue) phantom")
        }
        let header = try readText("\(folder)/\(mhdName)")
        var fields: [String: String] = [:]
        for line in header.split(whereSeparator: \.isNewline) {
            let parts = line.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { fields[parts[0].trimmingCharacters(in: .whitespaces)] = parts[1].trimmingCharacters(in: .whitespaces) }
        }
        let dims = (fields["DimSize"] ?? "").split(separator: " ").compactMap { Int($0) }
        let sp = (fields["ElementSpacing"] ?? "").split(separator: " ").compactMap { Double($0) }
        guard dims.count == 3, dims.allSatisfy({ $0 > 0 && $0 < 4096 }), sp.count == 3, sp.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw VirtualPatientError("\(folder)/\(mhdName): DimSize/ElementSpacing \(fields["DimSize"] ?? "absent")/\(fields["ElementSpacing"] ?? "absent") must be 3 positive values")
        }
        guard fields["ElementType"] == "MET_USHORT", (fields["ElementByteOrderMSB"] ?? "False").lowercased() == "false" else {
            throw VirtualPatientError("\(folder)/\(mhdName): ElementType \(fields["ElementType"] ?? "absent") (allowed: MET_USHORT little endian)")
        }
        let size = GridSize(x: dims[0], y: dims[1], z: dims[2])
        let rawName = fields["ElementDataFile"] ?? ""
        let rawPath = "\(folder)/\(rawName)"
        let bytes: [UInt8]
        if let d = FileManager.default.contents(atPath: rawPath) {
            bytes = [UInt8](d)
        } else if let gz = FileManager.default.contents(atPath: rawPath + ".gz") {
            bytes = try gunzip(gz, expected: size.count * 2, name: rawPath + ".gz")
        } else {
            throw VirtualPatientError("\(rawPath)(.gz): not found (named by ElementDataFile in \(mhdName))")
        }
        guard bytes.count == size.count * 2 else {
            throw VirtualPatientError("\(rawPath): \(bytes.count) bytes, expected \(size.count * 2) for \(size) uint16 voxels")
        }
        var labels = [UInt8](repeating: 0, count: size.count)
        var bad = -1
        bytes.withUnsafeBufferPointer { b in
            for i in 0..<size.count {
                let v = Int(b[2 * i]) | Int(b[2 * i + 1]) << 8
                if v > 255 { bad = v } else { labels[i] = UInt8(v) }
            }
        }
        if bad >= 0 { throw VirtualPatientError("\(rawPath): organ ID \(bad) out of range (allowed: 0…141)") }
        let names = try readOrganNames("\(folder)/organs.tsv")
        let materials = try readGateMaterials("\(folder)/\(p)_GateMaterials.db")
        var media = [Medium?](repeating: nil, count: 256)
        for line in try readText("\(folder)/\(p)_LabelsToMaterials.txt").split(whereSeparator: \.isNewline) {
            let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard f.count >= 3, let a = Int(f[0]), let b = Int(f[1]), a >= 0, b <= 256, a < b else {
                throw VirtualPatientError("\(folder)/\(p)_LabelsToMaterials.txt: line '\(line)' (allowed: FIRST LAST MATERIAL, IDs 0…255)")
            }
            guard let m = materials[String(f[2])] else {
                throw VirtualPatientError("\(folder)/\(p)_LabelsToMaterials.txt: material \(f[2]) not in \(p)_GateMaterials.db")
            }
            for id in a..<b { media[id] = m }
        }
        return ICRPPhantom(kind: kind, size: size, spacingMM: Vector3(sp[0], sp[1], sp[2]), labels: labels,
                           organNames: names, media: media, folder: folder)
    }

    static func readText(_ path: String) throws(VirtualPatientError) -> String {
        guard let d = FileManager.default.contents(atPath: path), let s = String(data: d, encoding: .utf8) else {
            throw VirtualPatientError("\(path): not found or not UTF-8 text")
        }
        return s
    }

    static func readOrganNames(_ path: String) throws(VirtualPatientError) -> [Int: String] {
        var out: [Int: String] = [:]
        for line in try readText(path).split(whereSeparator: \.isNewline).dropFirst() {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false)
            if f.count >= 2, let id = Int(f[0]) { out[id] = String(f[1]) }
        }
        guard out.count >= 141 else { throw VirtualPatientError("\(path): \(out.count) organ IDs, expected 141") }
        return out
    }

    /// Parses the GATE material database (`Name: d=… g/cm3 ; n=…` then `+el: name=… ; f=…` lines).
    static func readGateMaterials(_ path: String) throws(VirtualPatientError) -> [String: Medium] {
        let text = try readText(path)
        var symbolOf: [String: Int] = [:]
        var massOf: [String: Double] = [:]
        var out: [String: Medium] = [:]
        var inMaterials = false
        var current: (name: String, density: Double, fractions: [Int: Double], byAtoms: Bool)? = nil
        func flush() throws(VirtualPatientError) {
            guard var c = current else { return }
            if c.byAtoms { let sum = c.fractions.values.reduce(0, +); c.fractions = c.fractions.mapValues { $0 / sum } }
            do { out[c.name] = try Medium(name: c.name, densityGPerCm3: c.density, massFractions: c.fractions) } catch {
                throw VirtualPatientError("\(path): \(error)")
            }
            current = nil
        }
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line == "[Materials]" { inMaterials = true; continue }
            if line.isEmpty { continue }
            if !inMaterials {
                // "Hydrogen:   S= H  ; Z=  1. ; A=  1.01  g/mole"
                let parts = line.split(separator: ":", maxSplits: 1)
                if parts.count == 2, let zr = parts[1].range(of: "Z="),
                   let z = Double(parts[1][zr.upperBound...].split(separator: ";")[0].trimmingCharacters(in: .whitespaces)) {
                    symbolOf[String(parts[0])] = Int(z)
                    if let ar = parts[1].range(of: "A="),
                       let a = Double(parts[1][ar.upperBound...].split(whereSeparator: { $0 == " " || $0 == ";" }).first ?? "") {
                        massOf[String(parts[0])] = a
                    }
                }
                continue
            }
            if line.hasPrefix("+el:") {
                var name = "", f = -1.0, atoms = -1.0
                for item in line.dropFirst(4).split(separator: ";") {
                    let kv = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                    if kv.count == 2 && kv[0] == "name" { name = kv[1] }
                    if kv.count == 2 && kv[0] == "f" { f = Double(kv[1]) ?? -1 }
                    if kv.count == 2 && kv[0] == "n" { atoms = Double(kv[1]) ?? -1 }
                }
                // GATE also gives compositions by number of atoms (n=): mass weight n × A, normalised at the end.
                if f < 0, atoms > 0, let a = massOf[name] { f = atoms * a; current?.byAtoms = true }
                guard current != nil, let z = symbolOf[name], f >= 0 else {
                    throw VirtualPatientError("\(path): element line '\(line)' (element unknown or fraction missing)")
                }
                current!.fractions[z, default: 0] += f
            } else if let colon = line.firstIndex(of: ":"), let dr = line.range(of: "d=") {
                try flush()
                let dText = line[dr.upperBound...].split(whereSeparator: { $0 == " " || $0 == ";" })[0]
                var d = Double(dText) ?? -1
                if line[dr.upperBound...].contains("mg/cm3") { d /= 1000 }
                current = (String(line[..<colon]), d, [:], false)
            }
        }
        try flush()
        return out
    }

    /// Inflates a gzip file (zlib with gzip header detection), refusing more than `expected` bytes.
    static func gunzip(_ data: Data, expected: Int, name: String) throws(VirtualPatientError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: expected + 1)
        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw VirtualPatientError("\(name): zlib initialisation failed")
        }
        defer { inflateEnd(&stream) }
        var rc: Int32 = Z_OK
        var produced = 0
        data.withUnsafeBytes { (src: UnsafeRawBufferPointer) in
            out.withUnsafeMutableBufferPointer { dst in
                stream.next_in = UnsafeMutablePointer(mutating: src.bindMemory(to: UInt8.self).baseAddress)
                stream.avail_in = UInt32(src.count)
                stream.next_out = dst.baseAddress
                stream.avail_out = UInt32(dst.count)
                rc = inflate(&stream, Z_FINISH)
                produced = dst.count - Int(stream.avail_out)
            }
        }
        guard rc == Z_STREAM_END, produced == expected else {
            throw VirtualPatientError("\(name): gzip data gives \(produced) bytes (zlib status \(rc)), expected \(expected)")
        }
        out.removeLast()
        return out
    }
}
