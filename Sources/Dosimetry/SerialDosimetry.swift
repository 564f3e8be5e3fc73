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
    /// Monte Carlo transport of the voxel TIA map through the CT's media (``MonteCarloDose``).
    case monteCarlo = "monte-carlo"
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
    /// Thresholds of the registration quality gate (``SerialRegistration``).
    public var registrationGate = RegistrationGate()
    /// Transforms given from outside (visit index in time order, 0 = reference → fixed-to-moving transform), used
    /// instead of registering that visit and not gated, e.g. accepted in the registration review.
    public var givenTransforms: [Int: RigidTransform] = [:]
    /// Who gave each of ``givenTransforms`` (recorded as "accepted by review, by …").
    public var givenTransformSources: [Int: String] = [:]
    /// Uncertainty inputs (EANM components).
    public var uncertainty = UncertaintyInputs()
    /// Partial-volume correction: each VOI's activity divided by RC(VOI volume) (nil: none, stated).
    public var recovery: RecoveryCurve? = nil
    /// Decays simulated by the Monte Carlo method.
    public var monteCarloDecays: Int = 2_000_000
    /// Seed of the Monte Carlo method.
    public var monteCarloSeed: UInt64 = 1
    /// Voxels of a VOI with CT density below this (g/cm³; HU < −900) are air: left out of the mean dose and DVH.
    public var airDensityLimit: Double = 0.1
    /// Creates options.
    public init(nuclide: Radionuclide, method: DoseMethod = .voxel, fit: TACMethod = .auto, tail: TACTail = .physical,
                register: Bool = true, male: Bool = true, populationEffectiveHalfLifeHours: Double? = nil, kernelSamples: Int = 200_000) {
        self.nuclide = nuclide; self.method = method; self.fit = fit; self.tail = tail; self.register = register
        self.male = male; self.populationEffectiveHalfLifeHours = populationEffectiveHalfLifeHours; self.kernelSamples = kernelSamples
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
    /// Voxels of the VOI left out of the mean dose and DVH as air (CT density below the limit; voxel methods).
    public var airVoxelsExcluded: Int = 0
    /// EANM uncertainty budget (k = 1 components, k = 1 and k = 2 intervals).
    public var uncertainty: UncertaintyBudget? = nil
    /// Recovery coefficient the VOI's activities were divided by (partial-volume correction), nil when none.
    public var recoveryCoefficient: Double? = nil
}

/// The result of a serial dosimetry run.
public struct SerialDosimetryResult: Sendable {
    /// Per VOI.
    public var vois: [VOIDose]
    /// Registration of each visit to the first (nil for the first and when not registered).
    public var registrations: [RegistrationResult?]
    /// Each visit's transform, its quality and where it came from (registered, accepted by review, none).
    public var visitRegistrations: [VisitRegistration]
    /// Dose map on the reference SPECT grid (Gy), voxel methods only.
    public var doseGy: Volume?
    /// Per-voxel statistical relative uncertainty (k = 1) of the Monte Carlo dose.
    public var doseRelativeUncertainty: Volume? = nil
    /// The reference CT on the SPECT grid (HU), when a CT was given.
    public var referenceCT: Volume?
    /// Visits' SPECT moved onto the reference grid.
    public var alignedSPECT: [Volume]
    /// Conventions, for reports.
    public var conventions: [String: String]
    /// Warnings.
    public var warnings: [String]
}

/// One visit's alignment to the reference visit, for the result.
public struct VisitRegistration: Sendable, Equatable, Codable {
    /// Visit index in time order (0 = reference).
    public var visit: Int
    /// The fixed-to-moving transform used (nil: the reference, or no registration).
    public var transform: RigidTransform?
    /// Its measured quality (registered visits; nil for given transforms and the reference).
    public var quality: RegistrationQuality?
    /// `reference`, `registered`, `accepted by review, by …`, `not registered: …`.
    public var source: String
    /// Whether the visit may be used: the reference, a given transform, or a registration that passed its gate.
    public var usable: Bool
    /// The full registration outcome (registered visits).
    public var registration: RegistrationResult?
}

