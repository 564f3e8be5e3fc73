import Foundation
import Imaging
import Physics
import Testing
@testable import Simulation

/// The camera model against closed forms computed here, independently of the simulator's code paths.
struct CameraPhysicsTests {
    /// A point source in air: counts = A · ε · yield · (decay-averaged) t · window fraction, within 3σ of Poisson;
    /// centroid at the column/row of spect-geometry.md for four gantry angles.
    @Test func pointSourceInAirCountsAndPosition() throws {
        let a = 20e6, t = 60.0
        let p = Vector3(30, -20, 14)
        let setup = SimulationSetup(phantom: Fixture.empty, pointSources: [PointSource(position: p, activityBq: a)],
                                    nuclide: Fixture.tc, camera: Fixture.camera(scatter: .none), seed: 7)
        let proto = SPECTProtocol(views: 4, heads: 1, arcDeg: 360, startAngleDeg: 0, direction: .clockwise, radiusMM: 200, secondsPerView: t)
        let study = Simulator.spect(setup, protocol: proto)
        let acq = study.acquisition
        let np = acq.rows * acq.columns
        let eff = Fixture.lehr.geometricEfficiency(energyKeV: Fixture.peak)
        let y = Fixture.tc.photons[0].yield
        let lambda = log(2) / Fixture.tc.halfLifeSeconds
        let sigmaE = 0.095 * 140 * (Fixture.peak / 140).squareRoot() / 2.354820045
        let w = setup.camera.windows[0]
        let fWin = 0.5 * (erf((w.upperKeV - Fixture.peak) / (sigmaE * 2.0.squareRoot())) - erf((w.lowerKeV - Fixture.peak) / (sigmaE * 2.0.squareRoot())))
        for v in 0..<4 {
            let t0 = Double(v) * t
            let decay = exp(-lambda * t0) * (1 - exp(-lambda * t)) / (lambda * t)
            let expected = a * eff * y * t * decay * fWin
            let noiseless = Fixture.frameSum(study.expected, frame: v, pixels: np)
            #expect(abs(noiseless / expected - 1) < 1e-3, "view \(v): expected \(expected), model \(noiseless)")
            let measured = Fixture.frameSum(acq.counts!, frame: v, pixels: np)
            #expect(abs(measured - expected) < 3 * expected.squareRoot(), "view \(v): \(measured) vs \(expected)")
            // Analytic position.
            let th = acq.frames[v].gantryAngle! * .pi / 180
            #expect(abs(acq.frames[v].gantryAngle! - Double(v) * 90) < 1e-9)
            let r = p.x * cos(th) + p.y * sin(th)
            let col = r / 4 + Double(acq.columns - 1) / 2, row = (0 - p.z) / 4 + Double(acq.rows - 1) / 2
            let (cc, rr) = Fixture.centroid(study.expected, frame: v, rows: acq.rows, columns: acq.columns)
            #expect(abs(cc - col) < 0.02 && abs(rr - row) < 0.02, "view \(v): centroid (\(cc), \(rr)) vs (\(col), \(row))")
        }
        // The truth's calibration factor is the same closed form.
        #expect(abs(study.truth.windows[0].sensitivityCpsPerMBqInAir / (eff * y * fWin * 1e6) - 1) < 1e-9)
        // TOMO Image Position (Patient): first voxel of the centred columns² × rows grid of one pixel (GE convention).
        let grid = Voxelizer.centredGrid(size: GridSize(x: 64, y: 64, z: 64), spacing: Vector3(4, 4, 4))
        // x, y of the first voxel; z of projection row 0 (the top slice), as GE writes it.
        #expect(acq.detectors[0].imagePosition == Vector3(grid.origin.x, grid.origin.y, grid.origin.z + 63 * 4))
        #expect(acq.detectors[0].rowDirection == Vector3(1, 0, 0) && acq.detectors[0].columnDirection == Vector3(0, 0, -1))
        // The posterior view mirrors the anterior one: column of x at 0° and of −x at 180° coincide.
        #expect(abs(Fixture.centroid(study.expected, frame: 0, rows: 64, columns: 64).0 - (30.0 / 4 + 31.5)) < 0.02)
        #expect(abs(Fixture.centroid(study.expected, frame: 2, rows: 64, columns: 64).0 - (-30.0 / 4 + 31.5)) < 0.02)
    }

