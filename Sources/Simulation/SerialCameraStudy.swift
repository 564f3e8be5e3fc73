import Foundation
import Imaging
import Physics

extension Repositioning {
    /// The scanner point where the reference-anatomy point `p` appears: R·p + t.
    public func scannerPoint(ofAnatomy p: Vector3) -> Vector3 { rotated(p) + translationMM }

    /// R·v (the rotation alone, for directions).
    public func rotated(_ v: Vector3) -> Vector3 {
        let m = matrix
        return Vector3(m[0][0] * v.x + m[0][1] * v.y + m[0][2] * v.z,
                       m[1][0] * v.x + m[1][1] * v.y + m[1][2] * v.z,
                       m[2][0] * v.x + m[2][1] * v.y + m[2][2] * v.z)
    }
}

extension SerialStudyOrgan {
    /// The organ's ellipsoid as it lies in the scanner after `pose` (centre R·c + t, axes R·eₓ, R·e_y, R·e_z).
    public func shape(in pose: Repositioning = Repositioning()) -> Shape {
        .ellipsoid(center: pose.scannerPoint(ofAnatomy: center), semiAxes: semiAxesMM,
                   axisX: pose.rotated(Vector3(1, 0, 0)), axisY: pose.rotated(Vector3(0, 1, 0)), axisZ: pose.rotated(Vector3(0, 0, 1)))
    }
}

extension SerialStudy {
    /// The camera-simulation phantom of one visit of a serial study, for ``Simulator/spect(_:protocol:)``.
    ///
    /// Compartments in painting order: the body outline (soft tissue), spine (cortical bone) and lung (inflated lung)
    /// of ``anatomy`` without activity (the spine clipped to the body), then each organ (soft tissue) filled uniformly with the concentration that
    /// puts its true activity at `hours` after administration, ``SerialStudyOrgan/activityMBq(atHours:)``, into its
    /// analytic ellipsoid volume. Everything is moved by the visit's repositioning (anatomy point p at R·p + t), so
    /// the simulated camera sees the patient as it lay at that visit. Where an organ overlaps lung or spine, the
    /// organ wins (it holds its whole activity).
    public static func cameraPhantom(organs: [SerialStudyOrgan], hours: Double, repositioning pose: Repositioning) -> Phantom {
        let a = anatomy
        var compartments = [
            Compartment(name: a.body.name, shape: a.body.shape(in: pose), material: .softTissue, concentrationBqPerML: 0),
            Compartment(name: a.spine.name, shape: .intersection(a.spine.shape(in: pose), a.body.shape(in: pose)), material: .corticalBone, concentrationBqPerML: 0),
            Compartment(name: a.lung.name, shape: a.lung.shape(in: pose), material: .lung, concentrationBqPerML: 0),
        ]
        for o in organs {
            let ml = 4 / 3 * Double.pi * o.semiAxesMM.x * o.semiAxesMM.y * o.semiAxesMM.z / 1000
            compartments.append(Compartment(name: o.name, shape: o.shape(in: pose), material: .softTissue,
                                            concentrationBqPerML: o.activityMBq(atHours: hours) * 1e6 / ml))
        }
        return Phantom(name: "serial-lu177", compartments: compartments,
                       landmarks: organs.map { Landmark(name: $0.name, center: pose.scannerPoint(ofAnatomy: $0.center)) },
                       description: "Serial therapy study visit at \(hours) h: uptake–washout organ kinetics, repositioned "
                           + "by rotation \(pose.rotationDeg.array) deg, translation \(pose.translationMM.array) mm")
    }

    /// VOI masks on any grid covering each organ (reference position) with a margin: voxels whose centre lies inside
    /// the ellipsoid with semi-axes grown by `marginMM`. A voxel that two grown organs claim goes to the organ in
    /// whose (grown, normalised) ellipsoid it lies deeper, so the VOIs never overlap.
    public static func coveringMasks(organs: [SerialStudyOrgan], marginMM: Double, size: GridSize, geometry g: ImageGeometry) -> [[Bool]] {
        var masks = organs.map { _ in [Bool](repeating: false, count: size.count) }
        for k in 0..<size.z { for j in 0..<size.y { for i in 0..<size.x {
            let p = g.patientPosition(i, j, k)
            var best = -1, bestR = Double.infinity
            for (n, o) in organs.enumerated() {
                let d = p - o.center, s = o.semiAxesMM + Vector3(marginMM, marginMM, marginMM)
                let r = (d.x / s.x) * (d.x / s.x) + (d.y / s.y) * (d.y / s.y) + (d.z / s.z) * (d.z / s.z)
                if r <= 1 && r < bestR { best = n; bestR = r }
            }
            if best >= 0 { masks[best][i + size.x * (j + size.y * k)] = true }
        } } }
        return masks
    }
}
