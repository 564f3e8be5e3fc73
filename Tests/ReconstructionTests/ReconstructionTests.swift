import Foundation
import Imaging
import Simulation
import Testing
@testable import Reconstruction

// Independent truths: analytic projection positions (docs/spect-geometry.md), Gaussian widths σ(d), analytic
// attenuation line integrals exp(−μ L), noiseless data from a known phantom, inner-product identity.
// Small grids so the suite runs in seconds in debug.


/// Fraction of each voxel inside a z-aligned cylinder (radius mm, centre x/y mm), 4×4 in-plane supersampling.
func cylinder(_ g: SPECTGeometry, radius: Double, cx: Double = 0, cy: Double = 0, zHalf: Double = .infinity) -> ReconVolume {
    var v = ReconVolume(geometry: g)
    let o = g.origin, d = g.voxelSizeMM
    for ix in 0..<g.n { for iy in 0..<g.n {
        var f = 0.0
        for a in 0..<4 { for b in 0..<4 {
            let x = o.x + Double(ix) * d + (Double(a) + 0.5) / 4 * d - d / 2 - cx
            let y = o.y + Double(iy) * d + (Double(b) + 0.5) / 4 * d - d / 2 - cy
            if x * x + y * y <= radius * radius { f += 1 / 16 }
        } }
        if f == 0 { continue }
        for iz in 0..<g.slices where abs(o.z + Double(iz) * g.sliceThicknessMM) <= zHalf { v[x: ix, y: iy, z: iz] = Float(f) }
    } }
    return v
}

func dot(_ a: [Float], _ b: [Float]) -> Double {
    var s = 0.0
    for i in 0..<a.count { s += Double(a[i]) * Double(b[i]) }
    return s
}

@Suite struct GeometryAndLayout {
    @Test func orbitAnglesFollowRotationDirection() {
        #expect(SPECTGeometry.orbitAngles(views: 4) == [0, 90, 180, 270])
        #expect(SPECTGeometry.orbitAngles(views: 4, startDeg: 10, clockwise: false) == [10, 280, 190, 100])
    }

    @Test func projectionLayoutRoundTrip() throws {
        let g = try SPECTGeometry(n: 4, slices: 3, voxelSizeMM: 4, columns: 5, rows: 3, pixelSizeMM: 4,
                                  anglesDeg: [0, 90], radiiMM: [200])
        let display = (0..<(2 * 5 * 3)).map(Float.init)
        let p = try Projections(viewsRowsColumns: display, geometry: g)
        #expect(p.viewsRowsColumns() == display)
        // row 0 (most superior) is the last z-ascending sample of its column
        #expect(p.values[(1 * 5 + 2) * 3 + 2] == display[(1 * 3 + 0) * 5 + 2])
        #expect(p[view: 1, column: 2, row: 0] == display[(1 * 3 + 0) * 5 + 2])
    }

    @Test func volumeLayoutRoundTrip() throws {
        let g = try SPECTGeometry(n: 3, slices: 2, voxelSizeMM: 2, columns: 3, rows: 2, pixelSizeMM: 2,
                                  anglesDeg: [0], radiiMM: [100])
        var r = ReconVolume(geometry: g)
        for i in 0..<r.values.count { r.values[i] = Float(i) }
        let v = r.volume(geometry: g)
        #expect(v[2, 1, 1] == r[x: 2, y: 1, z: 1])
        #expect(try ReconVolume(volume: v) == r)
    }

    @Test func quantitationMatchesReferenceCalibration() {
        // Reference: recon units per Bq/mL = ε[cps/Bq]·t_view·V_mL.
        let q = Quantitation(calibrationCPSPerMBq: 90, frameDurationS: 8.38, voxelVolumeML: 0.110592)
        #expect(abs(q.valuePerBqPerML - 90e-6 * 8.38 * 0.110592) < 1e-12)
        #expect(abs(q.bqPerML(q.valuePerBqPerML * 30000) - 30000) < 1e-6)
    }
}