    /// A point at the centre of a 100 mm radius water cylinder: primary counts / counts in air = exp(−μ·100 mm).
    @Test func attenuationOfPointInWater() throws {
        let muWater = Material.water.mu(energyKeV: Fixture.peak) / 10
        let point = PointSource(position: Vector3(0, 0, 0), activityBq: 10e6)
        var setup = SimulationSetup(phantom: Fixture.waterCylinder(), pointSources: [point], nuclide: Fixture.tc,
                                    camera: Fixture.camera(scatter: .none), voxelMM: 2, noise: false)
        let proto = SPECTProtocol(views: 4, heads: 1, radiusMM: 150, secondsPerView: 10)
        let water = Simulator.spect(setup, protocol: proto)
        setup.attenuation = false
        let air = Simulator.spect(setup, protocol: proto)
        let np = 64 * 64
        for v in 0..<4 {
            let ratio = Fixture.frameSum(water.expectedPrimary, frame: v, pixels: np) / Fixture.frameSum(air.expectedPrimary, frame: v, pixels: np)
            #expect(abs(ratio / exp(-muWater * 100) - 1) < 0.01, "view \(v): ratio \(ratio) vs \(exp(-muWater * 100))")
        }
        // Voxel emitters take the tabulated path: a small uniform sphere at the centre attenuates the same way.
        var ph = Fixture.waterCylinder()
        ph.compartments.append(Compartment(name: "hot", shape: .sphere(center: .zero, radius: 6), material: .water, concentrationBqPerML: 1e6))
        var s2 = SimulationSetup(phantom: ph, nuclide: Fixture.tc, camera: Fixture.camera(scatter: .none), voxelMM: 2, noise: false)
        let w2 = Simulator.spect(s2, protocol: proto)
        s2.attenuation = false
        let a2 = Simulator.spect(s2, protocol: proto)
        // Mean of exp(−μ(R − s)) over a uniform sphere of radius 6 about the centre, computed here numerically.
        var mean = 0.0, n = 0.0
        for i in -30...30 { for j in -30...30 { for k in -30...30 {
            let x = Double(i) / 5, y = Double(j) / 5, z = Double(k) / 5
            guard x * x + y * y + z * z <= 36 else { continue }
            let d = (100 * 100 - x * x).squareRoot() + y   // anterior view: path to the surface along −y
            mean += exp(-muWater * d); n += 1
        } } }
        let ratio = Fixture.frameSum(w2.expectedPrimary, frame: 0, pixels: np) / Fixture.frameSum(a2.expectedPrimary, frame: 0, pixels: np)
        #expect(abs(ratio / (mean / n) - 1) < 0.02, "voxel emitters: \(ratio) vs \(mean / n)")
    }

    /// The simulated point-spread function has the FWHM of Collimator.systemFWHM at the source distance.
    @Test func systemResolutionMatchesCollimator() throws {
        let cam = Fixture.camera(columns: 200, rows: 200, pixel: 0.5, scatter: .none)
        for d in [50.0, 150.0, 300.0] {
            let setup = SimulationSetup(phantom: Fixture.empty, pointSources: [PointSource(position: Vector3(0, 200 - d, 0), activityBq: 1e6)],
                                        nuclide: Fixture.tc, camera: cam, noise: false)
            // Posterior view (180°): the detector is at +y, R = 200; the point is d from its face.
            let study = Simulator.planar(setup, views: [.posterior], seconds: 1, radiusMM: 200)
            let img = Array(study.expectedPrimary[0..<(200 * 200)])
            var prof = [Double](repeating: 0, count: 200)
            for r in 0..<200 { for c in 0..<200 { prof[c] += Double(img[r * 200 + c]) } }
            let s = prof.reduce(0, +)
            let m = prof.enumerated().reduce(0.0) { $0 + Double($1.offset) * $1.element } / s
            let v = prof.enumerated().reduce(0.0) { $0 + (Double($1.offset) - m) * (Double($1.offset) - m) * $1.element } / s
            let sigma = ((v - 1.0 / 12) * 0.25).squareRoot()
            let fwhm = 2.354820045 * sigma
            let truth = Fixture.lehr.systemFWHM(distanceMM: d, energyKeV: Fixture.peak)
            #expect(abs(fwhm / truth - 1) < 0.05, "d = \(d): simulated \(fwhm) mm, collimator \(truth) mm")
        }
    }

