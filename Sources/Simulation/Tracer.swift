import Foundation

/// Biological kinetics of one compartment: the fraction of the administered activity in it at time t (hours after
/// administration), *without* physical decay:
///
/// f(t) = (1 − 2^(−t/T_up)) · Σᵢ aᵢ · 2^(−t/Tᵢ)   (T_up = 0: instantaneous uptake; Tᵢ = 0: no biological clearance),
///
/// and for a compartment that collects excreta and is emptied every `voidingIntervalHours` (the urinary bladder,
/// ICRP Publication 53/128 convention of voiding every 3.5 h): f(t) = F(t) − F(t_v), F the cumulative form above and
/// t_v the last voiding before t.
public struct Kinetics: Sendable, Codable, Equatable {
    /// Amplitudes aᵢ (fractions of the administered activity).
    public var amplitudes: [Double]
    /// Biological half-times Tᵢ (h); 0 means no clearance.
    public var halfTimesHours: [Double]
    /// Uptake half-time (h); 0 means instantaneous.
    public var uptakeHalfTimeHours: Double
    /// Voiding interval (h) for a compartment that collects excreta; nil: never emptied.
    public var voidingIntervalHours: Double?

    /// Creates kinetics.
    public init(_ amplitudes: [Double], halfTimes: [Double], uptake: Double = 0, voiding: Double? = nil) {
        self.amplitudes = amplitudes; self.halfTimesHours = halfTimes; self.uptakeHalfTimeHours = uptake; self.voidingIntervalHours = voiding
    }
    /// One exponential.
    public static func mono(_ a: Double, halfTime: Double = 0, uptake: Double = 0) -> Kinetics { Kinetics([a], halfTimes: [halfTime], uptake: uptake) }
    /// Excreta collected with uptake half-time `t` (cumulative fraction `a`), voided every `voiding` hours.
    public static func excreta(_ a: Double, halfTime t: Double, voiding: Double? = 3.5) -> Kinetics {
        Kinetics([a], halfTimes: [0], uptake: t, voiding: voiding)
    }

    func cumulative(_ t: Double) -> Double {
        guard t > 0 else { return 0 }
        let up = uptakeHalfTimeHours > 0 ? 1 - pow(2, -t / uptakeHalfTimeHours) : 1
        var s = 0.0
        for (a, h) in zip(amplitudes, halfTimesHours) { s += a * (h > 0 ? pow(2, -t / h) : 1) }
        return up * s
    }

    /// Fraction of the administered activity at `hours` (no physical decay).
    public func fraction(hours t: Double) -> Double {
        guard t > 0 else { return uptakeHalfTimeHours > 0 ? 0 : amplitudes.reduce(0, +) }
        if let v = voidingIntervalHours, v > 0 {
            let tv = (t / v).rounded(.down) * v
            return max(0, cumulative(t) - cumulative(tv))
        }
        return max(0, cumulative(t))
    }

    /// Fraction of the administered activity that a voided compartment has emptied out of the body by `hours`
    /// (what was collected up to the last voiding, F(t_v)); 0 for a compartment that is never emptied.
    public func voided(hours t: Double) -> Double {
        guard let v = voidingIntervalHours, v > 0, t > 0 else { return 0 }
        return cumulative((t / v).rounded(.down) * v)
    }

    /// Time-integrated activity coefficient (h): ∫₀^∞ f(t) e^(−λt) dt, λ the physical decay constant (1/h), by
    /// the trapezoid rule on a 1-minute grid over 20 physical half-lives (exact enough for voiding saw-teeth).
    public func timeIntegratedHours(physicalHalfLifeHours tp: Double) -> Double {
        let lam = log(2) / tp
        let dt = 1.0 / 60, n = Int(20 * tp / dt)
        var s = 0.0, prev = fraction(hours: 0)
        for i in 1...max(1, n) {
            let t = Double(i) * dt
            let v = fraction(hours: t) * exp(-lam * t)
            s += (prev + v) / 2 * dt
            prev = v
        }
        return s
    }
}