/// The serial-study dosimetry chain: registration → TACs → fits → TIA → absorbed dose.
public enum SerialDosimetry {
    /// Aligns every visit to the first (the earliest): a given transform where ``SerialDosimetryOptions/givenTransforms``
    /// has one, else ``SerialRegistration`` of its CT to the reference CT with the quality gate. Never throws for a
    /// failed gate: the caller decides (``run(_:vois:options:)`` stops).
    public static func registerVisits(_ visits: [DoseTimePoint], options o: SerialDosimetryOptions) throws(DosimetryError) -> [VisitRegistration] {
        guard let ref = visits.first else { throw .invalidArgument("no time point") }
        var out = [VisitRegistration(visit: 0, transform: nil, quality: nil, source: "reference", usable: true, registration: nil)]
        for (k, v) in visits.enumerated().dropFirst() {
            if let t = o.givenTransforms[k] {
                let by = o.givenTransformSources[k].map { ", by \($0)" } ?? ""
                out.append(VisitRegistration(visit: k, transform: t, quality: nil, source: "accepted by review\(by)", usable: true, registration: nil))
            } else if o.register, let fixed = ref.ct, let moving = v.ct {
                let r = try SerialRegistration.register(fixed: fixed, moving: moving, gate: o.registrationGate)
                out.append(VisitRegistration(visit: k, transform: r.transform, quality: r.quality, source: "registered",
                                             usable: r.quality?.passed ?? false, registration: r))
            } else {
                let why = o.register ? "not registered: no CT pair" : "not registered (registration off)"
                out.append(VisitRegistration(visit: k, transform: nil, quality: nil, source: why, usable: true, registration: nil))
            }
        }
        return out
    }

    /// The statement of a run stopped by the registration gate (one line per failing visit).
    public static func reviewStatement(_ regs: [VisitRegistration], hours: [Double]) -> String? {
        let failed = regs.filter { !$0.usable }
        guard !failed.isEmpty else { return nil }
        let lines = failed.map { r -> String in
            let h = r.visit < hours.count ? String(format: " (%.1f h)", hours[r.visit]) : ""
            return "visit \(r.visit)\(h): CT-to-CT registration \(r.quality?.statement ?? "failed")"
        }
        return "registration needs review, no dose computed: " + lines.joined(separator: "; ")
            + ". Check the visits' CTs, or accept a transform for the visit in the registration review (acceptedTransforms)."
    }

