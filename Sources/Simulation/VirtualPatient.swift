import Dispatch
import Foundation
import Imaging
import Physics

/// How one patient differs from the reference phantom: body size, pose on the table, organ function.
public struct PatientVariability: Sendable, Codable, Equatable {
    /// Scale along the body axis (height / reference height).
    public var heightScale: Double
    /// Scale across the body (left–right and anterior–posterior: girth).
    public var girthScale: Double
    /// Rotation about the body axis (degrees, positive from +x towards +y).
    public var rotationDeg: Double
    /// Table offset of the patient (LPS, mm).
    public var offsetMM: Vector3
    /// Log-normal σ of each organ's activity (multiplier exp(σN − σ²/2), mean 1).
    public var organSigma: Double
    /// Arms raised out of the field of view (SPECT): the arm IDs are cropped from the patient.
    public var armsRaised: Bool
    /// Repositioning at a later visit of a serial study (``VisitMotion``): applied after the patient's own pose, so
    /// that the anatomy at first-visit point p lies at the motion's image of p; nil at the first visit.
    public var visitMotion: VisitMotion?

    /// Creates a variability.
    public init(heightScale: Double = 1, girthScale: Double = 1, rotationDeg: Double = 0, offsetMM: Vector3 = .zero,
                organSigma: Double = 0, armsRaised: Bool = false, visitMotion: VisitMotion? = nil) {
        self.heightScale = heightScale; self.girthScale = girthScale; self.rotationDeg = rotationDeg
        self.offsetMM = offsetMM; self.organSigma = organSigma; self.armsRaised = armsRaised; self.visitMotion = visitMotion
    }

    /// The reference phantom as it is (no variation).
    public static let reference = PatientVariability()

    /// A patient drawn from `seed`: height ×N(1, 0.04) (±8 %), girth ×N(1, 0.08) (±15 %), rotation N(0, 2°) (±5°),
    /// table offset N(0, 10 mm) in x and y, organ activities log-normal with σ = 0.25.
    public static func draw(seed: UInt64, armsRaised: Bool = false) -> PatientVariability {
        var g = SeededGenerator(seed: seed, stream: 0x9A71)
        func clip(_ v: Double, _ a: Double) -> Double { min(max(v, -a), a) }
        return PatientVariability(heightScale: 1 + clip(0.04 * g.normal(), 0.08), girthScale: 1 + clip(0.08 * g.normal(), 0.15),
                                  rotationDeg: clip(2 * g.normal(), 5), offsetMM: Vector3(10 * g.normal(), 10 * g.normal(), 0),
                                  organSigma: 0.25, armsRaised: armsRaised)
    }

    /// Phantom coordinates (mm, grid centred) → patient LPS (the visit motion, if any, applied last).
    public func toPatient(_ q: Vector3) -> Vector3 {
        let a = rotationDeg * .pi / 180, c = cos(a), s = sin(a)
        let x = q.x * girthScale, y = q.y * girthScale
        let p = Vector3(c * x - s * y, s * x + c * y, q.z * heightScale) + offsetMM
        return visitMotion.map { $0.apply(p) } ?? p
    }
    /// Patient LPS → phantom coordinates.
    public func toPhantom(_ p: Vector3) -> Vector3 {
        let a = rotationDeg * .pi / 180, c = cos(a), s = sin(a)
        let d = (visitMotion.map { $0.inverse(p) } ?? p) - offsetMM
        return Vector3((c * d.x + s * d.y) / girthScale, (-s * d.x + c * d.y) / girthScale, d.z / heightScale)
    }
    /// Volume scale factor.
    public var volumeScale: Double { girthScale * girthScale * heightScale }
}

/// A lesion request: `REGION:DIAMETER_MM:CONTRAST` (contrast = lesion concentration / host-organ concentration).
public struct LesionSpec: Sendable, Codable, Equatable {
    /// Region: an ``OrganGroup`` name (`thoracic-spine`, `liver`, …) or a special site (`parathyroid-left`,
    /// `parathyroid-right`, `mediastinum`, `axilla-left`, `axilla-right`).
    public var region: String
    /// Diameter (mm).
    public var diameterMM: Double
    /// Concentration relative to the host organ (or to the rest of the body where the host has none).
    public var contrast: Double
    /// Creates a request.
    public init(region: String, diameterMM: Double, contrast: Double) { self.region = region; self.diameterMM = diameterMM; self.contrast = contrast }

    /// Special sites besides the organ groups.
    public static let specialSites = ["parathyroid-left", "parathyroid-right", "mediastinum", "axilla-left", "axilla-right"]

    /// Parses `REGION:DIAMETER_MM:CONTRAST`; the error names the value and what is allowed.
    public static func parse(_ text: String) throws(VirtualPatientError) -> LesionSpec {
        let f = text.split(separator: ":").map(String.init)
        guard f.count == 3, let d = Double(f[1]), let c = Double(f[2]) else {
            throw VirtualPatientError("--lesion \(text): expected REGION:DIAMETER_MM:CONTRAST, e.g. thoracic-spine:15:5")
        }
        guard d.isFinite, d >= 2, d <= 150 else { throw VirtualPatientError("--lesion \(text): diameter \(f[1]) mm (allowed: 2–150)") }
        guard c.isFinite, c >= 0, c <= 1000 else { throw VirtualPatientError("--lesion \(text): contrast \(f[2]) (allowed: 0–1000)") }
        let region: String
        do {
            if Vertebra.looksLikeVertebra(f[0]) { region = try Vertebra.named(f[0]).name } else {
                region = f[0].lowercased()
                if !specialSites.contains(region) { _ = try OrganGroup.named(region) }
            }
        } catch { throw VirtualPatientError("--lesion \(text): \(error.description)") }
        return LesionSpec(region: region, diameterMM: d, contrast: c)
    }