/// How a lesion's uptake evolves against its host organ (tumour retention slower than the organ's washout): the
/// lesion keeps what it took up with biological half-time `halfTimeHours` (0: retained), and the lesion's `contrast`
/// (lesion / host concentration) is the one at `referenceHours`. At t hours the ratio is
///
/// contrast(t) = contrast · r(t)/r(t_ref) · f_host(t_ref)/f_host(t),   r(t) = 2^(−t/T) (1 when T = 0),
///
/// f_host the host compartment's ``Kinetics`` fraction (physical decay cancels: both decay alike).
public struct LesionKinetics: Sendable, Codable, Equatable {
    /// Biological half-time of the lesion's retention (h); 0: retained.
    public var halfTimeHours: Double
    /// Time at which `--lesion …:CONTRAST` holds (h after administration).
    public var referenceHours: Double
    /// Where the numbers come from.
    public var source: String
    /// Creates lesion kinetics.
    public init(halfTimeHours: Double, referenceHours: Double, source: String) {
        self.halfTimeHours = halfTimeHours; self.referenceHours = referenceHours; self.source = source
    }
    /// Lesion-to-host ratio at `hours` for `contrast` at the reference time, the host's fraction given by `host`.
    public func ratio(contrast: Double, hours t: Double, host: (Double) -> Double) -> Double {
        let r = { (t: Double) in self.halfTimeHours > 0 ? pow(2, -t / self.halfTimeHours) : 1 }
        let h = host(t)
        guard h > 0 else { return contrast }
        return contrast * r(t) / r(referenceHours) * host(referenceHours) / h
    }
}

/// One compartment of a tracer: an organ (``OrganGroup`` name) and its kinetics, with the source of the numbers.
public struct TracerCompartment: Sendable, Codable, Equatable {
    /// Creates a compartment.
    public init(organ: String, kinetics: Kinetics, source: String, blood: BloodShare? = nil) {
        self.organ = organ; self.kinetics = kinetics; self.source = source; self.blood = blood
    }
    /// Organ group name (``OrganGroup/catalog``), or a site (`injection-site`, `sentinel-node`, …).
    public var organ: String
    /// Kinetics.
    public var kinetics: Kinetics
    /// Where the numbers come from.
    public var source: String
    /// For a blood-pool tracer (``Tracer/bloodPool``): how much blood the compartment holds; its activity then
    /// follows from the one blood concentration and `kinetics` is not used. nil: `kinetics` (free tracer, excreta).
    public var blood: BloodShare?
}

/// A radiopharmaceutical's biodistribution: organ compartments with kinetics, the rest of the body taking what
/// the compartments leave of the activity still in the body, the imaging phases and the administered activity.
///
/// Every number carries its source. The models are those of ICRP Publication 128 (2015; biokinetic models of
/// ICRP 53/80/106 for the older agents), simplified to the organs a camera sees, with the imaging times of the
/// EANM/SNMMI procedure guidelines. They are population means; ``PatientVariability`` spreads them per patient.
public struct Tracer: Sendable, Codable, Equatable {
    /// Command-line name (`tc99m-mdp`).
    public var name: String
    /// Radiopharmaceutical name written to DICOM.
    public var radiopharmaceutical: String
    /// Radionuclide (``Physics/Radionuclide`` name, `Tc-99m`).
    public var nuclide: String
    /// Typical administered activity (MBq) and its source.
    public var administeredMBq: Double
    /// Imaging phases (name → hours after administration).
    public var phases: [String: Double]
    /// Default phase.
    public var defaultPhase: String
    /// Compartments (disjoint organ groups: an ID belongs to the first compartment that names it).
    public var compartments: [TracerCompartment]
    /// Whole-body retention (fraction of the administered activity still in the body, excreta in the bladder
    /// included); nil: 1 (no excretion from the body before imaging).
    public var retention: Kinetics?
    /// Source of the model as a whole.
    public var source: String
    /// Lesion kinetics against the host organ; nil: a lesion keeps its contrast at every time.
    public var lesionKinetics: LesionKinetics?
    /// True: what the voided compartments (the urinary bladder) have emptied has left the body, so the whole body
    /// holds `retention` (or 1) minus it (``Kinetics/voided(hours:)``); nil/false: `retention` alone.
    public var voidedExcretaLeaveBody: Bool?
    /// A blood-pool tracer: one blood concentration, the compartments with a ``TracerCompartment/blood`` share
    /// and the rest of the body holding blood (``BloodPool``); nil: every compartment from its kinetics.
    public var bloodPool: BloodPool?

    /// Creates a tracer.
    public init(name: String, radiopharmaceutical: String, nuclide: String, administeredMBq: Double, phases: [String: Double],
                defaultPhase: String, compartments: [TracerCompartment], retention: Kinetics?, source: String,
                lesionKinetics: LesionKinetics? = nil, voidedExcretaLeaveBody: Bool? = nil, bloodPool: BloodPool? = nil) {
        self.name = name; self.radiopharmaceutical = radiopharmaceutical; self.nuclide = nuclide; self.administeredMBq = administeredMBq
        self.phases = phases; self.defaultPhase = defaultPhase; self.compartments = compartments; self.retention = retention; self.source = source
        self.lesionKinetics = lesionKinetics; self.voidedExcretaLeaveBody = voidedExcretaLeaveBody; self.bloodPool = bloodPool
    }