@Suite struct Projector {
    /// ⟨A x, y⟩ = ⟨x, Aᵀ y⟩ with attenuation, depth-dependent CDR, per-view radii and voxel ≠ pixel.
    @Test(arguments: [(4.0, 4.0), (4.0, 3.3)])
    func adjointWithAttenuationAndCDR(voxel: Double, pixel: Double) throws {
        let g = try SPECTGeometry(n: 20, slices: 12, voxelSizeMM: voxel, sliceThicknessMM: 4.5,
                                  centre: Vector3(3, -2, 5), columns: 26, rows: 15, pixelSizeMM: pixel,
                                  anglesDeg: SPECTGeometry.orbitAngles(views: 10, startDeg: 7),
                                  radiiMM: (0..<10).map { 60 + 4 * Double($0) })
        var rng = SeededGenerator(seed: 42)
        var mu = cylinder(g, radius: 30, cx: 4).scaled(0.015)
        for i in 0..<mu.values.count where mu.values[i] > 0 { mu.values[i] *= Float(0.5 + rng.uniform()) }
        let model = try SystemModel(geometry: g, attenuation: AttenuationMap(muPerMM: mu),
                                    collimator: CollimatorResponse(a: 0.04, b: 1, c: 2))
        var x = ReconVolume(geometry: g)
        for i in 0..<x.values.count { x.values[i] = Float(rng.uniform()) }
        var y = Projections(geometry: g)
        for i in 0..<y.values.count { y.values[i] = Float(rng.uniform()) }
        let lhs = dot(model.forward(x).values, y.values)
        let rhs = dot(x.values, model.back(y).values)
        #expect(lhs > 0)
        #expect(abs(lhs - rhs) / abs(lhs) < 2e-6, "⟨Ax,y⟩=\(lhs) ⟨x,Aᵀy⟩=\(rhs)")
    }

