import Dosimetry
import Foundation
import Imaging
import Physics
import Simulation

/// `scinti dose phantom`: S values (mGy/(MBq·s)) from one source organ of an ICRP-110 adult phantom to every organ
/// ID, by the Monte Carlo engine (``Dosimetry/MonteCarloDose``), activity uniform per mass in the source.
public enum PhantomSValueJob {
    /// One target organ ID.
    public struct Target: Codable, Sendable {
        public var id: Int
        /// As in `organs.tsv`.
        public var name: String
        public var massG: Double
        /// mGy/(MBq·s).
        public var sValue: Double
        /// k = 1, from the spread of the batches.
        public var relativeUncertainty: Double
    }

    /// The JSON result.
    public struct Report: Codable, Sendable {
        public var phantom: String
        public var phantomSource: String
        public var source: String
        public var sourceIDs: [Int]
        public var sourceMassG: Double
        public var isotope: String
        public var decays: Int
        public var seed: UInt64
        public var emissionData: String
        public var crossSections: String
        public var method: String
        public var targets: [Target]
        public var emittedMeVPerDecay: Double
        public var escapedMeVPerDecay: Double
        public var seconds: Double
        public var threads: Int
        public var decaysPerSecondPerThread: Double
        public var units: [String: String]
        public var conventions: [String: String]
        public var warnings: [String]
    }

    /// Parses a source: a named group (`liver`, `kidney-left`…, ``Simulation/OrganGroup``) or a comma-separated ID list.
    public static func sourceIDs(_ text: String) throws -> (name: String, ids: Set<Int>) {
        let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        if !parts.isEmpty, parts.allSatisfy({ Int($0) != nil }) {
            let ids = Set(parts.compactMap { Int($0) })
            guard ids.allSatisfy({ (1...141).contains($0) }) else { throw WorkflowError("--source \(text): organ IDs must be 1…141") }
            return (text, ids)
        }
        do { let g = try OrganGroup.named(text); return (g.name, g.ids) } catch { throw WorkflowError("--source \(text): \(error)") }
    }

    /// The Monte Carlo world of a phantom: each ID's medium and density.
    public static func geometry(_ p: ICRPPhantom) throws -> MonteCarloGeometry {
        var media: [Medium] = [], index = [UInt8](repeating: 0, count: 256), dens = [Float](repeating: 0, count: 256)
        let air = try? Medium(name: "Air", densityGPerCm3: 0.0012, massFractions: [6: 0.000124, 7: 0.755268, 8: 0.231781, 18: 0.012827])
        for id in 0..<256 {
            guard let m = p.media[id] ?? (id == 0 ? air : nil) else { continue }
            if let k = media.firstIndex(of: m) { index[id] = UInt8(k) } else {
                guard media.count < 255 else { throw WorkflowError("more than 255 media in \(p.kind.rawValue)") }
                media.append(m); index[id] = UInt8(media.count - 1)
            }
            dens[id] = Float(m.densityGPerCm3)
        }
        do {
            return try MonteCarloGeometry(size: p.size, voxelMM: p.spacingMM, mediumIndex: p.labels.map { index[Int($0)] },
                                          density: p.labels.map { dens[Int($0)] }, media: media)
        } catch { throw WorkflowError("\(p.kind.rawValue): \(error)") }
    }

    /// Runs the S-value calculation.
    public static func run(phantom kind: ICRPPhantomKind, source: String, isotope: String, decays: Int, seed: UInt64 = 1,
                           folder: String = ICRPPhantom.defaultFolder, threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws -> Report {
        guard let spectrum = EmissionSpectrum.named(isotope) else {
            throw WorkflowError("--isotope \(isotope): no ICRP-107 spectrum (have \(EmissionSpectrum.names.joined(separator: ", ")))")
        }
        let (name, ids) = try sourceIDs(source)
        let p: ICRPPhantom
        do { p = try ICRPPhantom.load(kind, folder: folder) } catch { throw WorkflowError("\(error)") }
        let g = try geometry(p)
        // Uniform per mass: weight = voxel density.
        var weights = [Float](repeating: 0, count: p.labels.count)
        for i in p.labels.indices where ids.contains(Int(p.labels[i])) { weights[i] = g.density[i] }
        guard weights.contains(where: { $0 > 0 }) else { throw WorkflowError("--source \(source): no voxel of IDs \(ids.sorted()) in \(kind.rawValue)") }
        let result: MonteCarloResult
        do {
            result = try MonteCarloDose.run(geometry: g, source: weights, spectrum: spectrum, decays: decays, seed: seed, threads: threads,
                                            groups: p.labels.map { Int32($0) }, groupCount: 256)
        } catch { throw WorkflowError("Monte Carlo: \(error)") }
        var targets: [Target] = []
        for id in 1...141 {
            let m = p.massGrams(ids: [id])
            guard m > 0 else { continue }
            let s = DoseUnits.mGyPerMBqS(energyMeV: result.groupEnergyMeV[id], massKg: m / 1000)
            targets.append(Target(id: id, name: p.organNames[id] ?? "ID \(id)", massG: m, sValue: s,
                                  relativeUncertainty: result.groupEnergyMeV[id] > 0 ? result.groupRelativeUncertainty[id] : 1))
        }
        return Report(phantom: kind.rawValue,
                      phantomSource: "ICRP Publication 110 adult reference computational phantoms (Ann. ICRP 39(2), 2009), OpenDose packaging; media and densities from \(kind.prefix)_GateMaterials.db",
                      source: name, sourceIDs: ids.sorted(), sourceMassG: p.massGrams(ids: ids), isotope: spectrum.name, decays: decays, seed: seed,
                      emissionData: EmissionSpectrum.source, crossSections: PhotonCrossSections.source, method: result.method, targets: targets,
                      emittedMeVPerDecay: result.emittedMeV, escapedMeVPerDecay: result.escapedMeV, seconds: result.seconds, threads: result.threads,
                      decaysPerSecondPerThread: Double(decays) / max(result.seconds, 1e-9) / Double(result.threads),
                      units: ["sValue": "mGy/(MBq·s)", "massG": "g", "relativeUncertainty": "1 (k = 1, statistical only)", "seconds": "s wall"],
                      conventions: ["activity": "uniform per unit mass in the source IDs", "dose": "absorbed dose to the medium of each organ ID, mean over its voxels (energy / mass)",
                                    "uncertainty": "statistical, from \(20) independent batches; no systematic (cross-section, geometry) component"],
                      warnings: [])
    }
}
