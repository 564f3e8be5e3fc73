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
    /// (``HeartState``: LV cavity through `g.slotVolumes`, myocardium filling the end-diastolic epicardial contour, RV with the LV's stroke,
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
        let (edVP0, edTruth) = try build(g.edvML)
        var edVP = edVP0
        // The blood is the same blood at every slot: every compartment keeps its end-diastolic concentration.
        // (Building each slot on its own would share the heart's blood activity among the voxels of the
        // heart contents left unpainted at that slot, so that the blood concentration rose and fell with the
        // chambers' volumes — by 15–20 % between ED and ES — and the LV counts no longer followed its volume.)
        var edConcentration: [String: Double] = [:]
        for c in edVP.phantom.compartments { edConcentration[c.name] = c.concentrationBqPerML }
        // The four analytic chambers hold the heart's blood: what is left of the ICRP-110 heart contents around
        // them (ID 88, one undivided label) is heart wall, given the wall's concentration (ID 87). Left as blood it
        // was a fifth, irregular blood pool lying over the ventricles in the LAO view whose volume grew wherever a
        // chamber shrank (blood filling in beside the emptying RV).
        var truthPatient = edTruth
        if let wall = edConcentration["icrp87"], let blood = edConcentration["icrp88"], blood > 0 {
            edConcentration["icrp88"] = wall
            for k in truthPatient.organs.indices where truthPatient.organs[k].name == "heart-contents" {
                truthPatient.organs[k].activityMBq *= wall / blood
                truthPatient.organs[k].fractionOfAdministered *= wall / blood
                truthPatient.organs[k].source = (truthPatient.organs[k].source ?? "") + "; outside the analytic chambers: heart wall (the wall's concentration), the chambers hold the blood"
            }
        }
        for k in edVP.phantom.compartments.indices {
            if let c = edConcentration[edVP.phantom.compartments[k].name] { edVP.phantom.compartments[k].concentrationBqPerML = c }
        }
        var slots: [Double: VoxelizedPhantom] = [:]
        for v in Set(g.slotVolumes) {
            var vp = try build(v).0
            for k in vp.phantom.compartments.indices {
                if let c = edConcentration[vp.phantom.compartments[k].name] { vp.phantom.compartments[k].concentrationBqPerML = c }
            }
            slots[v] = vp
        }
        var edSetup = setup
        edSetup.voxelized = edVP
        edSetup.phantom = edVP.phantom
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
