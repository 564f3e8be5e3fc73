import Foundation
import Imaging
import Physics

/// One region of a phantom: a shape, its material (for μ and CT numbers) and its activity concentration.
public struct Compartment: Sendable, Codable, Equatable {
    /// Name, unique within the phantom (e.g. `background`, `sphere37`, `liver`).
    public var name: String
    /// The solid.
    public var shape: Shape
    /// What it is made of.
    public var material: Material
    /// Activity concentration at the reference time (acquisition start), Bq/mL.
    public var concentrationBqPerML: Double
    /// Creates a compartment.
    public init(name: String, shape: Shape, material: Material, concentrationBqPerML: Double) {
        self.name = name; self.shape = shape; self.material = material; self.concentrationBqPerML = concentrationBqPerML
    }
}

/// A named point of a phantom with a size (sphere centres, organ centres), in patient coordinates (LPS, mm).
public struct Landmark: Sendable, Codable, Equatable {
    /// Name (the compartment it belongs to, when any).
    public var name: String
    /// Position (LPS, mm).
    public var center: Vector3
    /// Inner diameter (mm), for spheres.
    public var diameterMM: Double?
    /// Creates a landmark.
    public init(name: String, center: Vector3, diameterMM: Double? = nil) {
        self.name = name; self.center = center; self.diameterMM = diameterMM
    }
}

/// A spherical lesion added to a phantom.
public struct Tumour: Sendable, Codable, Equatable {
    /// Centre (LPS, mm).
    public var center: Vector3
    /// Diameter (mm).
    public var diameterMM: Double
    /// Activity concentration (Bq/mL).
    public var concentrationBqPerML: Double
    /// Name (default `tumour1`, `tumour2`, …).
    public var name: String?
    /// Creates a tumour.
    public init(center: Vector3, diameterMM: Double, concentrationBqPerML: Double, name: String? = nil) {
        self.center = center; self.diameterMM = diameterMM; self.concentrationBqPerML = concentrationBqPerML; self.name = name
    }
}

/// Organs of the anthropomorphic torso (``Phantom/torso(activities:tumours:heart:)``).
public enum Organ: String, Sendable, Codable, CaseIterable {
    case body, lungs, liver, spleen, kidneys, bladder, skeleton, lvMyocardium, lvBloodPool, rvBloodPool, atria, thyroid, brain
}

/// How much of the body the anthropomorphic phantom includes.
public enum BodyExtent: String, Sendable, Codable {
    /// Chest, abdomen and pelvis (z −260…200 mm).
    case torso
    /// Torso plus head, neck with thyroid, and legs (z −1060…500 mm): for whole-body sweeps.
    case wholeBody
}

/// The beating left ventricle (and the chambers around it) of the torso phantom.
///
/// The LV cavity is an ellipsoid (long axis from base towards the apex, anterior–inferior–left) whose volume is
/// `volumeML`; the myocardium fills the end-diastolic epicardial contour around it (thicker in systole). The right
/// ventricle follows the LV volume (same stroke), the atria fill while the ventricles empty.
public struct HeartState: Sendable, Codable, Equatable {
    /// LV cavity volume now (mL).
    public var volumeML: Double
    /// End-diastolic LV volume (mL): sets the myocardial mass and the RV/atrial sizes.
    public var edvML: Double
    /// End-systolic LV volume (mL).
    public var esvML: Double
    /// LV cavity centre (LPS, mm).
    public var center: Vector3
    /// RV ejection fraction (0–1) set apart from the LV's; nil: the RV follows the LV (volume 1.1 × the LV's).
    public var rvEjectionFraction: Double?
    /// Creates a state.
    public init(volumeML: Double, edvML: Double = 120, esvML: Double = 50, center: Vector3 = Vector3(40, -25, 60), rvEjectionFraction: Double? = nil) {
        self.volumeML = volumeML; self.edvML = edvML; self.esvML = esvML; self.center = center; self.rvEjectionFraction = rvEjectionFraction
    }
    /// RV cavity volume (mL) now: 1.1 × the LV's at end diastole, emptying in step with the LV to
    /// (1 − RVEF) of it at end systole (with the LV's EF when no RVEF is set).
    public var rvVolumeML: Double {
        guard let f = rvEjectionFraction, edvML > esvML else { return volumeML * 1.1 }
        let rvED = 1.1 * edvML
        return rvED * (1 - f * (edvML - volumeML) / (edvML - esvML))
    }
    /// End diastole of a heart with the given volumes.
    public static func endDiastole(edvML: Double = 120, esvML: Double = 50) -> HeartState {
        HeartState(volumeML: edvML, edvML: edvML, esvML: esvML)
    }
    /// Ejection fraction (EDV − ESV) / EDV.
    public var ejectionFraction: Double { (edvML - esvML) / edvML }