    /// Fraction of the administered activity in the rest of the body (what no compartment holds) at `hours`.
    public func restFraction(hours: Double) -> Double {
        var total = retention?.fraction(hours: hours) ?? 1
        if voidedExcretaLeaveBody == true { total -= compartments.reduce(0) { $0 + $1.kinetics.voided(hours: hours) } }
        return max(0, total - compartments.reduce(0) { $0 + $1.kinetics.fraction(hours: hours) })
    }

    /// Hours for `phase` or the given `hours`; the error names the allowed phases.
    public func hours(phase: String?, hours: Double?) throws(VirtualPatientError) -> (hours: Double, phase: String?) {
        if let h = hours {
            guard h.isFinite, h > 0, h <= 24 * 30 else { throw VirtualPatientError("--hours \(h) out of range (allowed: 0 < H ≤ 720)") }
            return (h, nil)
        }
        let p = (phase ?? defaultPhase).lowercased()
        guard let h = phases[p] else {
            throw VirtualPatientError("unknown phase \(p) for \(name) (allowed: \(phases.sorted { $0.value < $1.value }.map(\.key).joined(separator: ", ")))")
        }
        return (h, p)
    }

    /// The tracer called `name`; the error lists the known ones.
    public static func named(_ name: String) throws(VirtualPatientError) -> Tracer {
        if let t = catalog.first(where: { $0.name == name.lowercased() }) { return t }
        throw VirtualPatientError("unknown tracer \(name) (allowed: \(catalog.map(\.name).joined(separator: ", ")))")
    }

    static func c(_ organ: String, _ k: Kinetics, _ source: String) -> TracerCompartment {
        TracerCompartment(organ: organ, kinetics: k, source: source)
    }
    /// A compartment of a blood-pool tracer (its kinetics: the blood's, no clearance).
    static func cb(_ organ: String, _ share: BloodShare, _ source: String) -> TracerCompartment {
        TracerCompartment(organ: organ, kinetics: .mono(0, halfTime: 0), source: source, blood: share)
    }

    /// Every tracer of issue 12.
    public static let catalog: [Tracer] = [mdp, rbc, sestamibi, pertechnetate, nanocolloid, iodide(.i123), iodide(.i131),
                                           octreotide, mibg, dotatate, fdg]

    // MARK: Tc-99m phosphonates

    /// Tc-99m MDP/HDP/DPD bone scan.
    public static let mdp = Tracer(
        name: "tc99m-mdp", radiopharmaceutical: "Tc-99m Medronate (MDP)", nuclide: "Tc-99m", administeredMBq: 600,
        // EANM bone scintigraphy guideline (Van den Wyngaert et al., EJNMMI 43:1723 (2016)): 500-740 MBq adults;
        // blood-pool images within 10 min, delayed images 2-5 h after injection.
        phases: ["early": 5.0 / 60, "delayed": 3], defaultPhase: "delayed",
        compartments: [
            // ICRP 128 (Tc-99m phosphates and phosphonates, the ICRP 53/80 model): 50 % of the activity goes to bone,
            // with the uptake nearly complete at 1 h (uptake half-time 0.5 h here); the rest is excreted by the
            // kidneys. Trabecular (axial) bone takes more per gram than the long-bone shafts: 60 % of the bone
            // uptake to the axial skeleton (a modelling choice after the regional uptake ratios in the guideline's
            // normal-variant section, not an ICRP number).
            c("axial-skeleton", .mono(0.30, uptake: 0.5), "ICRP 128 phosphonates: 50 % to bone (60 % of it axial: modelling choice)"),
            c("appendicular-skeleton", .mono(0.20, uptake: 0.5), "ICRP 128 phosphonates: 50 % to bone (40 % of it appendicular)"),
            // Blood: ~50 % of the activity in the blood at 5 min, cleared with a half-time of ~0.5 h (blood-pool
            // phase; approximate, after the blood clearance curves summarised in ICRP 53).
            c("blood-pool", .mono(0.12, halfTime: 0.5), "ICRP 53 phosphonate blood clearance (approximate: T½ 0.5 h)"),
            c("kidneys", .mono(0.03, halfTime: 2, uptake: 0.1), "ICRP 53: kidneys 2-3 % in transit (approximate)"),
            // The guideline asks the patient to drink and void before the delayed images: voiding every 2 h here.
            c("urinary-bladder-contents", .excreta(0.5, halfTime: 1.0, voiding: 2), "ICRP 128: 50 % excreted in urine; voiding before delayed imaging (EANM 2016)"),
        ],
        // Whole body: the administered activity less the urine voided before imaging. (Until 2026-12-07 the
        // retention was 1 at every time, so the urine voided at 2 h — 37.5 % of the activity — stayed in the body
        // as soft tissue: 43 % soft tissue beside 49 % bone at 3 h.) Now at 3 h: bone 49 %, bladder 6.3 %, kidneys
        // 1.1 %, blood 0.2 %, soft tissue 5.8 %, voided 37.5 % (4 h: 50 %, 0, 0.8, 0, 2.4 and 46.9 %) — near the EANM
        // guideline's pharmacokinetics (Van den Wyngaert et al., EJNMMI 43:1723 (2016): "four hours after injection approximately 50-60 % of
        // the injected amount will be fixed to the skeleton, the unbound fraction (34 %) is excreted in the urine,
        // and only 6 % remains in circulation"). Measured ranges: bone 27 % at 3 h and soft tissue ~14 % at 6 h
        // for HMDP by ROI analysis (Brenner et al., Eur J Nucl Med 1997, PMID 9323270); 24-h whole-body retention of
        // MDP 31 ± 2 % in young men, initial clearance half-time ~1 h (Calcif Tissue Int 44:322 (1989), PMID 2496903).
        retention: nil,
        source: "ICRP Publication 128 (2015), Tc-99m-labelled phosphates and phosphonates; EANM guideline 2016",
        voidedExcretaLeaveBody: true)

