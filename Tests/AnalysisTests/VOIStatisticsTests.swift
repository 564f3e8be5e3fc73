import Foundation
import Testing
@testable import Analysis
import Imaging
import Simulation

/// A uniform sphere of `value` on `background`, voxelised with partial volumes (Simulation's voxeliser, 4³ samples).
func petSphereImage(n: Int, voxelMM: Double, radiusMM: Double, value: Double, background: Double = 0,
                 center: Vector3 = .zero) -> Volume {
    let size = GridSize(x: n, y: n, z: n)
    let geo = Voxelizer.centredGrid(size: size, spacing: Vector3(voxelMM, voxelMM, voxelMM))
    let half = Double(n) * voxelMM
    let phantom = Phantom(name: "sphere", compartments: [
        Compartment(name: "bg", shape: .box(Box3(min: Vector3(-half, -half, -half), max: Vector3(half, half, half))),
                    material: .water, concentrationBqPerML: background),
        Compartment(name: "s", shape: .sphere(center: center, radius: radiusMM), material: .water, concentrationBqPerML: value),
    ])
    return Voxelizer.voxelize(phantom, size: size, geometry: geo, subsamples: 4).activity()
}

@Suite struct VOIStatisticsTests {
    @Test func peakKernelHoldsOneMillilitre() {
        // 4/3 π r³ = 1 cm³ → r = 6.2035 mm.
        for mm in [1.0, 2.0, 4.0] {
            let k = SphereKernel(spacing: Vector3(mm, mm, mm))
            #expect(abs(k.radiusMM - 6.2035) < 1e-3)
            #expect(abs(k.volumeML - 1) < 0.01, "kernel at \(mm) mm holds \(k.volumeML) mL")
        }
    }