    /// `REGION:DIAMETER_MM:CONTRAST` as given.
    public var text: String { "\(region):\(String(format: "%g", diameterMM)):\(String(format: "%g", contrast))" }
}

/// Truth of one organ (compartment) of a virtual patient.
public struct OrganTruth: Sendable, Codable, Equatable {
    /// Name (organ group, site or `rest-of-body`).
    public var name: String
    /// Mass (g) in the patient (labels × media densities × the volume scale).
    public var massG: Double
    /// Volume on the simulation grid (mL).
    public var volumeML: Double
    /// Activity at the acquisition start (MBq).
    public var activityMBq: Double
    /// Fraction of the administered activity (biological, no decay) at the imaging time.
    public var fractionOfAdministered: Double
    /// Time-integrated activity from administration to infinity (MBq·h), physical decay included.
    public var timeIntegratedActivityMBqH: Double?
    /// Source of the kinetics.
    public var source: String?
}

/// Truth of one lesion.
public struct LesionTruth: Sendable, Codable, Equatable {
    public var region: String
    public var diameterMM: Double
    public var contrast: Double
    /// Centre (LPS, mm).
    public var centerLPS: [Double]
    /// Concentration at the acquisition start (Bq/mL).
    public var concentrationBqPerML: Double
    /// Activity (MBq).
    public var activityMBq: Double
    /// Host organ ID at the centre (ICRP-110) and its name.
    public var hostOrgan: String
    /// Time at which `contrast` (lesion / host concentration, the `--lesion` value) holds (h after administration;
    /// the tracer's ``LesionKinetics``, else the imaging time).
    public var contrastReferenceHours: Double? = nil
    /// Lesion / host concentration at this acquisition (rises with time where tumours retain the tracer longer).
    public var contrastAtAcquisition: Double? = nil
    /// Vertebra (`T7`) when the region names one.
    public var vertebra: String? = nil
    /// Pixel (0-based column, row) of the centre in every planar view (filled when the study is planar/whole-body).
    public var pixel: [String: [Int]] = [:]
}

/// What a virtual patient was: phantom, variability, tracer, time, organs and lesions.
public struct PatientTruth: Sendable, Codable, Equatable {
    public var phantom: String
    public var phantomSource = "ICRP Publication 110 adult reference computational phantoms (ICRP 2009, Ann. ICRP 39(2)), OpenDose packaging (Chauvin et al., Phys Med 2017, doi:10.1016/j.ejmp.2017.09.081)"
    public var tracer: String
    public var tracerSource: String
    public var phase: String?
    public var hoursAfterAdministration: Double
    public var administeredMBq: Double
    public var patientSeed: UInt64?
    public var variability: PatientVariability
    public var organs: [OrganTruth]
    public var lesions: [LesionTruth]
    /// What is modelled and what is not (arms, voiding, …).
    public var notes: [String]
    /// LV and RV ejection fractions (%), gated studies.
    public var lvefPercent: Double?
    public var rvefPercent: Double?
    /// Repositioning of this visit relative to the first visit of a serial study (``VisitMotion``).
    public var visitMotion: VisitMotion?
    /// Normal uptake that is not a lesion (joints, growth plates, injection site, kidneys, bladder), with positions.
    public var physiology: [PhysiologyTruth] = []
}

/// A virtual patient: an ICRP-110 phantom, varied, with a tracer's biodistribution at an imaging time and
/// lesions; sampled onto the simulation grid as a ``VoxelizedPhantom`` whose μ comes from the media's elemental
/// composition (``Physics/Medium``).
public struct VirtualPatient: Sendable {
    public var phantom: ICRPPhantom
    public var tracer: Tracer
    public var hours: Double
    public var phase: String?
    public var variability: PatientVariability
    public var lesions: [LesionSpec]
    public var administeredMBq: Double
    public var patientSeed: UInt64?
    /// Paravenous extravasation at the injection site (bone scans).
    public var extravasation: Bool
    /// Growth plates of a young patient (bone scans; ``boneScanSites()``).
    public var growthPlates = false
    /// A beating heart (gated studies): the analytic LV cavity, myocardium, RV and atria of ``HeartState``,
    /// centred on the phantom's heart, painted over the ICRP-110 heart (whose contents are one undivided label).
    public var heart: HeartState?

    /// Creates a patient.
    public init(phantom: ICRPPhantom, tracer: Tracer, hours: Double, phase: String? = nil, variability: PatientVariability = .reference,
                lesions: [LesionSpec] = [], administeredMBq: Double? = nil, patientSeed: UInt64? = nil, extravasation: Bool = false) {
        self.phantom = phantom; self.tracer = tracer; self.hours = hours; self.phase = phase; self.variability = variability
        self.lesions = lesions; self.administeredMBq = administeredMBq ?? tracer.administeredMBq; self.patientSeed = patientSeed
        self.extravasation = extravasation
    }

    /// A sphere (site or lesion) in patient coordinates with its compartment name.
    struct Sphere {
        var name: String; var center: Vector3; var radius: Double; var capsuleEnd: Vector3?
        /// A general solid in patient coordinates instead of the sphere/capsule (the gated heart chambers).
        var shape: Shape? = nil
        /// A site inside a tracer compartment (joints, growth plates): painted only over `only` IDs, with `ratio` ×
        /// that compartment's concentration (the compartment's activity shared with it).
        var parent: String? = nil, ratio = 1.0, only: Set<Int>? = nil
    }