    // MARK: Tc-99m red blood cells

    /// Tc-99m labelled red blood cells (in vivo/in vitro), gated blood pool.
    public static let rbc = Tracer(
        name: "tc99m-rbc", radiopharmaceutical: "Tc-99m labelled red blood cells", nuclide: "Tc-99m", administeredMBq: 800,
        // EANM/ASNC equilibrium radionuclide angiocardiography guideline (Hesse et al., EJNMMI 32:855 (2005)): 800-1000 MBq.
        phases: ["equilibrium": 0.25], defaultPhase: "equilibrium",
        compartments: [
            // The label stays in the blood (ICRP 128, Tc-99m RBC: biological half-time of the blood pool ≫ physical),
            // and the blood is one pool: every blood space has ONE concentration (``BloodPool``). (Until 2026-12-07 the
            // activity was shared by ICRP 89 blood-volume percentages over ICRP-110 labels whose volumes are not those
            // blood volumes — 142 mL of lung-blood voxels (AM) took the 10.5 % of the pulmonary blood, 257 mL of trunk
            // vessels 14 % — so the lung blood held 1.0–3.6 × and the large vessels 0.5–2.7 × the heart's blood
            // concentration, and the lung tissue only the rest of the body's.)
            // Pure blood at the blood concentration: the heart contents (ID 88; the analytic chambers of a gated study),
            // the lungs' blood labels (IDs 96/98), the blood vessels of the trunk (ID 10) and of the head, arms and
            // legs (IDs 9, 11, 12: what "blood-pool" has left).
            cb("heart-contents", .blood, "one blood concentration: heart chambers (ICRP 89 Table 2.14: 9 % of the blood; ICRP-110 ID 88 holds 481/349 mL AM/AF)"),
            cb("lung-blood", .blood, "one blood concentration: the lungs' blood labels (ICRP-110 IDs 96/98)"),
            cb("large-vessels", .blood, "one blood concentration: blood vessels of the trunk (ICRP-110 ID 10)"),
            cb("blood-pool", .blood, "one blood concentration: blood vessels of the head, arms and legs (ICRP-110 IDs 9, 11, 12)"),
            // Tissues at the blood concentration × their regional blood fraction: ICRP 89 Table 2.14 blood volume (% of
            // the total, the same in the male and female columns for these tissues) ÷ the ICRP 89 Table 2.8 organ
            // mass at 1.05 g/mL (the ICRP-110 phantoms' volumes of these labels are those masses at that density):
            //   liver 10 %: male 530 mL in 1800 g → 0.309, female 390 mL in 1400 g → 0.293;
            //   spleen 1.4 %: 74 mL in 150 g → 0.519, 55 mL in 130 g → 0.441;
            //   kidneys 2 %: 106 mL in 310 g → 0.359, 78 mL in 275 g → 0.298;
            //   (heart wall: see below — the measured myocardial blood volume, not ICRP 89's coronary tissue 1 %);
            //   lungs (pulmonary tissue) 10.5 %: 557 / 410 mL, of which the blood labels 96/98 hold 142 / 96 mL, the
            //   rest in the lung tissue (IDs 97/99: 2749 / 2205 mL) → 0.151 / 0.142.
            // (The large arteries and veins, 6 + 18 %, are more than the vessel labels hold: the rest of their blood is
            // in the rest of the body with the muscle's, fat's, skeleton's, skin's, … blood.)
            cb("liver", .tissue(percent: 10), "ICRP 89 Table 2.14: liver 10 % of the blood (regional blood fraction 0.31 M / 0.29 F)"),
            cb("spleen", .tissue(percent: 1.4), "ICRP 89 Table 2.14: spleen 1.4 % (0.52 M / 0.44 F)"),
            cb("kidneys", .tissue(percent: 2), "ICRP 89 Table 2.14: kidneys 2 % (0.36 M / 0.30 F)"),
            // Heart wall (and the gated myocardium): the measured intramyocardial blood volume, not ICRP 89's coronary
            // tissue share. ICRP 89 Table 2.14 gives 1 % of the blood (53 / 39 mL) to "coronary tissue" — a share of the
            // body's blood given to the coronary circulation as a whole, not a measured fraction of the myocardium; over
            // the heart-wall label it is 0.169 / 0.164 mL/mL. Myocardial blood volume measured in 41 healthy subjects with
            // quantitative first-pass CMR: ≈ 9 % of the LV myocardium at rest (12 % under adenosine) — Nickander et
            // al., J Cardiovasc Magn Reson 21:73 (2019), Fig. 4. At 0.17 the virtual patients' LV walls were about twice
            // as hot as a patient's, and the wall is most of what lies under the LV beside the lung the background
            // region sees (issue 18, docs/lvef.md session 15, branch lvef12).
            cb("heart-wall", .regional(fraction: 0.09), "myocardial blood volume 9 % at rest (Nickander et al., J Cardiovasc Magn Reson 21:73 (2019)); ICRP 89 Table 2.14 coronary tissue 1 % would give 0.17"),
            cb("lungs", .tissue(percent: 10.5, besides: "lung-blood"), "ICRP 89 Table 2.14: pulmonary 10.5 %, less the lung-blood labels (lung tissue 0.15 M / 0.14 F)"),
            // Free pertechnetate (labelling efficiency ~95 %): not in the blood pool, from its kinetics.
            c("stomach-wall", .mono(0.005, halfTime: 0), "free pertechnetate (labelling efficiency ~95 %): gastric mucosa"),
            c("urinary-bladder-contents", .excreta(0.03, halfTime: 2), "free pertechnetate excreted (approximate)"),
        ],
        retention: nil,
        source: "ICRP Publication 128 (Tc-99m RBC); ICRP Publication 89 Table 2.14 (regional blood volumes)",
        // ICRP Publication 89 (2002), reference total blood volume of the adult: 5.3 L (male), 3.9 L (female).
        bloodPool: BloodPool(maleBloodML: 5300, femaleBloodML: 3900, source: "ICRP Publication 89: total blood volume 5.3 L (adult male), 3.9 L (adult female)"))