    /// Long-axis direction (base → apex): anterior, inferior, to the left.
    public static let longAxis = Vector3(0.55, -0.55, -0.63).normalized
    /// LV cavity semi-axes for a volume: short-axis radii a, a and long semi-axis 1.6 a.
    static func cavityAxes(_ v: Double) -> Vector3 {
        let a = pow(v * 1000 / (4.0 / 3.0 * .pi * 1.6), 1.0 / 3.0)
        return Vector3(a, a, 1.6 * a)
    }
    /// The compartments (LV blood pool, myocardium, RV blood pool, atria) for given concentrations.
    func compartments(lvBlood: Double, myocardium: Double, rvBlood: Double, atria: Double) -> [Compartment] {
        let axis = Self.longAxis
        let cav = Self.cavityAxes(volumeML)
        let ed = Self.cavityAxes(edvML)
        // Myocardium: 10 mm thick at end diastole; its outer (epicardial) contour stays at its end-diastolic size
        // and the wall thickens inwards as the cavity empties. (A contour shrinking with constant tissue volume
        // left a shell of up to the stroke volume at end systole to whatever lay beneath — in the ICRP-110 heart
        // the undivided heart contents, i.e. blood — so that blood filled in around the LV as it emptied.)
        let wallED = 10.0
        let outerED = Vector3(ed.x + wallED, ed.y + wallED, ed.z + wallED)
        let outer = outerED
        // RV: to the patient's right and anterior of the LV, same stroke volume as the LV.
        let rvVolume = rvVolumeML
        let rvA = pow(rvVolume * 1000 / (4.0 / 3.0 * .pi * 0.6 * 1.6), 1.0 / 3.0)
        let rvCenter = center + Vector3(-(outerED.x + rvA * 0.6 + 2), -18, 5)
        // Atria: superior and posterior of the base; they fill while the ventricles empty.
        let atriaVolume = 60 + (edvML - volumeML) * 0.8
        let atA = pow(atriaVolume * 1000 / (4.0 / 3.0 * .pi * 1.5 * 0.8), 1.0 / 3.0)
        let atCenter = center + Vector3(-20, 45, outerED.z * 0.9 + atA * 0.6)
        return [
            Compartment(name: "atria", shape: .ellipsoid(center: atCenter, semiAxes: Vector3(1.5 * atA, 0.8 * atA, atA)),
                        material: .softTissue, concentrationBqPerML: atria),
            Compartment(name: "rvBloodPool", shape: .ellipsoid(center: rvCenter, semiAxes: Vector3(0.6 * rvA, rvA, 1.6 * rvA), longAxis: axis),
                        material: .softTissue, concentrationBqPerML: rvBlood),
            Compartment(name: "lvMyocardium", shape: .ellipsoid(center: center, semiAxes: outer, longAxis: axis),
                        material: .softTissue, concentrationBqPerML: myocardium),
            Compartment(name: "lvBloodPool", shape: .ellipsoid(center: center, semiAxes: cav, longAxis: axis),
                        material: .softTissue, concentrationBqPerML: lvBlood),
        ]
    }
}

/// An activity and material distribution made of analytic compartments, voxelised on demand.
///
/// Compartments are painted in order: where they overlap, the later one wins (so a sphere listed after the
/// background replaces the background inside it). Space outside every compartment is air with no activity.
public struct Phantom: Sendable, Codable, Equatable {
    /// Name (`iec`, `jaszczak`, `torso`, …).
    public var name: String
    /// Compartments in painting order.
    public var compartments: [Compartment]
    /// Named points (sphere centres, organ centres) for truth files.
    public var landmarks: [Landmark]
    /// Free-text description of the geometry and its source.
    public var description: String