    /// Voxel centres (phantom coordinates) of a group.
    func voxels(of g: OrganGroup) -> [Vector3] {
        let geo = phantom.geometry, n = phantom.size
        let cx = Double(n.x - 1) / 2
        var out: [Vector3] = []
        for k in 0..<n.z {
            for j in 0..<n.y {
                let base = n.x * (j + n.y * k)
                for i in 0..<n.x where g.ids.contains(Int(phantom.labels[base + i])) {
                    if let s = g.side, (s == .left) != (Double(i) > cx) { continue }
                    out.append(geo.patientPosition(i, j, k))
                }
            }
        }
        return out
    }

    func label(atPhantom q: Vector3) -> Int {
        let n = phantom.size, sp = phantom.spacingMM
        let i = Int((q.x / sp.x + Double(n.x - 1) / 2).rounded()), j = Int((q.y / sp.y + Double(n.y - 1) / 2).rounded())
        let k = Int((q.z / sp.z + Double(n.z - 1) / 2).rounded())
        guard i >= 0, j >= 0, k >= 0, i < n.x, j < n.y, k < n.z else { return 0 }
        return Int(phantom.labels[i + n.x * (j + n.y * k)])
    }

    static func centroid(_ ps: [Vector3]) -> Vector3 { ps.reduce(Vector3.zero, +) * (1 / Double(max(1, ps.count))) }

    /// Sites of the tracer (injection, lymphatic channel, nodes) in phantom coordinates.
    func siteSpheres() throws(VirtualPatientError) -> [Sphere] {
        var out: [Sphere] = []
        let names = Set(tracer.compartments.map(\.organ))
        if names.contains("injection-site") && tracer.name == "tc99m-nanocolloid" {
            let breast = voxels(of: OrganGroup(name: "b", ids: [63]))
            guard !breast.isEmpty else { throw VirtualPatientError("\(phantom.kind.rawValue): no left breast glandular tissue (ID 63) for the injection site") }
            let inj = Self.centroid(breast) + Vector3(20, -10, 15)
            let nodes = voxels(of: OrganGroup(name: "n", ids: [103], side: .left)).filter { $0.z > inj.z + 30 && $0.z < inj.z + 200 }
            let sentinel = nodes.max { $0.x < $1.x } ?? inj + Vector3(60, 20, 90)
            let second = sentinel + Vector3(-30, -5, 45)
            out.append(Sphere(name: "injection-site", center: inj, radius: 8, capsuleEnd: nil))
            out.append(Sphere(name: "lymphatic-channel", center: inj, radius: 2, capsuleEnd: sentinel))
            out.append(Sphere(name: "sentinel-node", center: sentinel, radius: 6, capsuleEnd: nil))
            out.append(Sphere(name: "second-echelon-node", center: second, radius: 5, capsuleEnd: nil))
        }
        return out
    }

    /// Antecubital-vein injection site (right elbow, anterior), phantom coordinates; nil when the arms are cropped.
    func antecubital() -> Vector3? {
        guard !variability.armsRaised else { return nil }
        let arm = voxels(of: OrganGroup(name: "a", ids: [16, 17, 18], side: .right))
        guard let zMin = arm.map(\.z).min() else { return nil }
        let elbow = arm.filter { $0.z < zMin + 2 * phantom.spacingMM.z }
        return Self.centroid(elbow) + Vector3(0, -15, 0)
    }

    /// Lesion centres (phantom coordinates), drawn from the patient seed.
    func lesionCentres() throws(VirtualPatientError) -> [Vector3] {
        var g = SeededGenerator(seed: patientSeed ?? 0, stream: 0x1E5)
        var out: [Vector3] = []
        for l in lesions {
            let c: Vector3
            switch l.region {
            case "parathyroid-left", "parathyroid-right":
                let lobe = voxels(of: try OrganGroup.named(l.region == "parathyroid-left" ? "thyroid-left" : "thyroid-right"))
                guard let low = lobe.min(by: { $0.z < $1.z }) else { throw VirtualPatientError("no thyroid lobe for \(l.region)") }
                c = low + Vector3(0, 5, -l.diameterMM / 2 - 3)
            case "mediastinum":
                let heart = voxels(of: try OrganGroup.named("heart-contents"))
                guard let top = heart.max(by: { $0.z < $1.z }) else { throw VirtualPatientError("no heart for \(l.region)") }
                c = Vector3(0, top.y - 10, top.z + 40)
            case "axilla-left", "axilla-right":
                let side: OrganGroup.Side = l.region == "axilla-left" ? .left : .right
                let nodes = voxels(of: OrganGroup(name: "n", ids: [103], side: side))
                guard let lat = nodes.max(by: { abs($0.x) < abs($1.x) }) else { throw VirtualPatientError("no trunk lymph nodes for \(l.region)") }
                c = lat
            default:
                let vertebra = Vertebra.looksLikeVertebra(l.region) ? try Vertebra.named(l.region) : nil
                let group = try OrganGroup.named(vertebra?.region ?? l.region)
                var vs = voxels(of: group)
                let kind = phantom.kind.rawValue
                guard !vs.isEmpty else {
                    throw VirtualPatientError("lesion \(l.text): \(kind) has no \(l.region) (allowed in \(kind): \(presentRegions().joined(separator: ", ")))")
                }
                if let v = vertebra {
                    // The level's share of its spine region along the body axis (``Vertebra``).
                    let top = vs.map(\.z).max()! + phantom.spacingMM.z / 2, length = top - vs.map(\.z).min()! + phantom.spacingMM.z / 2
                    let b = try Vertebra.band(v.name)
                    vs = vs.filter { $0.z <= top - b.fromTop * length && $0.z > top - b.toTop * length }
                    guard !vs.isEmpty else { throw VirtualPatientError("lesion \(l.text): no voxels of \(v.name) in the \(v.region) of \(kind)") }
                }
                // The lesion must fit its region: diameter ≤ the region's largest extent (reference phantom).
                let lo = vs.reduce(Vector3(.infinity, .infinity, .infinity)) { Vector3(min($0.x, $1.x), min($0.y, $1.y), min($0.z, $1.z)) }
                let hi = vs.reduce(-lo) { Vector3(max($0.x, $1.x), max($0.y, $1.y), max($0.z, $1.z)) }
                let sp = phantom.spacingMM, extent = max(hi.x - lo.x + sp.x, hi.y - lo.y + sp.y, hi.z - lo.z + sp.z)
                guard l.diameterMM <= extent else {
                    throw VirtualPatientError("lesion \(l.text): diameter \(String(format: "%g", l.diameterMM)) mm exceeds the \(l.region) of \(kind) (largest extent \(Int(extent)) mm; allowed: ≤ \(Int(extent)) mm)")
                }
                // Prefer centres deep enough in the region: voxels whose neighbours ±r/2 along x are in the region too.
                let ids = group.ids
                let deep = vs.filter { ids.contains(label(atPhantom: $0 + Vector3(l.diameterMM / 4, 0, 0))) && ids.contains(label(atPhantom: $0 - Vector3(l.diameterMM / 4, 0, 0))) }
                let pool = deep.isEmpty ? vs : deep
                c = pool[min(pool.count - 1, Int(g.uniform() * Double(pool.count)))]
            }
            guard label(atPhantom: c) != 0 else {
                throw VirtualPatientError("lesion \(l.text) lies outside the body of \(phantom.kind.rawValue) (allowed: a centre inside the body)")
            }
            out.append(c)
        }
        return out
    }