    /// Runs the chain. VOI masks are on the first visit's SPECT grid. `registrations`: the result of
    /// ``registerVisits(_:options:)`` when the caller ran it already (nil: run here). Stops with
    /// ``DosimetryError/registrationNeedsReview(_:)`` when a visit's registration failed its gate.
    public static func run(_ visits: [DoseTimePoint], vois: [DoseVOI], options o: SerialDosimetryOptions,
                           registrations given: [VisitRegistration]? = nil) throws(DosimetryError) -> SerialDosimetryResult {
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
        if let g = given, g.count != visits.count { throw .sizeMismatch("\(g.count) visit registrations for \(visits.count) visits") }
        let visitRegistrations: [VisitRegistration]
        if let g = given { visitRegistrations = g } else { visitRegistrations = try registerVisits(visits, options: o) }
        if let statement = reviewStatement(visitRegistrations, hours: visits.map(\.hours)) { throw .registrationNeedsReview(statement) }
        var registrations: [RegistrationResult?] = [nil]
        var aligned: [Volume] = [ref.spect]
        for (k, v) in visits.enumerated().dropFirst() {
            let r = visitRegistrations[k]
            registrations.append(r.registration)
            if r.transform == nil && o.register { warnings.append("time point \(v.hours) h: no CT pair, SPECT used without registration") }
            aligned.append(try RigidRegistration.resample(v.spect, onto: grid, geometry: geo, transform: r.transform ?? .identity()))
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
        var recoveryUsed: [(rc: Double, relativeUncertainty: Double)?] = []
        for voi in vois {
            var tac: [TACPoint] = []
            for (k, v) in visits.enumerated() {
                var s = 0.0
                let img = aligned[k].voxels
                for i in voi.mask.indices where voi.mask[i] { s += Double(img[i]) }
                let a = s * voxelML / 1e6
                // Poisson σ when the counts per MBq are known (weights of the fit, EANM counting component).
                let sigma = o.uncertainty.countsPerMBq.flatMap { c in c > 0 && a > 0 ? (a / c).squareRoot() : nil }
                tac.append(TACPoint(timeHours: v.hours, activityMBq: a, sigmaMBq: sigma))
            }
            let n = voi.mask.reduce(0) { $0 + ($1 ? 1 : 0) }
            guard n > 0 else { throw .invalidArgument("VOI \(voi.name) is empty on the SPECT grid") }
            if let rc = o.recovery?.coefficient(volumeML: Double(n) * voxelML) {
                for k in tac.indices { tac[k].activityMBq /= rc.rc; tac[k].sigmaMBq = tac[k].sigmaMBq.map { $0 / rc.rc } }
                recoveryUsed.append(rc)
            } else { recoveryUsed.append(nil) }
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
        var doseUncertainty: Volume? = nil
        if o.method == .voxel || o.method == .ldm || o.method == .monteCarlo {
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
            } else if o.method == .monteCarlo {
                guard let spectrum = EmissionSpectrum.named(o.nuclide.name) else {
                    throw .unsupportedNuclide("no ICRP-107 spectrum for \(o.nuclide.name) (have \(EmissionSpectrum.names.joined(separator: ", ")))")
                }
                let hu = refCT?.voxels ?? [Float](repeating: 0, count: grid.count)
                let world = try TissueClasses.geometry(hu: hu, size: grid, voxelMM: sp)
                let r = try MonteCarloDose.run(geometry: world, source: tia, spectrum: spectrum, decays: o.monteCarloDecays, seed: o.monteCarloSeed)
                let totalDecays = tia.reduce(0.0) { $0 + Double($1) } * 1e6       // MBq·s → decays
                mGy = r.doseGyPerDecay.map { Float($0 * totalDecays * 1000) }
                doseUncertainty = Volume(unchecked: grid, voxels: r.relativeUncertainty, geometry: geo, units: "relative (k = 1)",
                                         frameOfReferenceUID: ref.ct?.frameOfReferenceUID ?? ref.spect.frameOfReferenceUID)
                method = "\(r.method); \(o.monteCarloDecays) decays (seed \(o.monteCarloSeed)) in \(String(format: "%.1f", r.seconds)) s; media from CT: \(TissueClasses.statement)"
                if refCT == nil { warnings.append("no CT: Monte Carlo in uniform soft tissue") }
            } else {
                mGy = try VoxelDose.localDeposition(tia, size: grid, voxelMM: sp, nuclide: o.nuclide, density: density)
                method = String(format: "local energy deposition of %.5g MeV/decay%@", o.nuclide.meanLocalEnergyWithProgenyMeV, density == nil ? "" : ", CT density")
            }
            let gy = mGy.map { $0 / 1000 }
            doseMap = Volume(unchecked: grid, voxels: gy, geometry: geo, units: "Gy", frameOfReferenceUID: ref.ct?.frameOfReferenceUID ?? ref.spect.frameOfReferenceUID)
            for (n, voi) in vois.enumerated() {
                // Air voxels (CT density below the limit) carry no tissue: left out of the mean dose and the DVH.
                var mask = voi.mask, air = 0
                if let d = density {
                    for i in mask.indices where mask[i] && Double(d[i]) < o.airDensityLimit { mask[i] = false; air += 1 }
                    if !mask.contains(true) { mask = voi.mask; air = 0; warnings.append("VOI \(voi.name): every voxel is air on the CT; air not excluded") }
                }
                let dvh = try DoseVolumeHistogram.make(doseGy: gy, mask: mask, voxelML: voxelML)
                var r = VOIDose(name: voi.name, volumeML: volumes[n], massG: masses[n], tac: tacs[n], fit: fits[n],
                                tiaMBqh: fits[n].tiaMBqh, meanDoseGy: dvh.meanGy, doseMethod: method, sValueMGyPerMBqS: nil,
                                dvh: dvh, bedGy: nil, rbeWeightedDoseGy: nil)
                r.airVoxelsExcluded = air
                if air > 0 { warnings.append("VOI \(voi.name): \(air) air voxel(s) (CT density < \(o.airDensityLimit) g/cm³) left out of the mean dose and DVH") }
                results.append(r)
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
            let volumeU = EANMUncertainty.volumeRelative(mask: vois[n].mask, nx: grid.x, ny: grid.y, nz: grid.z)
            results[n].uncertainty = EANMUncertainty.budget(tac: tacs[n], fit: fits[n], method: o.fit, physicalHalfLifeHours: halfLifeH, tail: o.tail,
                                                            populationEffectiveHalfLifeHours: o.populationEffectiveHalfLifeHours,
                                                            meanDoseGy: results[n].meanDoseGy, inputs: o.uncertainty, recoveryRelative: recoveryUsed[n]?.relativeUncertainty,
                                                            volumeRelative: volumeU)
            results[n].recoveryCoefficient = recoveryUsed[n]?.rc
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
            "registration": o.register ? "rigid CT-to-CT to the first visit (normalised mutual information, body-outline initialisation, several starts, 12/6/3 mm levels), SPECT moved with its CT; quality gate NMI ≥ \(o.registrationGate.minimumNormalizedMI), body-outline Dice ≥ \(o.registrationGate.minimumOutlineDice), overlap ≥ \(o.registrationGate.minimumOverlap): below it the run stops and asks for review; transforms accepted in review are used as given" : "none",
            "voxelTIA": "per-voxel trapezoids with physical tail, rescaled in each VOI to the VOI fit's TIA",
            "bed": "kidneys: LQ, α/β 2.6 Gy, T_rep 2.8 h, G = T_rep/(T_rep + T_eff)",
            "partialVolume": o.recovery.map { "activities divided by the recovery coefficient at the VOI volume (\($0.source))" } ?? "no partial-volume correction",
            "airVoxels": "voxel methods: VOI voxels with CT density < \(o.airDensityLimit) g/cm³ (HU < −900) are air, left out of the mean dose and DVH (count per VOI in airVoxelsExcluded)",
            "doseToMedium": o.method == .monteCarlo ? "Monte Carlo dose to medium (CT tissue classes with their compositions and CT densities)" : o.method == .voxel ? "water kernel dose divided by the CT density (first-order dose to medium; lung and bone by density only)" : (o.method == .ldm ? "local deposition per CT mass (dose to medium)" : "VOI mass from CT density"),
            "uncertainty": "EANM (Gear et al., EJNMMI 2018;45:2456): Poisson counts through the fit (when counts per MBq are known) or the fit covariance, calibration, recovery coefficient, volume (±½ voxel boundary); k = 1 and k = 2 intervals per VOI",
        ]
        if o.nuclide.meanAlphaEnergyWithProgenyMeV > 0 {
            conventions["rbe"] = "alpha RBE 5 (MIRD Pamphlet 22) applied to the α fraction of the local energy; progeny in equilibrium"
        }
        return SerialDosimetryResult(vois: results, registrations: registrations, visitRegistrations: visitRegistrations, doseGy: doseMap,
                                     doseRelativeUncertainty: doseUncertainty, referenceCT: refCT,
                                     alignedSPECT: aligned, conventions: conventions, warnings: warnings)
    }
}