    // MARK: Sestamibi and pertechnetate (parathyroid)

    /// Tc-99m sestamibi, dual-phase parathyroid imaging.
    public static let sestamibi = Tracer(
        name: "tc99m-sestamibi", radiopharmaceutical: "Tc-99m Sestamibi", nuclide: "Tc-99m", administeredMBq: 700,
        // EANM parathyroid guideline (Petranović Ovčariček et al., EJNMMI 48:2801 (2021)): 400-900 MBq; early 10 min,
        // delayed 1.5-3 h.
        phases: ["early": 10.0 / 60, "delayed": 2], defaultPhase: "early",
        compartments: [
            // ICRP 128 (Tc-99m MIBI): heart wall 1.5 %, liver 6 % early falling with hepatobiliary excretion,
            // kidneys 3 %, salivary glands ~1 %, thyroid 0.1-0.2 % with a washout half-time ~1 h (faster than
            // adenomas: the guideline's basis of dual-phase imaging).
            c("myocardium", .mono(0.015, halfTime: 8), "ICRP 128 MIBI: heart wall 1.5 %"),
            c("liver", .mono(0.06, halfTime: 0.5), "ICRP 128 MIBI: liver 6 %, hepatobiliary clearance"),
            c("gallbladder", .excreta(0.03, halfTime: 0.7, voiding: nil), "ICRP 128 MIBI: biliary excretion (approximate)"),
            c("small-intestine", .excreta(0.15, halfTime: 1.5, voiding: nil), "ICRP 128 MIBI: 1/3 of excretion via the gut"),
            c("kidneys", .mono(0.03, halfTime: 1.5), "ICRP 128 MIBI: kidneys 3 %"),
            c("thyroid", .mono(0.0015, halfTime: 1.0), "thyroid 0.15 %, washout T½ ~1 h (EANM guideline 2021)"),
            c("salivary-glands", .mono(0.01, halfTime: 1.5), "salivary 1 % (approximate)"),
            c("urinary-bladder-contents", .excreta(0.25, halfTime: 2), "ICRP 128 MIBI: 2/3 of excretion in urine (approximate)"),
        ],
        retention: nil, source: "ICRP Publication 128 (Tc-99m MIBI); EANM parathyroid guideline 2021",
        // Adenomas retain sestamibi (mitochondria-rich oxyphil cells) while the thyroid washes out (T½ ~1 h): the basis
        // of dual-phase imaging (EANM 2021; O'Doherty et al., J Nucl Med 33:313 (1992), tissue uptake studies).
        // Adenoma retention half-time 4 h: approximate (modelling choice); contrast stated at the early phase.
        lesionKinetics: LesionKinetics(halfTimeHours: 4, referenceHours: 10.0 / 60,
                                       source: "adenoma retention T½ 4 h vs thyroid washout T½ 1 h (EANM 2021; O'Doherty 1992; approximate); contrast at 10 min"))