    /// Creates a phantom.
    public init(name: String, compartments: [Compartment], landmarks: [Landmark] = [], description: String = "") {
        self.name = name; self.compartments = compartments; self.landmarks = landmarks; self.description = description
    }

    /// The index of a compartment by name.
    public func index(of name: String) -> Int? { compartments.firstIndex { $0.name == name } }

    /// A bounding box of all compartments.
    public var boundingBox: Box3 {
        compartments.dropFirst().reduce(compartments[0].shape.boundingBox) { $0.union($1.shape.boundingBox) }
    }

    /// A copy with every concentration multiplied by `factor`.
    public func scaled(by factor: Double) -> Phantom {
        var p = self
        for i in p.compartments.indices { p.compartments[i].concentrationBqPerML *= factor }
        return p
    }

    // MARK: IEC / NEMA body phantom

    /// Inner diameters (mm) of the six IEC spheres.
    public static let iecSphereDiameters: [Double] = [10, 13, 17, 22, 28, 37]
    /// Distance (mm) of the sphere centres from the phantom centre (NEMA NU 2: 57.2 mm).
    public static let iecSphereRingRadius = 57.2

    /// The NEMA NU 2 / IEC 61675-1 body phantom ("IEC phantom").
    ///
    /// Interior body outline per NEMA NU 2 (``Shape/iecBody(zMin:zMax:)``), 180 mm long from z = −110 to +70 mm
    /// (the lid at +z); six spheres of 10, 13, 17, 22, 28 and 37 mm inner diameter with centres in the plane
    /// z = 0 (70 mm below the lid) on a ring of radius 57.2 mm about the phantom centre, sphere k at angle
    /// 30° + 60°·k from +x towards anterior (−y); a 51 mm diameter lung insert (lung material, no activity) along
    /// the axis through the centre. Sphere walls are not modelled (activity and water right up to the inner
    /// surface). `center` moves the whole phantom.
    public static func iec(sphereToBackground: Double = 4, backgroundBqPerML: Double = 10_000,
                           center: Vector3 = .zero, lungInsert: Bool = true) -> Phantom {
        var comps: [Compartment] = []
        var marks: [Landmark] = []
        let z0 = -110.0 + center.z, z1 = 70.0 + center.z
        comps.append(Compartment(name: "background", shape: center == .zero ? .iecBody(zMin: -110, zMax: 70) : Self.shiftedIEC(center),
                                 material: .water, concentrationBqPerML: backgroundBqPerML))
        if lungInsert {
            comps.append(Compartment(name: "lungInsert",
                                     shape: .cylinder(centerX: center.x, centerY: center.y, radiusX: 25.5, radiusY: 25.5, zMin: z0, zMax: z1),
                                     material: .lung, concentrationBqPerML: 0))
        }
        for (k, d) in iecSphereDiameters.enumerated() {
            let a = (30 + 60 * Double(k)) * .pi / 180
            let c = center + Vector3(iecSphereRingRadius * cos(a), -iecSphereRingRadius * sin(a), 0)
            let name = "sphere\(Int(d))"
            comps.append(Compartment(name: name, shape: .sphere(center: c, radius: d / 2), material: .water,
                                     concentrationBqPerML: backgroundBqPerML * sphereToBackground))
            marks.append(Landmark(name: name, center: c, diameterMM: d))
        }
        return Phantom(name: "iec", compartments: comps, landmarks: marks,
                       description: "NEMA NU 2 / IEC 61675-1 body phantom: interior outline half circle r=147 mm (anterior) + 294x77 mm posterior part with r=77 mm corners, length 180 mm (z -110..+70); spheres 10-37 mm on a 57.2 mm ring at z=0, sphere k at 30+60k deg from +x towards anterior; lung insert 51 mm diameter; sphere walls not modelled")
    }