    /// Lesion regions with voxels in this phantom (organ groups with any of their IDs, the special sites, vertebrae).
    func presentRegions() -> [String] {
        var has = [Bool](repeating: false, count: 65536)
        for l in phantom.labels { has[Int(l)] = true }
        return OrganGroup.catalog.filter { $0.ids.contains { has[$0] } }.map(\.name) + LesionSpec.specialSites + ["C1–C7, T1–T12, L1–L5"]
    }

    /// Samples the patient onto a simulation grid of `voxelMM` cubes (partial volumes from `subsamples`³ points)
    /// and computes each compartment's concentration at the acquisition start. Returns the voxelised phantom (μ
    /// from the media) and the truth.
    public func build(voxelMM: Double, subsamples: Int = 2) throws(VirtualPatientError) -> (VoxelizedPhantom, PatientTruth) {
        guard voxelMM.isFinite, voxelMM >= 1, voxelMM <= 20 else { throw VirtualPatientError("simulation voxel \(voxelMM) mm (allowed: 1–20)") }
        guard let nuclide = Radionuclide.named(tracer.nuclide) else { throw VirtualPatientError("tracer \(tracer.name): radionuclide \(tracer.nuclide) unknown") }
        let decay = exp(-nuclide.decayConstant * hours * 3600)
        let A0 = administeredMBq * 1e6
        // Spheres: tracer sites, injection site, lesions (painted in this order, later wins).
        var spheres = try siteSpheres()
        var notes: [String] = []
        if tracer.name == "tc99m-mdp" {
            if let inj = antecubital() {
                spheres.append(Sphere(name: "injection-site", center: inj, radius: extravasation ? 15 : 4, capsuleEnd: nil))
            } else { notes.append("arms raised: no injection site in the field of view") }
        }
        // Bone scans: joints, sacro-iliac joints, growth plates (``boneScanSites()``).
        let boneSites = tracer.name == "tc99m-mdp" ? boneScanSites() : []
        for b in boneSites {
            spheres.append(Sphere(name: b.name, center: b.center, radius: b.radius, capsuleEnd: nil, parent: b.parent, ratio: b.ratio,
                                  only: try OrganGroup.named(b.parent).ids))
        }
        let plateNames = Set(boneSites.filter(\.plate).map(\.name))
        let lesionC = try lesionCentres()
        for (k, l) in lesions.enumerated() { spheres.append(Sphere(name: "lesion\(k + 1)", center: lesionC[k], radius: l.diameterMM / 2, capsuleEnd: nil)) }
        // Spheres move with the patient.
        let v = variability
        var sph = spheres.map { s in
            let c = v.toPatient(s.center)
            // Growth plates: a 7 mm thick disc across the bone (the bone IDs limit it to the bone's section).
            let plate: Shape? = plateNames.contains(s.name) ? .ellipsoid(center: c, semiAxes: Vector3(s.radius, s.radius, 3.5)) : nil
            return Sphere(name: s.name, center: c, radius: s.radius, capsuleEnd: s.capsuleEnd.map(v.toPatient), shape: plate,
                          parent: s.parent, ratio: s.ratio, only: s.only)
        }
        if let h = heart {
            // Heart chambers before the lesions (lesions win); concentrations set below from the blood and wall.
            let chambers = h.compartments(lvBlood: 1, myocardium: 1, rvBlood: 1, atria: 1)
            sph.insert(contentsOf: chambers.map { Sphere(name: $0.name, center: h.center, radius: 0, capsuleEnd: nil, shape: $0.shape) },
                       at: sph.count - lesions.count)
        }
        // Grid: covers the transformed body, transaxially symmetric about the rotation axis.
        let cropped: Set<Int> = v.armsRaised ? OrganGroup.armIDs : []
        if v.armsRaised { notes.append("arms raised for SPECT: arm IDs (humeri, forearms, hands and their soft tissue) cropped from the patient") }
        let n = phantom.size, geo = phantom.geometry
        var lo = Vector3(.infinity, .infinity, .infinity), hi = -lo
        for k in 0..<n.z { for j in 0..<n.y { for i in 0..<n.x {
            let l = Int(phantom.labels[i + n.x * (j + n.y * k)])
            if l != 0 && !cropped.contains(l) {
                let p = geo.patientPosition(i, j, k)
                lo = Vector3(min(lo.x, p.x), min(lo.y, p.y), min(lo.z, p.z)); hi = Vector3(max(hi.x, p.x), max(hi.y, p.y), max(hi.z, p.z))
            }
        } } }
        var plo = Vector3(.infinity, .infinity, .infinity), phi = -plo
        for cx in [lo.x, hi.x] { for cy in [lo.y, hi.y] { for cz in [lo.z, hi.z] {
            let p = v.toPatient(Vector3(cx, cy, cz))
            plo = Vector3(min(plo.x, p.x), min(plo.y, p.y), min(plo.z, p.z)); phi = Vector3(max(phi.x, p.x), max(phi.y, p.y), max(phi.z, p.z))
        } } }
        let margin = 2 * voxelMM + max(phantom.spacingMM.x, phantom.spacingMM.z)
        let hx = max(abs(plo.x), abs(phi.x)) + margin, hy = max(abs(plo.y), abs(phi.y)) + margin
        let size = GridSize(x: Int(ceil(2 * hx / voxelMM)), y: Int(ceil(2 * hy / voxelMM)), z: Int(ceil((phi.z - plo.z + 2 * margin) / voxelMM)))
        let grid = Voxelizer.centredGrid(size: size, spacing: Vector3(voxelMM, voxelMM, voxelMM), center: Vector3(0, 0, (plo.z + phi.z) / 2))
        let sampled = sample(size: size, geometry: grid, subsamples: subsamples, spheres: sph, cropped: cropped)
        // Compartments: one per ICRP ID present, then one per sphere.
        let voxelML = voxelMM * voxelMM * voxelMM / 1000
        var volumeOfID = [Double](repeating: 0, count: 256)
        for (id, cv) in sampled.perID { volumeOfID[id] = cv.totalFraction * voxelML }
        // Organ variability multipliers.
        var rng = SeededGenerator(seed: patientSeed ?? 0, stream: 0x0A6)
        func multiplier() -> Double { v.organSigma > 0 ? exp(v.organSigma * rng.normal() - v.organSigma * v.organSigma / 2) : 1 }
        // Assign IDs to tracer compartments (first naming wins); the rest of the body takes what is left.
        var owner = [Int](repeating: -1, count: 256)
        var groups: [(name: String, ids: Set<Int>, fraction: Double, source: String?, tia: Double?)] = []
        let siteNames = Set(sph.map(\.name))
        var multipliers: [Double] = []
        for comp in tracer.compartments {
            let m = multiplier()
            multipliers.append(m)
            let f = comp.kinetics.fraction(hours: hours) * m
            let tia = comp.kinetics.timeIntegratedHours(physicalHalfLifeHours: nuclide.halfLifeSeconds / 3600) * administeredMBq
            if siteNames.contains(comp.organ) || comp.organ == "injection-site" || comp.organ.hasSuffix("-node") || comp.organ == "lymphatic-channel" {
                groups.append((comp.organ, [], f, comp.source, tia)); continue
            }
            let g = try OrganGroup.named(comp.organ)
            var ids = Set<Int>()
            for id in g.ids where owner[id] < 0 && !cropped.contains(id) { owner[id] = groups.count; ids.insert(id) }
            groups.append((comp.organ, ids, f, comp.source, tia))
        }
        var restIDs = Set<Int>()
        for id in OrganGroup.bodyIDs where owner[id] < 0 && !cropped.contains(id) { owner[id] = groups.count; restIDs.insert(id) }
        // A blood-pool tracer: one blood concentration (``BloodPool``); the rest of the body holds the blood left.
        var bloodRest: Double?, bloodConc: (blood: Double, wall: Double?)?
        if let pool = tracer.bloodPool {
            let ids = groups.map(\.ids), counts = phantom.voxelCounts()
            // The analytic heart's chambers take the heart contents' concentration, its myocardium the heart wall's.
            let sites: [(organ: String, ml: Double)] = ["lvBloodPool", "rvBloodPool", "atria", "lvMyocardium"].compactMap { n in
                guard heart != nil, let cv = sampled.perSphere[n] else { return nil }
                return (n == "lvMyocardium" ? "heart-wall" : "heart-contents", cv.totalFraction * voxelML)
            }
            let b = pool.fractions(compartments: tracer.compartments, drawn: groups.map(\.fraction), multipliers: multipliers,
                                   referenceML: ids.map { $0.reduce(0.0) { $0 + Double(counts[$1]) * phantom.voxelVolumeML } }, patientML: ids.map { $0.reduce(0.0) { $0 + volumeOfID[$1] } },
                                   sites: sites, bodyFraction: tracer.retention?.fraction(hours: hours) ?? 1,
                                   male: phantom.kind == .adultMale, volumeScale: v.volumeScale)
            // No biological clearance from the blood: time-integrated activity f × A₀ × T½/ln 2.
            let tau = nuclide.halfLifeSeconds / 3600 / log(2.0)
            for (k, comp) in tracer.compartments.enumerated() where comp.blood != nil {
                groups[k].fraction = b.fractions[k]
                groups[k].tia = b.fractions[k] * administeredMBq * tau
            }
            bloodRest = b.rest
            notes += b.notes
            let cb = A0 * decay * b.perBloodML
            bloodConc = (cb, tracer.compartments.firstIndex { $0.organ == "heart-wall" }.flatMap { b.bloodFraction[$0] }.map { $0 * cb })
        }
        let injFraction: Double = tracer.name == "tc99m-mdp" && sph.contains { $0.name == "injection-site" } ? (extravasation ? 0.02 : 0.003) : 0
        if injFraction > 0 {
            groups.append(("injection-site", [], injFraction, extravasation ? "paravenous extravasation: 2 % of the activity (modelling choice)" : "residual activity in the vein: 0.3 % (modelling choice)", nil))
        }
        let restF = max(0, (bloodRest ?? tracer.restFraction(hours: hours)) - injFraction)
        groups.append(("rest-of-body", restIDs, restF, "what the compartments leave of the activity in the body", nil))
        // Concentrations at the acquisition start (Bq/mL).
        var concOfID = [Double](repeating: 0, count: 256)
        var concOfSite: [String: Double] = [:]
        var organs: [OrganTruth] = []
        for g in groups {
            let vol: Double
            if g.ids.isEmpty { vol = sampled.perSphere[g.name]?.totalFraction ?? 0 } else { vol = g.ids.reduce(0.0) { $0 + volumeOfID[$1] } / voxelML }
            let ml = vol * voxelML
            // Sites inside the compartment (joints, growth plates) take `ratio` × its concentration from its activity.
            let children = sph.filter { $0.parent == g.name }.map { ($0, (sampled.perSphere[$0.name]?.totalFraction ?? 0) * voxelML) }
            let weighted = ml + children.reduce(0) { $0 + $1.0.ratio * $1.1 }
            let c = weighted > 0 ? A0 * g.fraction * decay / weighted : 0
            if g.ids.isEmpty { concOfSite[g.name] = c } else { for id in g.ids { concOfID[id] = c } }
            let mass = g.ids.isEmpty ? ml : phantom.massGrams(ids: g.ids) * v.volumeScale
            organs.append(OrganTruth(name: g.name, massG: mass, volumeML: ml, activityMBq: c * ml / 1e6,
                                     fractionOfAdministered: weighted > 0 ? g.fraction * ml / weighted : 0,
                                     timeIntegratedActivityMBqH: g.tia.map { $0 * (weighted > 0 ? ml / weighted : 0) }, source: g.source))
            for (s, cml) in children where cml > 0 {
                concOfSite[s.name] = s.ratio * c
                let b = boneSites.first { $0.name == s.name }
                organs.append(OrganTruth(name: s.name, massG: cml, volumeML: cml, activityMBq: s.ratio * c * cml / 1e6,
                                         fractionOfAdministered: g.fraction * s.ratio * cml / weighted,
                                         timeIntegratedActivityMBqH: g.tia.map { $0 * s.ratio * cml / weighted },
                                         source: "\(s.ratio) × \(g.name): \(b?.source ?? "")"))
            }
        }
        if heart != nil {
            // A blood-pool tracer: the blood concentration (also where the chambers leave no voxel of ID 88).
            for n in ["lvBloodPool", "rvBloodPool", "atria"] { concOfSite[n] = bloodConc?.blood ?? concOfID[88] }
            concOfSite["lvMyocardium"] = bloodConc?.wall ?? concOfID[87]
            for n in ["lvBloodPool", "rvBloodPool", "atria", "lvMyocardium"] {
                let ml = (sampled.perSphere[n]?.totalFraction ?? 0) * voxelML
                organs.append(OrganTruth(name: n, massG: ml * 1.06, volumeML: ml, activityMBq: (concOfSite[n] ?? 0) * ml / 1e6,
                                         fractionOfAdministered: (concOfSite[n] ?? 0) * ml / (A0 * decay),
                                         timeIntegratedActivityMBqH: nil, source: "analytic beating heart (HeartState) in the ICRP-110 heart"))
            }
        }
        // Lesions: contrast × the host's concentration (the rest of the body where the host has none).
        var lesionTruth: [LesionTruth] = []
        for (k, l) in lesions.enumerated() {
            let host = label(atPhantom: lesionC[k])
            // Parathyroid adenomas, eutopic (`parathyroid-left/right`) and ectopic (`mediastinum`), are given against the
            // thyroid (the organ they are read against; an adenoma's avidity does not depend on where it lies); others
            // against the host.
            let hostID = l.region.hasPrefix("parathyroid") || l.region == "mediastinum" ? 132 : (concOfID[host] > 0 ? host : (restIDs.first ?? 0))
            let hc = concOfID[hostID]
            // Lesion kinetics (tumour retention against the host's washout); the host's fraction from its compartment.
            let o = owner[hostID]
            let hostFraction: (Double) -> Double = { t in
                o >= 0 && o < tracer.compartments.count ? tracer.compartments[o].kinetics.fraction(hours: t) : tracer.restFraction(hours: t)
            }
            let ratio = tracer.lesionKinetics?.ratio(contrast: l.contrast, hours: hours, host: hostFraction) ?? l.contrast
            let c = ratio * hc
            concOfSite["lesion\(k + 1)"] = c
            let ml = (sampled.perSphere["lesion\(k + 1)"]?.totalFraction ?? 0) * voxelML
            lesionTruth.append(LesionTruth(region: l.region, diameterMM: l.diameterMM, contrast: l.contrast, centerLPS: v.toPatient(lesionC[k]).array,
                                           concentrationBqPerML: c, activityMBq: c * ml / 1e6, hostOrgan: phantom.organNames[host] ?? "ID \(host)",
                                           contrastReferenceHours: tracer.lesionKinetics?.referenceHours ?? hours, contrastAtAcquisition: ratio,
                                           vertebra: Vertebra.looksLikeVertebra(l.region) ? l.region : nil))
        }
        // The voxelised phantom.
        var comps: [Compartment] = [], cvs: [CompartmentVoxels] = [], media: [Medium] = []
        let air = phantom.media[140] ?? Medium.water
        for (id, cv) in sampled.perID.sorted(by: { $0.key < $1.key }) {
            let m = phantom.media[id] ?? Medium.water
            comps.append(Compartment(name: "icrp\(id)", shape: .box(sampled.boxes[id] ?? Box3(min: .zero, max: .zero)),
                                     material: Self.nearestMaterial(m), concentrationBqPerML: concOfID[id]))
            cvs.append(cv); media.append(m)
        }
        for s in sph {
            guard let cv = sampled.perSphere[s.name] else { continue }
            var host = label(atPhantom: v.toPhantom(s.center))
            if let only = s.only, !only.contains(host) {
                // A site painted over bone only: the medium of the bone nearest its centre.
                let q = v.toPhantom(s.center), r = s.radius / 2
                host = [Vector3(r, 0, 0), Vector3(-r, 0, 0), Vector3(0, r, 0), Vector3(0, -r, 0), Vector3(0, 0, r), Vector3(0, 0, -r)]
                    .map { label(atPhantom: q + $0) }.first { only.contains($0) } ?? host
            }
            let m = phantom.media[host == 0 ? 117 : host] ?? air
            let r = s.radius
            if let sh = s.shape {
                comps.append(Compartment(name: s.name, shape: sh, material: s.only == nil ? .softTissue : Self.nearestMaterial(m), concentrationBqPerML: concOfSite[s.name] ?? 0))
                cvs.append(cv); media.append(s.only == nil ? (phantom.media[88] ?? .water) : m); continue
            }
            comps.append(Compartment(name: s.name, shape: .box(Box3(min: s.center - Vector3(r, r, r), max: (s.capsuleEnd ?? s.center) + Vector3(r, r, r))),
                                     material: Self.nearestMaterial(m), concentrationBqPerML: concOfSite[s.name] ?? 0))
            cvs.append(cv); media.append(m)
        }
        let landmarks = lesionTruth.enumerated().map { Landmark(name: "lesion\($0 + 1)", center: Vector3($1.centerLPS[0], $1.centerLPS[1], $1.centerLPS[2]), diameterMM: $1.diameterMM) }
        let ph = Phantom(name: phantom.kind.rawValue, compartments: comps, landmarks: landmarks,
                         description: "ICRP-110 \(phantom.kind == .adultMale ? "adult male" : "adult female") reference voxel phantom (\(phantom.size), \(phantom.spacingMM.x)×\(phantom.spacingMM.y)×\(phantom.spacingMM.z) mm), \(tracer.name) at \(String(format: "%.2f", hours)) h; one compartment per organ ID (icrpN) and per site/lesion; μ from the media's elemental composition")
        var vp = VoxelizedPhantom(phantom: ph, size: size, geometry: grid, subsamples: subsamples, compartmentVoxels: cvs)
        vp.media = media
        notes.append("bladder: \(tracer.compartments.first { $0.organ == "urinary-bladder-contents" }?.kinetics.voidingIntervalHours.map { "voided every \($0) h (ICRP 53/128 convention)" } ?? "not voided")")
        notes.append("uniform concentration within each organ; no partial-volume walls, no respiratory or cardiac motion outside gated studies")
        let physiology = physiologySites(boneSites: boneSites, spheres: sph, sampled: sampled, organs: organs)
        var truth = PatientTruth(phantom: phantom.kind.rawValue, tracer: tracer.name, tracerSource: tracer.source, phase: phase,
                                 hoursAfterAdministration: hours, administeredMBq: administeredMBq, patientSeed: patientSeed,
                                 variability: v, organs: organs, lesions: lesionTruth, notes: notes, visitMotion: v.visitMotion)
        truth.physiology = physiology
        return (vp, truth)
    }