    /// Tc-99m pertechnetate (thyroid image for parathyroid subtraction).
    public static let pertechnetate = Tracer(
        name: "tc99m-pertechnetate", radiopharmaceutical: "Tc-99m Pertechnetate", nuclide: "Tc-99m", administeredMBq: 75,
        // EANM thyroid guideline: 37-185 MBq, imaging at 20 min.
        phases: ["early": 20.0 / 60], defaultPhase: "early",
        compartments: [
            // ICRP 128 (pertechnetate, no blocking): thyroid 2 % uptake (half-time of uptake ~0.3 h), salivary
            // glands ~3 %, stomach wall 4-5 %.
            c("thyroid", .mono(0.02, halfTime: 24, uptake: 0.3), "ICRP 128 pertechnetate: thyroid 2 %"),
            c("salivary-glands", .mono(0.03, halfTime: 2, uptake: 0.2), "ICRP 128 pertechnetate: salivary glands 3 %"),
            c("stomach-wall", .mono(0.05, halfTime: 2, uptake: 0.2), "ICRP 128 pertechnetate: stomach wall 5 %"),
            c("blood-pool", .mono(0.15, halfTime: 3), "blood-pool share (approximate)"),
            c("urinary-bladder-contents", .excreta(0.3, halfTime: 3), "ICRP 128 pertechnetate: urinary excretion"),
        ],
        retention: nil, source: "ICRP Publication 128 (pertechnetate)")

    // MARK: Nanocolloid (sentinel node)

    /// Tc-99m nanocolloid, breast sentinel node: the sites are placed by ``VirtualPatient`` (left breast, axilla).
    public static let nanocolloid = Tracer(
        name: "tc99m-nanocolloid", radiopharmaceutical: "Tc-99m Nanocolloid", nuclide: "Tc-99m", administeredMBq: 40,
        // EANM/SNMMI breast sentinel node guideline (Giammarile et al., EJNMMI 40:1932 (2013)): 5-120 MBq intradermal or
        // peritumoral; imaging at 15-30 min and 2-4 h; 0.5-2 % of the injected activity in the sentinel node(s).
        phases: ["early": 0.5, "delayed": 3], defaultPhase: "delayed",
        compartments: [
            c("injection-site", .mono(0.95, halfTime: 30), "guideline: most of the colloid stays at the injection site"),
            c("lymphatic-channel", .mono(0.01, halfTime: 0.5), "channel seen early, fading (approximate)"),
            c("sentinel-node", .mono(0.012, halfTime: 0, uptake: 0.3), "guideline: 0.5-2 % in the sentinel node"),
            c("second-echelon-node", .mono(0.003, halfTime: 0, uptake: 1), "second echelon ~1/4 of the sentinel (approximate)"),
            c("liver", .mono(0.01, halfTime: 0, uptake: 1), "colloid reaching the circulation is taken by the liver"),
        ],
        retention: nil, source: "EANM/SNMMI breast sentinel node guideline 2013")

    // MARK: Iodide

