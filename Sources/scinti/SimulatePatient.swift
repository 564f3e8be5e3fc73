import ArgumentParser
import Foundation
import Imaging
import Physics
import Simulation

/// Options of `scinti simulate … --phantom icrp-am|icrp-af`: the virtual patient (issue 12).
struct PatientOptions: ParsableArguments {
    @Option(help: "Tracer (with --phantom icrp-am|icrp-af): \(Tracer.catalog.map(\.name).joined(separator: ", ")).") var tracer: String?
    @Option(help: "Imaging phase of the tracer (early, delayed, 4h, 24h, …; see docs/virtual-patients.md).") var phase: String?
    @Option(help: "Hours after administration (instead of --phase).") var hours: Double?
    @Option(help: "Lesion REGION:DIAMETER_MM:CONTRAST (repeatable), e.g. thoracic-spine:15:5, liver:20:4, parathyroid-left:10:3.") var lesion: [String] = []
    @Option(name: .customLong("patient-seed"), help: "Patient variability seed (size, pose, organ function, lesion positions); absent: the reference phantom.") var patientSeed: UInt64?
    @Option(name: .customLong("administered"), help: "Administered activity (MBq); default: the tracer's typical activity.") var administered: Double?
    @Flag(help: "Paravenous extravasation at the injection site (bone scans).") var extravasation = false
    @Flag(name: .customLong("growth-plates"), help: "Growth plates of a young patient (bone scans): intense physeal uptake at the knees, wrists and shoulders.") var growthPlates = false
    @Flag(name: .customLong("arms-down"), help: "Keep the arms in a SPECT field of view (default: raised out of it).") var armsDown = false

    /// Builds the virtual patient and its simulation setup.
    func setup(phantom name: String, mode: String, nuclideFallback: (Radionuclide) throws -> Camera, voxelMM: Double,
               subsamples: Int, seed: UInt64, noise: Bool, attenuation: Bool, visitMotion: VisitMotion? = nil) throws -> SimulationSetup {
        do {
            let kind = try ICRPPhantomKind.parse(name)
            guard let tracerName = tracer else { throw VirtualPatientError("--phantom \(name) needs --tracer (allowed: \(Tracer.catalog.map(\.name).joined(separator: ", ")))") }
            let tr = try Tracer.named(tracerName)
            let (h, ph) = try tr.hours(phase: phase, hours: hours)
            let specs = try lesion.map { s throws(VirtualPatientError) in try LesionSpec.parse(s) }
            let icrp = try ICRPPhantom.load(kind)
            let arms = mode == "spect" && !armsDown
            var variability = patientSeed.map { PatientVariability.draw(seed: $0, armsRaised: arms) } ?? .reference
            variability.armsRaised = arms
            variability.visitMotion = visitMotion
            var patient = VirtualPatient(phantom: icrp, tracer: tr, hours: h, phase: ph, variability: variability, lesions: specs,
                                         administeredMBq: administered, patientSeed: patientSeed, extravasation: extravasation)
            patient.growthPlates = growthPlates
            let (vp, truth) = try patient.build(voxelMM: voxelMM, subsamples: subsamples)
            guard let n = Radionuclide.named(tr.nuclide) else { throw VirtualPatientError("radionuclide \(tr.nuclide) unknown") }
            var s = SimulationSetup(phantom: vp.phantom, nuclide: n, camera: try nuclideFallback(n), voxelMM: voxelMM, subsamples: subsamples,
                                    seed: seed, noise: noise, injectionLeadSeconds: h * 3600, radiopharmaceutical: tr.radiopharmaceutical,
                                    attenuation: attenuation)
            s.voxelized = vp
            s.administeredActivityBq = patient.administeredMBq * 1e6
            s.virtualPatient = patient
            s.patientTruth = truth
            return s
        } catch {
            throw fail("\(error)")
        }
    }
}

extension SimulationSetup {
    /// The z (mm) to centre a field of view on: the virtual patient's focus organ, else `fallback`.
    func focusZ(_ fallback: Double = 0) -> Double {
        guard let p = virtualPatient else { return fallback }
        return ((try? p.centreZ(of: p.focusOrgan)) ?? fallback).rounded()
    }
}
