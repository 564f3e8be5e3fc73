import Foundation
import Imaging
import Physics

/// One visit of a serial study as the dosimetry sees it: quantitative SPECT (Bq/mL, decay-corrected to its own
/// acquisition start only) and, optionally, the CT of the same visit (HU, same scanner coordinates).
public struct DoseTimePoint: Sendable {
    /// Hours after administration.
    public var hours: Double
    /// Activity concentration, Bq/mL.
    public var spect: Volume
    /// CT in HU (nil: no registration, unit density).
    public var ct: Volume?
    /// Creates a visit.
    public init(hours: Double, spect: Volume, ct: Volume?) { self.hours = hours; self.spect = spect; self.ct = ct }
}

/// A volume of interest on the reference SPECT grid.
public struct DoseVOI: Sendable {
    /// Name (matched against reference organs for the organ method, `kidney` for BED).
    public var name: String
    /// Membership per voxel of the reference (first) SPECT grid.
    public var mask: [Bool]
    /// Creates a VOI.
    public init(name: String, mask: [Bool]) { self.name = name; self.mask = mask }
}

/// How absorbed dose is computed.
public enum DoseMethod: String, Sendable, Codable, CaseIterable {
    /// Voxel-S-value kernel convolution (FFT) of the voxel TIA map, density-corrected from CT.
    case voxel
    /// Unit-density sphere model with the VOI's mass.
    case sphere
    /// MIRD organ self-dose S values (reference adult, mass-scaled); sphere model for VOIs that are not organs.
    case organ
    /// Local energy deposition, density-corrected from CT.
    case ldm
}

/// Options of a serial dosimetry run.
public struct SerialDosimetryOptions: Sendable {
    /// The nuclide (decay data set stated in results).
    public var nuclide: Radionuclide
    /// Absorbed-dose method.
    public var method: DoseMethod
    /// TAC method (`auto` chooses by AICc).
    public var fit: TACMethod
    /// Tail for trapezoids.
    public var tail: TACTail
    /// Register each visit's CT to the first visit's CT and move the SPECT with it.
    public var register: Bool
    /// ICRP 89 reference adult male (else female) for organ S values.
    public var male: Bool
    /// Population effective half-life for Madsen's method, h.
    public var populationEffectiveHalfLifeHours: Double?
    /// Monte-Carlo samples for the voxel-S-value kernel.
    public var kernelSamples: Int
    /// Transforms given from outside (visit index in time order, 0 = reference → fixed-to-moving transform), used
    /// instead of registering that visit, e.g. accepted in the registration review.
    public var givenTransforms: [Int: RigidTransform] = [:]
    /// Who gave each of ``givenTransforms`` (recorded as "accepted by review, by …").
    public var givenTransformSources: [Int: String] = [:]
    /// Creates options.
    public init(nuclide: Radionuclide, method: DoseMethod = .voxel, fit: TACMethod = .auto, tail: TACTail = .physical,
                register: Bool = true, male: Bool = true, populationEffectiveHalfLifeHours: Double? = nil, kernelSamples: Int = 200_000,
                givenTransforms: [Int: RigidTransform] = [:], givenTransformSources: [Int: String] = [:]) {
        self.nuclide = nuclide; self.method = method; self.fit = fit; self.tail = tail; self.register = register
        self.male = male; self.populationEffectiveHalfLifeHours = populationEffectiveHalfLifeHours; self.kernelSamples = kernelSamples
        self.givenTransforms = givenTransforms; self.givenTransformSources = givenTransformSources
    }
}