    enum Iodine { case i123, i131 }
    static func iodide(_ kind: Iodine) -> Tracer {
        let is123 = kind == .i123
        // ICRP 128 systemic iodide model (ICRP 53/ Leggett-type simplification): thyroid uptake 30 % (euthyroid
        // reference), uptake half-time ~6 h, thyroidal iodine turned over with 80 d; stomach wall and salivary glands
        // secrete iodide briefly; urinary excretion of what is not trapped, 3.5 h voiding.
        return Tracer(
            name: is123 ? "i123-iodide" : "i131-iodide", radiopharmaceutical: is123 ? "I-123 Sodium Iodide" : "I-131 Sodium Iodide",
            nuclide: is123 ? "I-123" : "I-131", administeredMBq: is123 ? 20 : 3700,
            // I-123: 7-25 MBq uptake/scan (EANM thyroid guideline); I-131 3.7 GBq ablation, post-therapy scan at 3-7 d.
            phases: is123 ? ["uptake-4h": 4, "uptake-24h": 24] : ["uptake-24h": 24, "post-therapy": 72, "whole-body": 72],
            defaultPhase: is123 ? "uptake-24h" : "post-therapy",
            compartments: [
                // I-131 is given after thyroidectomy (ablation/therapy): the remnant takes 1-5 % (EANM I-131 therapy
                // guideline, Luster et al., EJNMMI 35:1941 (2008)); 2 % here, with a faster remnant turnover (T_bio 7 d).
                c("thyroid", is123 ? Kinetics([0.30], halfTimes: [80 * 24], uptake: 6) : Kinetics([0.02], halfTimes: [7 * 24], uptake: 6),
                  is123 ? "ICRP 128 iodide: thyroid uptake 30 %, T_up 6 h, T_bio 80 d" : "EANM 2008: post-thyroidectomy remnant 2 % (1-5 %)"),
                c("stomach", .mono(0.04, halfTime: 4, uptake: 0.5), "ICRP 128 iodide: gastric secretion (approximate)"),
                c("salivary-glands", .mono(0.01, halfTime: 4, uptake: 0.5), "salivary secretion (approximate)"),
                c("urinary-bladder-contents", .excreta(is123 ? 0.66 : 0.92, halfTime: 6), "ICRP 128: non-thyroidal iodide excreted in urine"),
            ],
            // I-131: plus ~1 % as organic (protein-bound) iodine circulating with a ~10 d half-time (approximate, after
            // the organic-iodine compartment of the ICRP 128 systemic model): the faint body background of a post-therapy scan.
            retention: is123 ? Kinetics([0.30, 0.70], halfTimes: [80 * 24, 6]) : Kinetics([0.02, 0.01, 0.97], halfTimes: [7 * 24, 240, 6]),
            source: "ICRP Publication 128 (iodide); EANM thyroid and I-131 therapy guidelines")
    }

    // MARK: In-111 octreotide

    /// In-111 pentetreotide (OctreoScan).
    public static let octreotide = Tracer(
        name: "in111-octreotide", radiopharmaceutical: "In-111 Pentetreotide", nuclide: "In-111", administeredMBq: 200,
        // EANM guideline (Bombardieri et al., EJNMMI 37:1441 (2010)): 110-220 MBq; images at 4, 24 (and 48) h.
        phases: ["4h": 4, "24h": 24, "48h": 48], defaultPhase: "24h",
        compartments: [
            // ICRP 128 (In-111 pentetreotide, after Krenning et al. 1992): kidneys 6 %, liver 2 %, spleen 1 % with
            // long retention; 85 % urinary excretion by 24 h; ~2 % to the bowel (late images).
            c("kidneys", .mono(0.06, halfTime: 60, uptake: 0.5), "ICRP 128 In-111 pentetreotide: kidneys 6 %"),
            c("liver", .mono(0.02, halfTime: 60, uptake: 0.5), "ICRP 128: liver 2 %"),
            c("spleen", .mono(0.01, halfTime: 60, uptake: 0.5), "ICRP 128: spleen 1 %"),
            c("bowel", .excreta(0.02, halfTime: 12, voiding: nil), "ICRP 128: ~2 % hepatobiliary to the gut"),
            c("urinary-bladder-contents", .excreta(0.85, halfTime: 4), "ICRP 128: 85 % urinary excretion in 24 h"),
        ],
        // Whole-body retention: a slow part a little larger than the organ uptakes (diffuse soft-tissue background).
        retention: Kinetics([0.12, 0.05, 0.83], halfTimes: [60, 6, 4]),
        source: "ICRP Publication 128 (In-111 pentetreotide); EANM guideline 2010",
        // Receptor-bound pentetreotide is internalised and retained by tumours over 48 h while the liver washes out
        // (T½ 60 h above), so the tumour-to-liver ratio rises from 4 to 48 h (Krenning et al., Eur J Nucl Med 20:716
        // (1993); EANM 2010: 24 h images have the best tumour-to-background). Contrast stated at 24 h.
        lesionKinetics: LesionKinetics(halfTimeHours: 0, referenceHours: 24,
                                       source: "tumour retained (no washout over 48 h) vs liver T½ 60 h (Krenning 1993; EANM 2010); contrast at 24 h"))

    // MARK: I-123 MIBG