    /// Decay during a long SPECT acquisition: each view is the first view × exp(−λ t_start), and the total is
    /// N τ (1 − e^{−λT})/(λT) of the undecayed rate.
    @Test func decayDuringAcquisition() throws {
        let setup = SimulationSetup(phantom: Fixture.empty, pointSources: [PointSource(position: .zero, activityBq: 5e6)],
                                    nuclide: Fixture.tc, camera: Fixture.camera(scatter: .none), noise: false)
        let tau = 240.0, views = 30
        let study = Simulator.spect(setup, protocol: SPECTProtocol(views: views, heads: 1, radiusMM: 200, secondsPerView: tau))
        let np = 64 * 64
        let lambda = log(2) / Fixture.tc.halfLifeSeconds
        let first = Fixture.frameSum(study.expected, frame: 0, pixels: np)
        var total = 0.0
        for v in 0..<views {
            let s = Fixture.frameSum(study.expected, frame: v, pixels: np)
            total += s
            #expect(abs(s / (first * exp(-lambda * Double(v) * tau)) - 1) < 1e-4)
        }
        // Undecayed rate × T × closed-form average.
        let rate = first / (tau * (1 - exp(-lambda * tau)) / (lambda * tau))
        let T = tau * Double(views)
        #expect(abs(total / (rate * T * (1 - exp(-lambda * T)) / (lambda * T)) - 1) < 1e-4)
        #expect(abs(Decay.duringAcquisitionFactor(halfLifeSeconds: Fixture.tc.halfLifeSeconds, durationSeconds: T) - total / (rate * T)) < 1e-4)
    }

    /// TEW on the simulated windows estimates the simulated photopeak scatter within 15 %, over the whole
    /// projection and in a central region.
    @Test func tripleEnergyWindowEstimatesSimulatedScatter() throws {
        let setup = SimulationSetup(phantom: Fixture.waterCylinder(radius: 110, halfLength: 60, bqPerML: 20_000), nuclide: Fixture.tc,
                                    camera: Fixture.camera(), voxelMM: 4, subsamples: 2, noise: false)
        let study = Simulator.planar(setup, views: [.anterior], seconds: 100)
        let acq = study.acquisition
        let np = acq.rows * acq.columns
        let w = setup.camera.windows
        func sum(_ frame: Int, _ a: [Float], _ pix: [Int]? = nil) -> Double {
            if let pix { return pix.reduce(0.0) { $0 + Double(a[frame * np + $1]) } }
            return Fixture.frameSum(a, frame: frame, pixels: np)
        }
        let centre = (24..<40).flatMap { r in (24..<40).map { r * 64 + $0 } }
        for pix in [nil, centre] {
            let lower = sum(1, study.expected, pix), upper = sum(2, study.expected, pix)
            let tew = ScatterEstimate.tew(lower: lower, lowerWidthKeV: w[1].widthKeV, upper: upper, upperWidthKeV: w[2].widthKeV, peakWidthKeV: w[0].widthKeV)
            let truth = sum(0, study.expectedScatter, pix)
            #expect(truth > 0.25 * sum(0, study.expectedPrimary, pix), "scatter should be a sizeable part of the photopeak")
            #expect(abs(tew / truth - 1) < 0.15, "TEW \(tew) vs simulated scatter \(truth)")
        }
        // Truth file carries the same numbers.
        #expect(abs(study.truth.windows[0].expectedScatter - sum(0, study.expectedScatter)) < 1)
    }

    /// The same seed gives the same counts; another seed other counts with the same expectation.
    @Test func seededNoiseIsDeterministic() {
        func run(_ seed: UInt64) -> SimulatedStudy {
            let setup = SimulationSetup(phantom: Fixture.empty, pointSources: [PointSource(position: Vector3(5, 5, 5), activityBq: 2e6)],
                                        nuclide: Fixture.tc, camera: Fixture.camera(columns: 16, rows: 16, pixel: 8), seed: seed)
            return Simulator.spect(setup, protocol: SPECTProtocol(views: 8, heads: 2, radiusMM: 150, secondsPerView: 10))
        }
        let a = run(11), b = run(11), c = run(12)
        #expect(a.acquisition.counts == b.acquisition.counts)
        #expect(a.acquisition.counts != c.acquisition.counts)
        #expect(a.expected == c.expected)
    }

    /// Poisson deviates: mean and variance.
    @Test func poissonGenerator() {
        for mean in [0.7, 5.0, 40.0, 900.0] {
            var g = SeededGenerator(seed: 3)
            let n = 40_000
            var s = 0.0, s2 = 0.0
            for _ in 0..<n { let k = Double(g.poisson(mean)); s += k; s2 += k * k }
            let m = s / Double(n), v = s2 / Double(n) - m * m
            #expect(abs(m - mean) < 5 * (mean / Double(n)).squareRoot())
            #expect(abs(v / mean - 1) < 0.05)
        }
        var a = SeededGenerator(seed: 9, stream: 4), b = SeededGenerator(seed: 9, stream: 4)
        #expect((0..<10).map { _ in a.next() } == (0..<10).map { _ in b.next() })
    }
}