    /// A point in air lands at c = r/Δ + (C−1)/2, ρ = (z_c − z)/Δ + (R−1)/2 with r = x cos θ + y sin θ.
    @Test func pointSourceLandsWhereTheConventionSays() throws {
        let g = try SPECTGeometry(n: 32, slices: 16, voxelSizeMM: 4, columns: 32, rows: 16, pixelSizeMM: 4,
                                  anglesDeg: [0, 30, 90, 135, 200, 270, 315], radiiMM: [150])
        var x = ReconVolume(geometry: g)
        let (ix, iy, iz) = (24, 9, 12)  // x = +34 mm (left), y = −26 mm (anterior), z = +14 mm (superior)
        x[x: ix, y: iy, z: iz] = 1
        let p = g.imageGeometry.patientPosition(ix, iy, iz)
        let proj = try SystemModel(geometry: g).forward(x)
        for v in 0..<g.views {
            var s = 0.0, sc = 0.0, sr = 0.0
            for c in 0..<g.columns { for r in 0..<g.rows {
                let w = Double(proj[view: v, column: c, row: r]); s += w; sc += w * Double(c); sr += w * Double(r)
            } }
            let want = g.detectorPosition(of: p, view: v)
            #expect(abs(sc / s - want.column) < 0.2, "θ=\(g.anglesDeg[v]) column \(sc / s) want \(want.column)")
            #expect(abs(sr / s - want.row) < 1e-4, "θ=\(g.anglesDeg[v]) row \(sr / s) want \(want.row)")
            // Bilinear rotation conserves a single voxel's counts only on axis-aligned views.
            if g.anglesDeg[v].truncatingRemainder(dividingBy: 90) == 0 { #expect(abs(s - 1) < 1e-4) }
        }
        // Explicit anchors: anterior view, the patient's left (+x) is towards higher columns; row 0 is superior.
        let a = g.detectorPosition(of: p, view: 0)
        #expect(a.column > Double(g.columns - 1) / 2 && a.row < Double(g.rows - 1) / 2)
    }

    /// The projected profile of a point has the width σ(d) of the collimator model, in r and in z, at two depths.
    @Test func profileWidthFollowsSigmaOfDepth() throws {
        let cdr = CollimatorResponse(a: 0.05, b: 1, c: 2)
        let g = try SPECTGeometry(n: 48, slices: 40, voxelSizeMM: 2, columns: 48, rows: 40, pixelSizeMM: 2,
                                  anglesDeg: [0, 180], radiiMM: [120])
        var x = ReconVolume(geometry: g)
        let (ix, iy, iz) = (20, 10, 19)
        x[x: ix, y: iy, z: iz] = 1
        let p = g.imageGeometry.patientPosition(ix, iy, iz)
        let proj = try SystemModel(geometry: g, collimator: cdr).forward(x)
        var widths: [Double] = []
        for v in 0..<2 {
            var s = 0.0, sc = 0.0, sr = 0.0, scc = 0.0, srr = 0.0
            for c in 0..<g.columns { for r in 0..<g.rows {
                let w = Double(proj[view: v, column: c, row: r])
                s += w; sc += w * Double(c); sr += w * Double(r); scc += w * Double(c * c); srr += w * Double(r * r)
            } }
            let sigC = (scc / s - (sc / s) * (sc / s)).squareRoot() * g.pixelSizeMM
            let sigR = (srr / s - (sr / s) * (sr / s)).squareRoot() * g.pixelSizeMM
            let d = g.collimatorDistance(of: p, view: v)
            let want = cdr.sigmaMM(d)
            #expect(abs(sigC - want) / want < 0.03, "view \(v): σ_r \(sigC) vs σ(\(d))=\(want)")
            #expect(abs(sigR - want) / want < 0.03, "view \(v): σ_z \(sigR) vs σ(\(d))=\(want)")
            widths.append(sigR)
        }
        // y = −18 mm is anterior: closer to the 0° detector, so narrower there.
        #expect(widths[0] < widths[1] - 0.5)
    }

    /// A line source inside a uniform attenuating cylinder: view totals with/without μ give exp(−μ L) with L the
    /// analytic distance from the source to the cylinder surface along u(θ).
    @Test func attenuatedCylinderMatchesAnalyticLineIntegral() throws {
        let angles: [Double] = [0, 45, 90, 160, 250]
        let g = try SPECTGeometry(n: 72, slices: 4, voxelSizeMM: 2, columns: 72, rows: 4, pixelSizeMM: 2,
                                  anglesDeg: angles, radiiMM: [200])
        let rc = 60.0, mu = 0.015
        let muMap = cylinder(g, radius: rc).scaled(Float(mu))
        for (ix, iy) in [(35, 36), (45, 28), (30, 50)] {
            var x = ReconVolume(geometry: g)
            for z in 0..<g.slices { x[x: ix, y: iy, z: z] = 1 }
            let p = g.imageGeometry.patientPosition(ix, iy, 0)
            let air = try SystemModel(geometry: g).forward(x)
            let att = try SystemModel(geometry: g, attenuation: AttenuationMap(muPerMM: muMap)).forward(x)
            for v in 0..<g.views {
                let t = angles[v] * .pi / 180
                let pu = p.x * sin(t) - p.y * cos(t), pp = p.x * p.x + p.y * p.y
                let L = -pu + (pu * pu - pp + rc * rc).squareRoot()
                let ppv = g.pixelsPerView
                let a = att.values[(v * ppv)..<((v + 1) * ppv)].reduce(0, +)
                let b = air.values[(v * ppv)..<((v + 1) * ppv)].reduce(0, +)
                let want = exp(-mu * L)
                #expect(abs(Double(a / b) - want) / want < 0.01, "source (\(ix),\(iy)) θ=\(angles[v]): \(a / b) vs \(want)")
            }
        }
    }
}

/// Shared phantom for the iterative tests: a cylinder (background 1) with a hot rod (4×), water-like μ.
struct Phantom {
    let geometry: SPECTGeometry
    let truth: ReconVolume
    let model: SystemModel
    init(views: Int = 24) throws {
        geometry = try SPECTGeometry(n: 32, slices: 6, voxelSizeMM: 4, columns: 32, rows: 6, pixelSizeMM: 4,
                                     anglesDeg: SPECTGeometry.orbitAngles(views: views), radiiMM: [130])
        let body = cylinder(geometry, radius: 50)
        let rod = cylinder(geometry, radius: 12, cx: 20, cy: 0)
        var t = body
        for i in 0..<t.values.count { t.values[i] = 100 * (body.values[i] + 3 * rod.values[i]) }
        truth = t
        model = try SystemModel(geometry: geometry, attenuation: AttenuationMap(muPerMM: body.scaled(0.015)),
                                collimator: .siemensLEHR)
    }
    /// Mean over voxels well inside the background (away from the rod and the surface).
    func backgroundMean(_ x: ReconVolume) -> Double {
        var s = 0.0, k = 0
        let o = geometry.origin
        for ix in 0..<geometry.n { for iy in 0..<geometry.n {
            let px = o.x + Double(ix) * 4, py = o.y + Double(iy) * 4
            guard px * px + py * py < 30 * 30, (px - 20) * (px - 20) + py * py > 22 * 22 else { continue }
            for z in 1..<(geometry.slices - 1) { s += Double(x[x: ix, y: iy, z: z]); k += 1 }
        } }
        return s / Double(k)
    }
    func error(_ x: ReconVolume) -> Double {
        var num = 0.0, den = 0.0
        for i in 0..<x.values.count { let d = Double(x.values[i] - truth.values[i]); num += d * d; den += Double(truth.values[i] * truth.values[i]) }
        return (num / den).squareRoot()
    }
}

@Suite struct Iterative {
    @Test func osemAndMLEMConvergeOnNoiselessData() throws {
        let ph = try Phantom()
        let y = ph.model.forward(ph.truth)
        let lik = try PoissonLikelihood(system: ph.model, measured: y)
        var errs: [Double] = []
        var x: ReconVolume? = nil
        for _ in 0..<3 {
            x = OSEM(likelihood: lik).run(iterations: 3, subsets: 4, initial: x)
            errs.append(ph.error(x!))
        }
        #expect(errs[1] < errs[0] && errs[2] < errs[1], "OSEM error \(errs)")
        let bg = ph.backgroundMean(x!)
        #expect(abs(bg / 100 - 1) < 0.03, "background \(bg) vs 100")
        // MLEM: log-likelihood increases monotonically and the error decreases.
        var m = MLEM(likelihood: lik).run(iterations: 4)
        let l1 = lik.logLikelihood(m), e1 = ph.error(m)
        m = MLEM(likelihood: lik).run(iterations: 4, initial: m)
        #expect(lik.logLikelihood(m) > l1)
        #expect(ph.error(m) < e1)
    }