    /// I-123 MIBG (cardiac sympathetic imaging, adrenals).
    public static let mibg = Tracer(
        name: "i123-mibg", radiopharmaceutical: "I-123 Iobenguane (MIBG)", nuclide: "I-123", administeredMBq: 185,
        // EANM cardiac MIBG proposal (Flotats et al., EJNMMI 37:1802 (2010)): 111-370 MBq, early 15 min and late 4 h;
        // normal late H/M ≈ 1.9-2.8 (medium-energy collimator).
        phases: ["early": 0.25, "late": 4], defaultPhase: "late",
        compartments: [
            // ICRP 128 (I-123 MIBG): liver 33 % initially (fast and slow parts), heart wall 0.8 %, salivary glands,
            // adrenal medulla small; 70 % urinary excretion in 24 h.
            // Heart wall 2 %: set so that the late planar H/M comes out ≈ 2 in the ICRP-110 patients (EANM normal
            // range 1.9-2.8 with medium-energy collimation); a modelling choice above ICRP 128's ~0.8 %.
            c("myocardium", .mono(0.02, halfTime: 24), "heart wall 2 %: late H/M ≈ 2 (EANM 2010 normal range); ICRP 128 ~0.8 %"),
            c("liver", Kinetics([0.1, 0.06], halfTimes: [2, 48]), "ICRP 128 MIBG: liver (approximate split)"),
            c("salivary-glands", .mono(0.01, halfTime: 6), "ICRP 128 MIBG: salivary glands"),
            c("adrenals", .mono(0.0005, halfTime: 48, uptake: 1), "ICRP 128 MIBG: adrenal medulla"),
            c("urinary-bladder-contents", .excreta(0.7, halfTime: 6), "ICRP 128 MIBG: 70 % urinary excretion"),
        ],
        retention: Kinetics([0.3, 0.7], halfTimes: [72, 6]),
        source: "ICRP Publication 128 (MIBG); EANM cardiac MIBG recommendations 2010")

    // MARK: Lu-177 DOTATATE

    /// Lu-177 DOTATATE therapy, imaged at 4, 24, 72 and 168 h (the 4 time points of the dosimetry).
    public static let dotatate = Tracer(
        name: "lu177-dotatate", radiopharmaceutical: "Lu-177 Oxodotreotide (DOTATATE)", nuclide: "Lu-177", administeredMBq: 7400,
        // Lutathera SmPC: 7.4 GBq per cycle; EANM dosimetry guidance (Sjögreen Gleisner et al., EJNMMI 49:1778 (2022))
        // time points ~4, 24, 72-96, 168 h.
        phases: ["4h": 4, "24h": 24, "72h": 72, "168h": 168], defaultPhase: "24h",
        compartments: [
            // Bi-exponential (fast + slow) per organ, after the SmPC's biodistribution and the kinetics reported
            // with it (kidney effective half-life ~50 h, liver/spleen ~70 h, marrow fast): approximate values.
            c("kidneys", Kinetics([0.01, 0.035], halfTimes: [3, 100], uptake: 0.5), "Lutathera SmPC / EANM 2022: kidneys ~4 % at 24 h, slow T_bio ~100 h"),
            c("liver", Kinetics([0.01, 0.02], halfTimes: [3, 300], uptake: 0.5), "Lutathera SmPC: liver (approximate)"),
            c("spleen", Kinetics([0.002, 0.008], halfTimes: [3, 200], uptake: 0.5), "Lutathera SmPC: spleen (approximate)"),
            c("red-marrow", Kinetics([0.01, 0.002], halfTimes: [2, 100]), "red marrow: fast blood-borne + slow part (approximate)"),
            c("urinary-bladder-contents", .excreta(0.8, halfTime: 5), "SmPC: 65 % urinary excretion in 24 h, >80 % in 48 h"),
        ],
        retention: Kinetics([0.2, 0.8], halfTimes: [150, 5]),
        source: "Lutathera SmPC (EMA 2017); EANM dosimetry guidance 2022")

    // MARK: F-18 FDG

    /// F-18 FDG (PET).
    public static let fdg = Tracer(
        name: "f18-fdg", radiopharmaceutical: "Fludeoxyglucose F18", nuclide: "F-18", administeredMBq: 250,
        // EANM FDG PET/CT guideline 2.0 (Boellaard et al., EJNMMI 42:328 (2015)): uptake period 60 min.
        phases: ["60min": 1], defaultPhase: "60min",
        compartments: [
            // ICRP 128 (F-18 FDG): brain 8 %, heart wall 4 %, liver 5 %, lungs 3 %, kidneys urinary excretion 24 %
            // (T 0.2 h / 1.5 h), bladder voided at 1 h here not modelled (no voiding).
            c("brain", .mono(0.08, uptake: 0.1), "ICRP 128 FDG: brain 8 %"),
            c("myocardium", .mono(0.04, uptake: 0.1), "ICRP 128 FDG: heart wall 4 %"),
            c("liver", .mono(0.05, uptake: 0.1), "ICRP 128 FDG: liver 5 %"),
            c("lungs", .mono(0.03, uptake: 0.1), "ICRP 128 FDG: lungs 3 %"),
            c("kidneys", .mono(0.01, halfTime: 1, uptake: 0.1), "kidneys in transit (approximate)"),
            c("urinary-bladder-contents", .excreta(0.24, halfTime: 0.7, voiding: nil), "ICRP 128 FDG: 24 % urinary excretion"),
        ],
        retention: nil, source: "ICRP Publication 128 (F-18 FDG); EANM FDG guideline 2015")
}