    @Test func uniformSphereGivesItsValueVolumeAndTLA() {
        // 30 mm sphere of 10 on 0, 2 mm voxels: analytic volume 4/3 π 15³ = 14.137 mL.
        let img = petSphereImage(n: 32, voxelMM: 2, radiusMM: 15, value: 10)
        let all = Array(0..<img.voxels.count)
        let s = VOIAnalysis.lesion(img, searchRegion: all, threshold: .percentOfMax(50), kernel: SphereKernel(spacing: img.geometry.spacing))!
        #expect(abs(s.max - 10) < 1e-4)
        #expect(abs(s.peak! - 10) < 1e-3)                       // the 1 mL sphere fits inside: peak = true value
        #expect(abs(s.volumeML - 14.137) / 14.137 < 0.03)      // 50 % of max on partial volumes ≈ the true boundary
        #expect(s.mean > 9 && s.mean <= 10)
        #expect(abs(s.totalLesionActivity - s.mean * s.volumeML) < 1e-9)
        for c in s.centroidMM { #expect(abs(c) < 0.2) }          // centred on the origin
        // Fixed threshold on a background of 1: same sphere.
        let bg = petSphereImage(n: 32, voxelMM: 2, radiusMM: 15, value: 10, background: 1)
        let f = VOIAnalysis.lesion(bg, searchRegion: Array(0..<bg.voxels.count), threshold: .fixed(5.5), kernel: nil)!
        #expect(abs(f.volumeML - 14.137) / 14.137 < 0.03)
        #expect(f.peak == nil)
    }

    @Test func smallSpherePeakIsItsVolumeFraction() {
        // 8 mm sphere of 10 on 0, 1 mm voxels: the 1 mL peak sphere centred on it averages
        // 10 × (4/3 π 4³ mm³) / 1000 mm³ = 2.681.
        let img = petSphereImage(n: 32, voxelMM: 1, radiusMM: 4, value: 10, center: Vector3(0.5, 0.5, 0.5))
        let s = VOIAnalysis.lesion(img, searchRegion: Array(0..<img.voxels.count), threshold: .percentOfMax(41),
                                   kernel: SphereKernel(spacing: img.geometry.spacing))!
        #expect(abs(s.peak! - 2.681) / 2.681 < 0.03, "peak \(s.peak!)")
        for (a, b) in zip(s.peakMM!, [0.5, 0.5, 0.5]) { #expect(abs(a - b) <= 1.0) }
    }

    @Test func hotspotsAreFoundHottestFirstWithSUL() {
        // Two spheres: SUV 8 (24 mm) and SUV 4 (30 mm) on SUV 1, 3 mm voxels.
        let n = 48, mm = 3.0
        let size = GridSize(x: n, y: n, z: n)
        let geo = Voxelizer.centredGrid(size: size, spacing: Vector3(mm, mm, mm))
        let phantom = Phantom(name: "two", compartments: [
            Compartment(name: "bg", shape: .box(Box3(min: Vector3(-100, -100, -100), max: Vector3(100, 100, 100))), material: .water, concentrationBqPerML: 1),
            Compartment(name: "a", shape: .sphere(center: Vector3(-30, 0, 0), radius: 15), material: .water, concentrationBqPerML: 4),
            Compartment(name: "b", shape: .sphere(center: Vector3(30, 10, 0), radius: 12), material: .water, concentrationBqPerML: 8),
        ])
        let img = Voxelizer.voxelize(phantom, size: size, geometry: geo, subsamples: 3).activity()
        let h = HotspotSearch(detectionSUV: 2.5).run(img, sulPerSUV: 0.8)
        #expect(h.count == 2)
        #expect(abs(h[0].suvMax - 8) < 1e-4 && abs(h[1].suvMax - 4) < 1e-4)
        #expect(abs(h[0].suvPeak! - 8) < 1e-3 && abs(h[1].suvPeak! - 4) < 1e-3)
        #expect(abs(h[0].sulPeak! - 6.4) < 1e-3)
        #expect(abs(h[0].centerMM[0] - 30) < 1 && abs(h[0].centerMM[1] - 10) < 1 && abs(h[0].centerMM[2]) < 1)
        #expect(abs(h[1].centerMM[0] + 30) < 1)
        // MTV, delineated half-way between lesion (4) and background (1), where a partial-volume voxel is half
        // inside: the sphere (r = 5 voxels, centred on a voxel corner) holds 552 voxel centres (lattice count by
        // hand/numpy) = 14.904 mL, 5.4 % above 4/3 π 15³ = 14.137 mL (the lattice error of voxel counting).
        let mid = HotspotSearch(detectionSUV: 2.5, delineation: .fixed(2.5)).run(img)
        #expect(abs(mid[1].mtvML - 14.904) / 14.904 < 0.02, "MTV \(mid[1].mtvML)")
        #expect(HotspotSearch(detectionSUV: 2.5, maxCount: 1).run(img).count == 1)
        #expect(HotspotSearch(detectionSUV: 20).run(img).isEmpty)
    }
}

@Suite struct PERCISTTests {
    // Rules of PERCIST 1.0 (Wahl et al., J Nucl Med 2009;50 Suppl 1:122S, Table 6).
    let liver = PERCISTReference(mean: 2.0, sd: 0.3)

    @Test func categories() {
        func cat(_ b: Double, _ f: Double, new: Bool = false) -> PERCISTCategory {
            PERCIST.assess(baseline: PERCISTScan(sulPeak: b, liver: liver), followUp: PERCISTScan(sulPeak: f, liver: liver), newLesions: new).category
        }
        #expect(cat(10, 6) == .PMR)       // −40 %, −4
        #expect(cat(10, 7.5) == .SMD)     // −25 %
        #expect(cat(4.0, 2.6) == .PMR)    // −35 %, −1.4
        #expect(cat(4.0, 5.4) == .PMD)    // +35 %, +1.4
        #expect(cat(2.4, 3.2) == .PMD)    // +33 %, +0.8
        #expect(cat(2.4, 3.1) == .SMD)    // +29 %
        #expect(cat(10, 1.9) == .CMR)     // ≤ liver mean
        #expect(cat(10, 9, new: true) == .PMD)
        let r = PERCIST.assess(baseline: PERCISTScan(sulPeak: 3.0, liver: liver), followUp: PERCISTScan(sulPeak: 3.0, liver: liver))
        #expect(r.baselineThreshold == 3.6)          // 1.5 × 2.0 + 2 × 0.3
        #expect(r.baselineMeasurable == false)
        let shifted = PERCIST.assess(baseline: PERCISTScan(sulPeak: 8, liver: liver),
                                     followUp: PERCISTScan(sulPeak: 8, liver: PERCISTReference(mean: 2.6, sd: 0.3)))
        #expect(shifted.notes.contains { $0.contains("liver") })
    }
}