    @Test func progressIsReportedPerSubset() throws {
        let ph = try Phantom(views: 8)
        let lik = try PoissonLikelihood(system: ph.model, measured: ph.model.forward(ph.truth))
        nonisolated(unsafe) var seen: [ReconProgress] = []
        _ = OSEM(likelihood: lik).run(iterations: 2, subsets: 4) { seen.append($0) }
        #expect(seen.count == 8)
        #expect(seen.last == ReconProgress(iteration: 1, subset: 3, iterations: 2, subsets: 4))
    }

    @Test func bsremReducesNoiseComparedWithOSEM() throws {
        let ph = try Phantom()
        var rng = SeededGenerator(seed: 7)
        var y = ph.model.forward(ph.truth)
        let scale = 2e5 / y.sum  // ~200 k counts
        for i in 0..<y.values.count { y.values[i] = Float(rng.poisson(Double(y.values[i]) * scale)) }
        let lik = try PoissonLikelihood(system: ph.model, measured: y)
        let osem = OSEM(likelihood: lik).run(iterations: 4, subsets: 4)
        let bsrem = BSREM(likelihood: lik, prior: RelativeDifferencePrior(gamma: 2), beta: 0.3)
            .run(iterations: 4, subsets: 4)
        func cov(_ x: ReconVolume) -> Double {
            var v: [Double] = []
            let o = ph.geometry.origin
            for ix in 0..<32 { for iy in 0..<32 {
                let px = o.x + Double(ix) * 4, py = o.y + Double(iy) * 4
                guard px * px + py * py < 30 * 30, (px - 20) * (px - 20) + py * py > 22 * 22 else { continue }
                for z in 1..<5 { v.append(Double(x[x: ix, y: iy, z: z])) }
            } }
            let m = v.reduce(0, +) / Double(v.count)
            return (v.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(v.count)).squareRoot() / m
        }
        let co = cov(osem), cb = cov(bsrem)
        #expect(cb < 0.8 * co, "CoV OSEM \(co) BSREM \(cb)")
        let mo = ph.backgroundMean(osem), mb = ph.backgroundMean(bsrem)
        #expect(abs(mb / mo - 1) < 0.05, "background OSEM \(mo) BSREM \(mb)")
    }