/// The result for one VOI.
public struct VOIDose: Sendable, Codable, Equatable {
    /// VOI name.
    public var name: String
    /// Volume (mL) and mass (g, from CT density; unit density without CT).
    public var volumeML: Double, massG: Double
    /// The time–activity samples (MBq in the VOI).
    public var tac: [TACPoint]
    /// The TAC fit and its stated method.
    public var fit: TACFit
    /// Time-integrated activity, MBq·h.
    public var tiaMBqh: Double
    /// Mean absorbed dose, Gy.
    public var meanDoseGy: Double
    /// The dose method actually used for this VOI (e.g. `organ (kidneys, ICRP 89 male, mass-scaled)`).
    public var doseMethod: String
    /// S value used (VOI methods), mGy/(MBq·s).
    public var sValueMGyPerMBqS: Double?
    /// Dose–volume histogram (voxel methods).
    public var dvh: DoseVolumeHistogram?
    /// BED for kidneys (α/β 2.6 Gy, T_rep 2.8 h), Gy.
    public var bedGy: Double?
    /// RBE-weighted dose for alpha emitters (RBE 5 on the α part), Gy(RBE).
    public var rbeWeightedDoseGy: Double?
}

/// The result of a serial dosimetry run.
public struct SerialDosimetryResult: Sendable {
    /// Per VOI.
    public var vois: [VOIDose]
    /// Registration of each visit to the first (nil for the first and when not registered).
    public var registrations: [RegistrationResult?]
    /// Dose map on the reference SPECT grid (Gy), voxel methods only.
    public var doseGy: Volume?
    /// The reference CT on the SPECT grid (HU), when a CT was given.
    public var referenceCT: Volume?
    /// Visits' SPECT moved onto the reference grid.
    public var alignedSPECT: [Volume]
    /// Conventions, for reports.
    public var conventions: [String: String]
    /// Warnings.
    public var warnings: [String]
}