    /// The IEC body moved by `c` (as a shape).
    static func shiftedIEC(_ c: Vector3) -> Shape {
        // Built from primitives so any offset works: anterior half cylinder ∪ posterior block with rounded corners.
        let z0 = -110 + c.z, z1 = 70 + c.z
        let front: Shape = .intersection(.cylinder(centerX: c.x, centerY: c.y, radiusX: 147, radiusY: 147, zMin: z0, zMax: z1),
                                         .box(Box3(min: Vector3(c.x - 147, c.y - 147, z0), max: Vector3(c.x + 147, c.y, z1))))
        let back: Shape = .intersection(.box(Box3(min: Vector3(c.x - 147, c.y, z0), max: Vector3(c.x + 147, c.y + 77, z1))),
                                        .union([.box(Box3(min: Vector3(c.x - 70, c.y, z0), max: Vector3(c.x + 70, c.y + 77, z1))),
                                                .cylinder(centerX: c.x - 70, centerY: c.y, radiusX: 77, radiusY: 77, zMin: z0, zMax: z1),
                                                .cylinder(centerX: c.x + 70, centerY: c.y, radiusX: 77, radiusY: 77, zMin: z0, zMax: z1)]))
        return .union([front, back])
    }

    // MARK: Jaszczak

    /// Rod diameters (mm) of the Deluxe Jaszczak phantom sectors.
    public static let jaszczakRodDiameters: [Double] = [4.8, 6.4, 7.9, 9.5, 11.1, 12.7]
    /// Sphere diameters (mm) of the Deluxe Jaszczak phantom.
    public static let jaszczakSphereDiameters: [Double] = [9.5, 12.7, 15.9, 19.1, 25.4, 31.8]

    /// A Deluxe Jaszczak-type phantom: water cylinder 216 mm inner diameter, 186 mm long (z −93…+93); rod insert
    /// (six sectors of rods 4.8–12.7 mm, spacing twice the diameter, 88 mm long from the bottom); six spheres
    /// 9.5–31.8 mm with centres at z = +45 mm on a 60 mm ring (sphere k at 60°·k from +x towards anterior).
    /// Rods and spheres are cold acrylic (soft-tissue material) unless `rodsHot`/`spheresHot`, which fill them with
    /// `hotRatio` × background in water.
    public static func jaszczak(backgroundBqPerML: Double = 10_000, rodsHot: Bool = false, spheresHot: Bool = false,
                                hotRatio: Double = 4) -> Phantom {
        var comps = [Compartment(name: "background", shape: .cylinder(centerX: 0, centerY: 0, radiusX: 108, radiusY: 108, zMin: -93, zMax: 93),
                                 material: .water, concentrationBqPerML: backgroundBqPerML)]
        comps.append(Compartment(name: "rods", shape: .rodSectors(radius: 100, zMin: -93, zMax: -5, diameters: jaszczakRodDiameters),
                                 material: rodsHot ? .water : .softTissue,
                                 concentrationBqPerML: rodsHot ? backgroundBqPerML * hotRatio : 0))
        var marks: [Landmark] = []
        for (k, d) in jaszczakSphereDiameters.enumerated() {
            let a = 60 * Double(k) * .pi / 180
            let c = Vector3(60 * cos(a), -60 * sin(a), 45)
            let name = "sphere\(String(format: "%.1f", d))"
            comps.append(Compartment(name: name, shape: .sphere(center: c, radius: d / 2), material: spheresHot ? .water : .softTissue,
                                     concentrationBqPerML: spheresHot ? backgroundBqPerML * hotRatio : 0))
            marks.append(Landmark(name: name, center: c, diameterMM: d))
        }
        return Phantom(name: "jaszczak", compartments: comps, landmarks: marks,
                       description: "Deluxe Jaszczak-type phantom: cylinder 216 mm x 186 mm (z -93..93); rods 4.8-12.7 mm (sector k from 60k deg, spacing 2d) z -93..-5; spheres 9.5-31.8 mm at z=45 on a 60 mm ring; rods/spheres \(rodsHot ? "hot" : "cold")/\(spheresHot ? "hot" : "cold")")
    }

    // MARK: Torso

    /// Typical Tc-99m concentrations (Bq/mL) for a bone-scan-like default distribution (arbitrary but plausible).
    public static let defaultTorsoActivities: [Organ: Double] = [
        .body: 1_000, .lungs: 300, .liver: 4_000, .spleen: 4_000, .kidneys: 8_000, .bladder: 20_000, .skeleton: 6_000,
        .lvMyocardium: 3_000, .lvBloodPool: 2_000, .rvBloodPool: 2_000, .atria: 2_000, .thyroid: 2_000, .brain: 500,
    ]