    @Test func scatterTermIsModelledAdditively() throws {
        let ph = try Phantom(views: 8)
        var withS = ph.model
        withS.scatter = Projections(geometry: ph.geometry, value: 2)
        let lin = ph.model.forward(ph.truth), e = withS.expected(ph.truth)
        #expect(abs(e.sum - lin.sum - 2 * Double(lin.values.count)) < 1e-3 * e.sum)
    }
}

@Suite struct Analytic {
    @Test func fbpOfAPointPeaksAtItsVoxel() throws {
        let g = try SPECTGeometry(n: 32, slices: 8, voxelSizeMM: 4, columns: 32, rows: 8, pixelSizeMM: 4,
                                  anglesDeg: SPECTGeometry.orbitAngles(views: 60), radiiMM: [150])
        var x = ReconVolume(geometry: g)
        let (ix, iy, iz) = (22, 11, 5)
        x[x: ix, y: iy, z: iz] = 1
        let p = try SystemModel(geometry: g).forward(x)
        for window in [FBPWindow.ramp, .hann(cutoff: 1), .butterworth(cutoff: 0.8, order: 5)] {
            let r = FBP(geometry: g, window: window).reconstruct(p)
            let k = r.values.indices.max { r.values[$0] < r.values[$1] }!
            #expect(k == x.index(ix, iy, iz), "\(window)")
        }
    }

    @Test func fbpOfAUniformDiscRecoversItsValueAndChangCorrects() throws {
        let g = try SPECTGeometry(n: 40, slices: 4, voxelSizeMM: 4, columns: 40, rows: 4, pixelSizeMM: 4,
                                  anglesDeg: SPECTGeometry.orbitAngles(views: 64), radiiMM: [150])
        let disc = cylinder(g, radius: 50).scaled(10)
        let mu = AttenuationMap(muPerMM: cylinder(g, radius: 50).scaled(0.015))
        let plain = try SystemModel(geometry: g)
        let attModel = try SystemModel(geometry: g, attenuation: mu)
        let fbp = FBP(geometry: g, window: .hann(cutoff: 1))
        let r0 = fbp.reconstruct(plain.forward(disc))
        let r1 = fbp.reconstruct(attModel.forward(disc), chang: attModel.changCorrection())
        func centre(_ r: ReconVolume) -> Double {
            var s = 0.0; var k = 0
            for ix in 16..<24 { for iy in 16..<24 { for z in 1..<3 { s += Double(r[x: ix, y: iy, z: z]); k += 1 } } }
            return s / Double(k)
        }
        #expect(abs(centre(r0) / 10 - 1) < 0.03, "FBP centre \(centre(r0))")
        // First-order Chang is approximate: within 10 % in the centre (uncorrected would be ~45 % low).
        #expect(abs(centre(r1) / 10 - 1) < 0.1, "FBP+Chang centre \(centre(r1))")
    }

    @Test func gaussianPostFilterKeepsCountsAndWidens() throws {
        let g = try SPECTGeometry(n: 24, slices: 24, voxelSizeMM: 2, columns: 24, rows: 24, pixelSizeMM: 2,
                                  anglesDeg: [0], radiiMM: [100])
        var x = ReconVolume(geometry: g)
        x[x: 12, y: 12, z: 12] = 1
        let f = GaussianFilter(fwhmMM: 8).apply(x, geometry: g)
        #expect(abs(f.sum - 1) < 1e-5)
        var s2 = 0.0
        for z in 0..<24 { s2 += Double(f[x: 12, y: 12, z: z]) * Double((z - 12) * (z - 12)) * 4 }
        let sz = (s2 / Double((0..<24).map { f[x: 12, y: 12, z: $0] }.reduce(0, +))).squareRoot()
        #expect(abs(sz - 8 / 2.3548) < 0.15, "σ_z \(sz)")
    }
}
