import Foundation
import Imaging
import Physics

extension VirtualPatient {
    /// Centre of the phantom's heart contents (ID 88) in patient coordinates.
    public func heartCentre() throws(VirtualPatientError) -> Vector3 {
        let vs = voxels(of: OrganGroup(name: "heart-contents", ids: [88]))
        guard !vs.isEmpty else { throw VirtualPatientError("\(phantom.kind.rawValue): no heart contents (ID 88)") }
        return variability.toPatient(Self.centroid(vs))
    }
}

extension Simulator {
    /// An ECG-gated planar blood-pool study of a virtual patient (Tc-99m RBC): the analytic beating heart
    /// (``HeartState``: LV cavity through `g.slotVolumes`, myocardium of constant volume, RV with the LV's stroke,
    /// atria filling) centred on the ICRP-110 heart, the rest of the blood pool, spleen and liver from the tracer.
    /// The RV ejection fraction is `g.rvefPercent` (the LV's when nil); the truth's `rvefPercent` is computed from
    /// the RV cavity volumes sampled on the simulation grid at end diastole and end systole.
    public static func gated(_ setup: SimulationSetup, patient: VirtualPatient, protocol g: GatedProtocol,
                             voxelMM: Double, subsamples: Int) throws(VirtualPatientError) -> SimulatedStudy {
        let centre = try patient.heartCentre()
        func build(_ v: Double) throws(VirtualPatientError) -> (VoxelizedPhantom, PatientTruth) {
            var p = patient
            p.heart = HeartState(volumeML: v, edvML: g.edvML, esvML: g.esvML, center: centre, rvEjectionFraction: g.rvefPercent.map { $0 / 100 })
            return try p.build(voxelMM: voxelMM, subsamples: subsamples)
        }
        let (edVP, edTruth) = try build(g.edvML)
        var slots: [Double: VoxelizedPhantom] = [:]
        for v in Set(g.slotVolumes) { slots[v] = try build(v).0 }
        var edSetup = setup
        edSetup.voxelized = edVP
        edSetup.phantom = edVP.phantom
        var truthPatient = edTruth
        truthPatient.lvefPercent = 100 * (g.edvML - g.esvML) / g.edvML
        // RVEF from the simulated RV volumes (sampled chamber at ED and at ES).
        func rvML(_ vp: VoxelizedPhantom) -> Double { vp.phantom.compartments.firstIndex { $0.name == "rvBloodPool" }.map { vp.volumeML($0) } ?? 0 }
        let esVP: VoxelizedPhantom
        if let e = slots[g.esvML] { esVP = e } else { esVP = try build(g.esvML).0 }
        let rvED = rvML(edVP), rvES = rvML(esVP)
        truthPatient.rvefPercent = rvED > 0 ? 100 * (rvED - rvES) / rvED : nil
        edSetup.patientTruth = truthPatient
        var study = gatedStudy(setup, edSetup: edSetup, edVP: edVP, heartZ: centre.z, protocol: g) { v in
            let vp = slots[v]!
            let conc = vp.phantom.compartments.map { $0.name == "lvBloodPool" ? $0.concentrationBqPerML : 0 }
            return (vp, conc)
        }
        study.truth.patient = truthPatient
        return study
    }
}