    /// Nearest of the simple materials (for code that only knows ``Physics/Material``): by density.
    static func nearestMaterial(_ m: Medium) -> Material {
        if m.densityGPerCm3 < 0.1 { return .air }
        if m.densityGPerCm3 < 0.6 { return .lung }
        if m.densityGPerCm3 > 1.3 { return .corticalBone }
        return .softTissue
    }

    struct Sampled { var perID: [Int: CompartmentVoxels]; var perSphere: [String: CompartmentVoxels]; var boxes: [Int: Box3] }

    /// Partial-volume sampling of the labels (nearest phantom voxel at each of `subsamples`³ points per grid
    /// voxel, through the patient transform), spheres overriding the labels inside the body.
    func sample(size: GridSize, geometry grid: ImageGeometry, subsamples: Int, spheres: [Sphere], cropped: Set<Int>) -> Sampled {
        let s = max(1, subsamples)
        let offsets = (0..<s).map { (Double($0) + 0.5) / Double(s) - 0.5 }
        let sp = grid.spacing, o = grid.origin
        let v = variability
        let ang = v.rotationDeg * .pi / 180, cr = cos(ang), sr = sin(ang), g = v.girthScale, hs = v.heightScale, off = v.offsetMM
        // Visit motion: the first-visit point seen at p is Rᵀ(p − t′) (``VisitMotion/repositioning``).
        let rep = v.visitMotion?.repositioning
        let mm = rep?.matrix ?? [[1, 0, 0], [0, 1, 0], [0, 0, 1]], mt = rep?.translationMM ?? .zero
        let moved = rep != nil
        let nS = spheres.count
        let onlyTables: [[Bool]?] = spheres.map { s in s.only.map { ids in (0..<256).map { ids.contains($0) } } }
        var isCropped = [Bool](repeating: false, count: 256)
        for c in cropped { isCropped[c] = true }
        let cropTable = isCropped
        final class Out: @unchecked Sendable {
            var slices: [[(Int32, UInt16, Float)]]
            init(_ n: Int) { slices = Array(repeating: [], count: n) }
        }
        let out = Out(size.z)
        let inv = 1 / Float(s * s * s)
        DispatchQueue.concurrentPerform(iterations: size.z) { k in
            var local: [(Int32, UInt16, Float)] = []
            var counts = [Int](repeating: 0, count: 256 + nS)
            var touched: [Int] = []
            let zc = o.z + Double(k) * sp.z
            let zSpheres = (0..<nS).filter { i in
                let a = spheres[i]
                if let sh = a.shape { let b = sh.boundingBox; return zc >= b.min.z - sp.z && zc <= b.max.z + sp.z }
                let zmin = min(a.center.z, a.capsuleEnd?.z ?? a.center.z) - a.radius - sp.z
                let zmax = max(a.center.z, a.capsuleEnd?.z ?? a.center.z) + a.radius + sp.z
                return zc >= zmin && zc <= zmax
            }
            for j in 0..<size.y {
                let yc = o.y + Double(j) * sp.y
                for i in 0..<size.x {
                    let xc = o.x + Double(i) * sp.x
                    touched.removeAll(keepingCapacity: true)
                    for dz in offsets { for dy in offsets { for dx in offsets {
                        let p = Vector3(xc + dx * sp.x, yc + dy * sp.y, zc + dz * sp.z)
                        var d = p - off
                        if moved {
                            let e = p - mt
                            d = Vector3(mm[0][0] * e.x + mm[1][0] * e.y + mm[2][0] * e.z,
                                        mm[0][1] * e.x + mm[1][1] * e.y + mm[2][1] * e.z,
                                        mm[0][2] * e.x + mm[1][2] * e.y + mm[2][2] * e.z) - off
                        }
                        let l = label(atPhantom: Vector3((cr * d.x + sr * d.y) / g, (-sr * d.x + cr * d.y) / g, d.z / hs))
                        guard l != 0, !cropTable[l] else { continue }
                        var c = l
                        for si in zSpheres.reversed() {
                            let a = spheres[si]
                            if let t = onlyTables[si], !t[l] { continue }
                            if let sh = a.shape { if sh.contains(p) { c = 256 + si; break } else { continue } }
                            let d: Double
                            if let e = a.capsuleEnd {
                                let ab = e - a.center, t = max(0, min(1, (p - a.center).dot(ab) / max(1e-9, ab.dot(ab))))
                                let q = a.center + ab * t - p; d = q.dot(q)
                            } else { let q = p - a.center; d = q.dot(q) }
                            if d <= a.radius * a.radius { c = 256 + si; break }
                        }
                        if counts[c] == 0 { touched.append(c) }
                        counts[c] += 1
                    } } }
                    let idx = Int32(i + size.x * (j + size.y * k))
                    for c in touched { local.append((idx, UInt16(c), Float(counts[c]) * inv)); counts[c] = 0 }
                }
            }
            out.slices[k] = local
        }
        var perID: [Int: CompartmentVoxels] = [:], perSphere: [String: CompartmentVoxels] = [:], boxes: [Int: Box3] = [:]
        var idx = [[Int32]](repeating: [], count: 256 + nS), fr = [[Float]](repeating: [], count: 256 + nS)
        for k in 0..<size.z { for (i, c, f) in out.slices[k] { idx[Int(c)].append(i); fr[Int(c)].append(f) } }
        for c in 0..<(256 + nS) where !idx[c].isEmpty {
            let cv = CompartmentVoxels(indices: idx[c], fractions: fr[c])
            if c < 256 {
                perID[c] = cv
                var lo = Vector3(.infinity, .infinity, .infinity), hi = -lo
                for i in idx[c] {
                    let li = Int(i), x = li % size.x, y = (li / size.x) % size.y, z = li / (size.x * size.y)
                    let p = grid.patientPosition(x, y, z)
                    lo = Vector3(min(lo.x, p.x), min(lo.y, p.y), min(lo.z, p.z)); hi = Vector3(max(hi.x, p.x), max(hi.y, p.y), max(hi.z, p.z))
                }
                boxes[c] = Box3(min: lo - sp * 0.5, max: hi + sp * 0.5)
            } else {
                // Several spheres may share a name (none do today); merge by name.
                let name = spheres[c - 256].name
                if var e = perSphere[name] { e.indices += cv.indices; e.fractions += cv.fractions; perSphere[name] = e } else { perSphere[name] = cv }
            }
        }
        return Sampled(perID: perID, perSphere: perSphere, boxes: boxes)
    }

    /// The CT a scanner would show: HU of each medium at the CT's effective energy (``CTSimulator/effectiveEnergyKeV(kVp:)``)
    /// from its elemental composition, partial volumes mixed, plus Gaussian noise (HU, σ `noiseHU`); −1000 outside.
    public func ct(size: GridSize, geometry: ImageGeometry, kVp: Double = 120, noiseHU: Double = 10, seed: UInt64 = 1) -> Volume {
        let e = CTSimulator.effectiveEnergyKeV(kVp: kVp)
        let cropped: Set<Int> = variability.armsRaised ? OrganGroup.armIDs : []
        let sampled = sample(size: size, geometry: geometry, subsamples: 2, spheres: [], cropped: cropped)
        var vox = [Float](repeating: -1000, count: size.count)
        for (id, cv) in sampled.perID {
            let h = Float((phantom.media[id] ?? .water).hounsfield(effectiveEnergyKeV: e) + 1000)
            for (i, f) in zip(cv.indices, cv.fractions) { vox[Int(i)] += h * f }
        }
        return CTSimulator.huVolume(vox, size: size, geometry: geometry, noiseHU: noiseHU, seed: seed)
    }
}