    /// A simple anthropomorphic torso (adult, supine, head first), z from −260 (pelvis) to +200 mm (upper chest).
    ///
    /// Body: elliptic cylinder 340 × 230 mm. Lungs, liver (right), spleen (left posterior), kidneys, bladder,
    /// skeleton (spine, ribs as elliptic bands, sternum, pelvic ring), heart (``HeartState``: LV cavity,
    /// myocardium, RV, atria) and any tumours (spheres, painted last). Concentrations in Bq/mL per organ
    /// (missing organs get 0).
    public static func torso(activities: [Organ: Double] = defaultTorsoActivities, tumours: [Tumour] = [],
                             heart: HeartState = .endDiastole(), extent: BodyExtent = .torso) -> Phantom {
        func a(_ o: Organ) -> Double { activities[o] ?? (o == .brain ? activities[.body] ?? 0 : 0) }
        var comps: [Compartment] = []
        let zBottom = -260.0, zTop = 200.0
        var bodyShape: Shape = .cylinder(centerX: 0, centerY: 0, radiusX: 170, radiusY: 115, zMin: zBottom, zTop: zTop)
        if extent == .wholeBody {
            bodyShape = .union([bodyShape,
                                .cylinder(centerX: 0, centerY: 0, radiusX: 60, radiusY: 55, zMin: zTop - 5, zTop: 320),          // neck
                                .ellipsoid(center: Vector3(0, 5, 400), semiAxes: Vector3(75, 95, 100)),                           // head
                                .cylinder(centerX: -90, centerY: 0, radiusX: 75, radiusY: 80, zMin: -1060, zTop: zBottom + 5),     // right leg
                                .cylinder(centerX: 90, centerY: 0, radiusX: 75, radiusY: 80, zMin: -1060, zTop: zBottom + 5)])     // left leg
        }
        comps.append(Compartment(name: "body", shape: bodyShape, material: .softTissue, concentrationBqPerML: a(.body)))
        if extent == .wholeBody {
            comps.append(Compartment(name: "brain", shape: .ellipsoid(center: Vector3(0, 5, 405), semiAxes: Vector3(65, 85, 88)),
                                     material: .softTissue, concentrationBqPerML: a(.brain)))
            comps.append(Compartment(name: "thyroid", shape: .union([
                .ellipsoid(center: Vector3(-18, -30, 255), semiAxes: Vector3(9, 9, 22)),
                .ellipsoid(center: Vector3(18, -30, 255), semiAxes: Vector3(9, 9, 22)),
                .box(Box3(min: Vector3(-12, -36, 240), max: Vector3(12, -30, 250)))]),
                                     material: .softTissue, concentrationBqPerML: a(.thyroid)))
        }
        comps.append(Compartment(name: "lungs", shape: .union([
            .ellipsoid(center: Vector3(-80, 5, 95), semiAxes: Vector3(60, 75, 115)),
            .ellipsoid(center: Vector3(85, 5, 105), semiAxes: Vector3(55, 75, 105))]),
                                 material: .lung, concentrationBqPerML: a(.lungs)))
        comps.append(Compartment(name: "liver", shape: .ellipsoid(center: Vector3(-65, -5, -15), semiAxes: Vector3(95, 80, 75)),
                                 material: .softTissue, concentrationBqPerML: a(.liver)))
        comps.append(Compartment(name: "spleen", shape: .ellipsoid(center: Vector3(95, 45, 0), semiAxes: Vector3(35, 30, 55)),
                                 material: .softTissue, concentrationBqPerML: a(.spleen)))
        comps.append(Compartment(name: "kidneys", shape: .union([
            .ellipsoid(center: Vector3(-75, 60, -85), semiAxes: Vector3(30, 25, 55)),
            .ellipsoid(center: Vector3(75, 60, -75), semiAxes: Vector3(30, 25, 55))]),
                                 material: .softTissue, concentrationBqPerML: a(.kidneys)))
        comps.append(Compartment(name: "bladder", shape: .ellipsoid(center: Vector3(0, -45, -225), semiAxes: Vector3(45, 40, 30)),
                                 material: .water, concentrationBqPerML: a(.bladder)))
        // Skeleton: spine, ribs, sternum, pelvis.
        var bones: [Shape] = [.cylinder(centerX: 0, centerY: 80, radiusX: 18, radiusY: 16, zMin: -200, zMax: zTop)]
        var z = -5.0
        while z + 10 <= zTop {
            bones.append(.intersection(.difference(.cylinder(centerX: 0, centerY: 0, radiusX: 160, radiusY: 105, zMin: z, zMax: z + 10),
                                                   .cylinder(centerX: 0, centerY: 0, radiusX: 150, radiusY: 95, zMin: z - 1, zMax: z + 11)),
                                       .box(Box3(min: Vector3(-170, -90, z), max: Vector3(170, 115, z + 10)))))
            z += 25
        }
        bones.append(.box(Box3(min: Vector3(-15, -112, 40), max: Vector3(15, -100, 180))))
        bones.append(.intersection(.difference(.cylinder(centerX: 0, centerY: 10, radiusX: 135, radiusY: 95, zMin: -215, zMax: -150),
                                               .cylinder(centerX: 0, centerY: 10, radiusX: 120, radiusY: 80, zMin: -216, zMax: -149)),
                                   .box(Box3(min: Vector3(-140, -40, -215), max: Vector3(140, 115, -150)))))
        if extent == .wholeBody {
            bones.append(.cylinder(centerX: 0, centerY: 45, radiusX: 12, radiusY: 12, zMin: zTop, zTop: 320))                  // cervical spine
            bones.append(.difference(.ellipsoid(center: Vector3(0, 5, 405), semiAxes: Vector3(73, 93, 97)),
                                     .ellipsoid(center: Vector3(0, 5, 405), semiAxes: Vector3(66, 86, 89))))                   // skull
            for x in [-90.0, 90.0] {
                bones.append(.cylinder(centerX: x, centerY: 5, radiusX: 14, radiusY: 14, zMin: -680, zTop: -215))              // femur
                bones.append(.cylinder(centerX: x, centerY: 0, radiusX: 12, radiusY: 12, zMin: -1040, zTop: -690))             // tibia
            }
        }
        comps.append(Compartment(name: "skeleton", shape: .union(bones), material: .corticalBone, concentrationBqPerML: a(.skeleton)))
        comps += heart.compartments(lvBlood: a(.lvBloodPool), myocardium: a(.lvMyocardium), rvBlood: a(.rvBloodPool), atria: a(.atria))
        var marks = [Landmark(name: "lvBloodPool", center: heart.center)]
        for (k, t) in tumours.enumerated() {
            let name = t.name ?? "tumour\(k + 1)"
            comps.append(Compartment(name: name, shape: .sphere(center: t.center, radius: t.diameterMM / 2), material: .softTissue,
                                     concentrationBqPerML: t.concentrationBqPerML))
            marks.append(Landmark(name: name, center: t.center, diameterMM: t.diameterMM))
        }
        for c in comps where ["liver", "spleen", "bladder"].contains(c.name) {
            if case .ellipsoid(let ctr, _, _, _, _) = c.shape { marks.append(Landmark(name: c.name, center: ctr)) }
        }
        return Phantom(name: extent == .torso ? "torso" : "body", compartments: comps, landmarks: marks,
                       description: (extent == .torso ? "" : "Whole body: torso + neck (thyroid lobes at z=255), head (skull, brain) up to z=500, legs (femur, tibia) down to z=-1060. ") + "Simple adult torso, supine head first: body elliptic cylinder 340x230 mm, z -260..200; lungs, liver, spleen, kidneys, bladder, skeleton (spine, ribs, sternum, pelvic ring), heart (LV cavity \(String(format: "%.0f", heart.volumeML)) mL, EDV \(String(format: "%.0f", heart.edvML)), ESV \(String(format: "%.0f", heart.esvML))), tumours painted last")
    }
}

extension Shape {
    /// Elliptic cylinder convenience with the z range named as in the enum.
    static func cylinder(centerX: Double, centerY: Double, radiusX: Double, radiusY: Double, zMin: Double, zTop: Double) -> Shape {
        .cylinder(centerX: centerX, centerY: centerY, radiusX: radiusX, radiusY: radiusY, zMin: zMin, zMax: zTop)
    }
}
