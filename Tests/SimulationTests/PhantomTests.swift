import Foundation
import Imaging
import Physics
import Testing
@testable import Simulation

struct PhantomTests {
    /// IEC: sphere centres on the 57.2 mm ring, sampled volumes close to 4/3 π r³, lung insert cold.
    @Test func iecGeometryAndVoxelVolumes() throws {
        let p = Phantom.iec(sphereToBackground: 4, backgroundBqPerML: 5000)
        #expect(p.landmarks.count == 6)
        for (k, m) in p.landmarks.enumerated() {
            #expect(m.diameterMM == Phantom.iecSphereDiameters[k])
            #expect(abs((m.center.x * m.center.x + m.center.y * m.center.y).squareRoot() - 57.2) < 1e-9 && m.center.z == 0)
        }
        // Only a slab around the spheres, 2 mm voxels.
        let size = GridSize(x: 160, y: 120, z: 22)
        let g = ImageGeometry.axisAligned(origin: Vector3(-159, -151, -21), spacing: Vector3(2, 2, 2))
        let vp = Voxelizer.voxelize(p, size: size, geometry: g, subsamples: 3)
        for d in [22.0, 28.0, 37.0] {
            let c = p.index(of: "sphere\(Int(d))")!
            let v = vp.volumeML(c), truth = 4.0 / 3.0 * .pi * pow(d / 2, 3) / 1000
            #expect(abs(v / truth - 1) < 0.03, "sphere \(d): \(v) mL vs \(truth)")
        }
        let act = vp.activity()
        // Voxel at a sphere centre: 4 × background; in the lung insert: 0; in the background: 5000.
        let c37 = p.landmarks[5].center
        let idx = try g.nearestIndex(of: c37)
        #expect(abs(act[idx.i, idx.j, idx.k] - 20000) < 1)
        let centre = try g.nearestIndex(of: .zero)
        #expect(act[centre.i, centre.j, centre.k] == 0)
        let bg = try g.nearestIndex(of: Vector3(0, 50 + 57.2 - 57.2 - 100, 0))
        #expect(abs(act[bg.i, bg.j, bg.k] - 5000) < 1)
        // Body outline: 294 mm wide at y = 0, 224 mm deep on the axis.
        #expect(Shape.iecBody(zMin: -1, zMax: 1).contains(Vector3(146, 0, 0)) && !Shape.iecBody(zMin: -1, zMax: 1).contains(Vector3(148, 0, 0)))
        #expect(Shape.iecBody(zMin: -1, zMax: 1).contains(Vector3(0, 76, 0)) && !Shape.iecBody(zMin: -1, zMax: 1).contains(Vector3(0, -148, 0)))
        #expect(!Shape.iecBody(zMin: -1, zMax: 1).contains(Vector3(140, 70, 0)))
        // μ map: water inside, lung in the insert.
        let mu = vp.muMap(energyKeV: 140.5)
        #expect(abs(Double(mu[bg.i, bg.j, bg.k]) - Material.water.mu(energyKeV: 140.5) / 10) < 1e-6)
        #expect(abs(Double(mu[centre.i, centre.j, centre.k]) - Material.lung.mu(energyKeV: 140.5) / 10) < 1e-6)
    }

    /// Jaszczak rods: a point on a rod centre of each sector is inside, half a pitch beside it is not.
    @Test func jaszczakRods() {
        let p = Phantom.jaszczak()
        let rods = p.compartments[p.index(of: "rods")!].shape
        for (k, d) in Phantom.jaszczakRodDiameters.enumerated() {
            let a = (Double(k) * 60 + 30) * .pi / 180
            let pitch = 2 * d
            let c = Vector3(pitch * cos(a), -pitch * sin(a), -50)            // first rod on the bisector
            #expect(rods.contains(c), "sector \(k)")
            let off = Vector3(c.x + 0.75 * d * cos(a), c.y - 0.75 * d * sin(a), -50)
            #expect(!rods.contains(off), "sector \(k) gap")
        }
        #expect(!rods.contains(Vector3(0, 0, 40)))
    }

    /// Torso: organs where the anatomy says, heart volume as requested.
    @Test func torsoOrgans() throws {
        let p = Phantom.torso(tumours: [Tumour(center: Vector3(-60, 0, -10), diameterMM: 20, concentrationBqPerML: 50_000)])
        for name in ["body", "lungs", "liver", "spleen", "kidneys", "bladder", "skeleton", "lvMyocardium", "lvBloodPool", "rvBloodPool", "atria", "tumour1"] {
            #expect(p.index(of: name) != nil, "\(name)")
        }
        let lv = p.compartments[p.index(of: "lvBloodPool")!]
        #expect(abs(lv.shape.analyticVolumeML! - 120) < 0.5)
        let liver = p.compartments[p.index(of: "liver")!].shape
        #expect(liver.contains(Vector3(-65, -5, -15)))    // patient's right
        #expect(p.compartments[p.index(of: "spleen")!].shape.contains(Vector3(95, 45, 0)))  // left posterior
    }
}