/// The serial-study dosimetry chain: registration → TACs → fits → TIA → absorbed dose.
public enum SerialDosimetry {
    /// Runs the chain. VOI masks are on the first visit's SPECT grid.
    public static func run(_ visits: [DoseTimePoint], vois: [DoseVOI], options o: SerialDosimetryOptions) throws(DosimetryError) -> SerialDosimetryResult {
        guard let ref = visits.first else { throw .invalidArgument("no time point") }
        let sorted = visits.sorted { $0.hours < $1.hours }
        guard sorted.first!.hours == ref.hours else { throw .invalidArgument("the first time point must be the earliest (the reference)") }
        for v in visits {
            guard v.hours.isFinite, v.hours > 0 else { throw .invalidArgument("time point at \(v.hours) h: must be > 0 h after administration") }
        }
        let grid = ref.spect.size, geo = ref.spect.geometry
        for voi in vois where voi.mask.count != grid.count {
            throw .sizeMismatch("VOI \(voi.name) has \(voi.mask.count) voxels, the reference SPECT grid \(grid.count)")
        }
        guard !vois.isEmpty else { throw .invalidArgument("no VOI") }
        var warnings: [String] = []
        var registrations: [RegistrationResult?] = [nil]
        var aligned: [Volume] = [ref.spect]
        for (k, v) in visits.enumerated().dropFirst() {
            if let t = o.givenTransforms[k] {
                let by = o.givenTransformSources[k].map { ", by \($0)" } ?? ""
                registrations.append(RegistrationResult(transform: t, initialMI: .nan, finalMI: .nan, evaluations: 0, method: "accepted by review\(by)"))
                aligned.append(try RigidRegistration.resample(v.spect, onto: grid, geometry: geo, transform: t))
            } else if o.register, let fixed = ref.ct, let moving = v.ct {
                let r = try RigidRegistration.register(fixed: fixed, moving: moving)
                registrations.append(r)
                aligned.append(try RigidRegistration.resample(v.spect, onto: grid, geometry: geo, transform: r.transform))
            } else {
                if o.register { warnings.append("time point \(v.hours) h: no CT pair, SPECT used without registration") }
                registrations.append(nil)
                let r = try RigidRegistration.resample(v.spect, onto: grid, geometry: geo, transform: .identity())
                aligned.append(r)
            }
        }
        var density: [Float]? = nil
        var refCT: Volume? = nil
        if let ct = ref.ct {
            if let onGrid = try? ct.resampled(to: grid, geometry: geo, outside: -1000) {
                refCT = onGrid
                density = VoxelDose.densityFromHU(onGrid.voxels)
            } else { warnings.append("reference CT could not be resampled onto the SPECT grid: unit density assumed") }
        } else { warnings.append("no CT: unit density (water) assumed for masses and dose") }
        let sp = geo.spacing
        let voxelML = sp.x * sp.y * sp.z / 1000
        let halfLifeH = o.nuclide.halfLifeSeconds / 3600
        // TACs and fits.
        var fits: [TACFit] = [], tacs: [[TACPoint]] = [], masses: [Double] = [], volumes: [Double] = []
        for voi in vois {
            var tac: [TACPoint] = []
            for (k, v) in visits.enumerated() {
                var s = 0.0
                let img = aligned[k].voxels
                for i in voi.mask.indices where voi.mask[i] { s += Double(img[i]) }
                tac.append(TACPoint(timeHours: v.hours, activityMBq: s * voxelML / 1e6))
            }
            let n = voi.mask.reduce(0) { $0 + ($1 ? 1 : 0) }
            guard n > 0 else { throw .invalidArgument("VOI \(voi.name) is empty on the SPECT grid") }
            var m = 0.0
            for i in voi.mask.indices where voi.mask[i] { m += Double(density?[i] ?? 1) }
            masses.append(m * voxelML); volumes.append(Double(n) * voxelML)
            tacs.append(tac)
            do {
                fits.append(try TACFitter.fit(tac, method: o.fit, physicalHalfLifeHours: halfLifeH, tail: o.tail,
                                              populationEffectiveHalfLifeHours: o.populationEffectiveHalfLifeHours))
            } catch {
                throw .fitFailed("VOI \(voi.name): \(error)")
            }
        }
        // Dose.
        var results: [VOIDose] = []
        var doseMap: Volume? = nil
        if o.method == .voxel || o.method == .ldm {
            // Voxel TIA: trapezoids with a physical tail per voxel, rescaled inside each VOI so that its sum equals
            // the VOI's fitted TIA (the VOI fit carries the kinetics, the voxels the spatial distribution).
            let times = visits.map(\.hours)
            var tia = [Float](repeating: 0, count: grid.count)   // MBq·s
            let lphys = log(2) / halfLifeH
            for i in 0..<grid.count {
                var area = 0.5 * times[0] * Double(aligned[0].voxels[i])
                for k in 1..<times.count { area += 0.5 * (times[k] - times[k - 1]) * Double(aligned[k].voxels[i] + aligned[k - 1].voxels[i]) }
                area += Double(aligned[times.count - 1].voxels[i]) / lphys
                tia[i] = Float(max(area, 0) * voxelML / 1e6 * 3600)
            }
            for (n, voi) in vois.enumerated() {
                var s = 0.0
                for i in voi.mask.indices where voi.mask[i] { s += Double(tia[i]) }
                guard s > 0 else { continue }
                let f = Float(fits[n].tiaMBqh * 3600 / s)
                for i in voi.mask.indices where voi.mask[i] { tia[i] *= f }
            }
            var mGy: [Float]
            let method: String
            if o.method == .voxel {
                let k = try VoxelSValueKernel.make(o.nuclide, voxelMM: (sp.x, sp.y, sp.z), samples: o.kernelSamples)
                mGy = try VoxelDose.convolveFFT(tia, size: grid, kernel: k)
                if let d = density { mGy = try VoxelDose.densityCorrected(mGy, density: d) }
                method = "voxel S-value convolution (FFT): " + k.method + (density == nil ? "" : "; dose ÷ CT density")
            } else {
                mGy = try VoxelDose.localDeposition(tia, size: grid, voxelMM: sp, nuclide: o.nuclide, density: density)
                method = String(format: "local energy deposition of %.5g MeV/decay%@", o.nuclide.meanLocalEnergyWithProgenyMeV, density == nil ? "" : ", CT density")
            }
            let gy = mGy.map { $0 / 1000 }
            doseMap = Volume(unchecked: grid, voxels: gy, geometry: geo, units: "Gy", frameOfReferenceUID: ref.ct?.frameOfReferenceUID ?? ref.spect.frameOfReferenceUID)
            for (n, voi) in vois.enumerated() {
                let dvh = try DoseVolumeHistogram.make(doseGy: gy, mask: voi.mask, voxelML: voxelML)
                results.append(VOIDose(name: voi.name, volumeML: volumes[n], massG: masses[n], tac: tacs[n], fit: fits[n],
                                       tiaMBqh: fits[n].tiaMBqh, meanDoseGy: dvh.meanGy, doseMethod: method, sValueMGyPerMBqS: nil,
                                       dvh: dvh, bedGy: nil, rbeWeightedDoseGy: nil))
            }
        } else {
            for (n, voi) in vois.enumerated() {
                var s: Double, method: String
                if o.method == .organ, let organ = ReferenceOrgan.matching(voi.name) {
                    // Paired organs: one kidney (name with left/right) of mass m and TIA Ã gets Ã·E/m, i.e. twice the
                    // S value of the pair scaled to mass 2m.
                    let name = voi.name.lowercased()
                    let single = organ == .kidneys && (name.contains("left") || name.contains("right"))
                    let model = OrganSValue(organ: organ, male: o.male)
                    if single { s = try 2 * model.sValue(o.nuclide, patientMassGrams: 2 * masses[n]) } else {
                        s = try model.sValue(o.nuclide, patientMassGrams: masses[n])
                    }
                    method = "organ self-dose S value (\(organ.rawValue), ICRP 89 \(o.male ? "male" : "female") reference, mass-scaled to \(String(format: "%.4g", masses[n])) g\(single ? ", one of a pair" : "")); cross-organ photon dose not included"
                } else {
                    if o.method == .organ { warnings.append("VOI \(voi.name) is not a reference organ: sphere model used") }
                    s = try SphereModel(massGrams: masses[n]).sValue(o.nuclide)
                    method = String(format: "unit-density sphere model, %.4g g, electrons fully absorbed, photon self-absorption", masses[n])
                }
                let d = s * fits[n].tiaMBqh * 3600 / 1000
                results.append(VOIDose(name: voi.name, volumeML: volumes[n], massG: masses[n], tac: tacs[n], fit: fits[n],
                                       tiaMBqh: fits[n].tiaMBqh, meanDoseGy: d, doseMethod: method, sValueMGyPerMBqS: s,
                                       dvh: nil, bedGy: nil, rbeWeightedDoseGy: nil))
            }
        }
        for n in results.indices {
            if ReferenceOrgan.matching(results[n].name) == .kidneys {
                let teff = results[n].fit.effectiveHalfLifeHours ?? halfLifeH
                results[n].bedGy = try BEDModel.kidneys.bed(doseGy: results[n].meanDoseGy, effectiveHalfLifeHours: teff)
            }
            if o.nuclide.meanAlphaEnergyWithProgenyMeV > 0 {
                results[n].rbeWeightedDoseGy = AlphaRBE.weightedDose(results[n].meanDoseGy, nuclide: o.nuclide)
            }
        }
        var conventions: [String: String] = [
            "nuclide": o.nuclide.name,
            "decayData": "\(o.nuclide.dataSet.rawValue): \(o.nuclide.source)",
            "doseMethod": o.method.rawValue,
            "tacMethod": o.fit.rawValue,
            "activity": "VOI sums of the SPECT (Bq/mL × voxel mL), each visit decay-corrected to its own acquisition start",
            "registration": o.register ? "rigid CT-to-CT (mutual information) to the first visit, SPECT moved with its CT" : "none",
            "voxelTIA": "per-voxel trapezoids with physical tail, rescaled in each VOI to the VOI fit's TIA",
            "bed": "kidneys: LQ, α/β 2.6 Gy, T_rep 2.8 h, G = T_rep/(T_rep + T_eff)",
        ]
        if o.nuclide.meanAlphaEnergyWithProgenyMeV > 0 {
            conventions["rbe"] = "alpha RBE 5 (MIRD Pamphlet 22) applied to the α fraction of the local energy; progeny in equilibrium"
        }
        return SerialDosimetryResult(vois: results, registrations: registrations, doseGy: doseMap, referenceCT: refCT,
                                     alignedSPECT: aligned, conventions: conventions, warnings: warnings)
    }
}
