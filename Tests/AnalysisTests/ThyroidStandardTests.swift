import Foundation
import Imaging
import Physics
import Testing
@testable import Analysis
@testable import Simulation

/// The thyroid-uptake standard of the virtual study (issue 18): the capsule sits at the gland's mean depth below the
/// neck's anterior skin, computed here by an independent Monte Carlo over the gland's shapes.
@Suite struct ThyroidStandardTests {
    @Test("thyroid-uptake standard sits at the gland's mean depth; noise-free uptake within 1 % of the truth (+2.9 % with the old capsule)")
    func thyroidStandardDepth() throws {
        // Independent mean depth: the lobes (ellipsoids at x = ±18, y = −30, semi-axes 9, 9, 22) and the isthmus box
        // below the elliptic neck surface y = −50·√(1 − x²/55²), by Monte Carlo in the test.
        var g = SeededGenerator(seed: 5, stream: 1)
        var sum = 0.0, cnt = 0.0
        for _ in 0..<200_000 {
            let x = -30 + 60 * g.uniform(), y = -45 + 30 * g.uniform(), z = 230 + 50 * g.uniform()
            func inLobe(_ cx: Double) -> Bool {
                let u: Double = (x - cx) / 9, v: Double = (y + 30) / 9, w: Double = (z - 255) / 22
                return u * u + v * v + w * w <= 1
            }
            let lobe = inLobe(-18) || inLobe(18)
            let isthmus = abs(x) <= 12 && y >= -36 && y <= -30 && z >= 240 && z <= 250
            if lobe || isthmus { sum += y + 50 * (1 - x * x / 3025).squareRoot(); cnt += 1 }
        }
        #expect(abs(ClinicalStudies.glandMeanDepthMM - sum / cnt) < 0.1, "gland depth \(ClinicalStudies.glandMeanDepthMM) vs Monte Carlo \(sum / cnt)")
        let n = Radionuclide.named("I-123")!
        let cam = ClinicalStudies.camera(nuclide: n, collimator: "LEHR", columns: 64, rows: 64, pixelMM: 4.8)
        let c = ClinicalStudies.thyroidUptake(nuclide: n, uptakePercent: 50, hoursAfterAdministration: 4, administeredMBq: 10, tissueBqPerML: 0,
                                              seconds: 300, camera: cam, noise: false)
        func m(_ s: SimulatedStudy, _ k: Double, _ seconds: Double = 300) throws -> ThyroidUptake.Measurement {
            ThyroidUptake.Measurement(image: try PlanarViewImage(try s.acquisition.planarImage(frame: 0)), start: SimulationSetup.defaultStart.addingTimeInterval(k * 360), durationSeconds: seconds)
        }
        let admin = SimulationSetup.defaultStart.addingTimeInterval(-4 * 3600)
        let r = try ThyroidUptake(nuclide: n).analyze(neck: try m(c.neck, 0), standard: try m(c.standard, 1, c.standardSeconds), thigh: try m(c.thigh, 2), room: try m(c.room, 3),
                                                      administeredBq: c.administeredBq, administration: admin, standardBq: c.standardBq, standardCalibration: admin).result
        print(String(format: "thyroid noise-free 50 %%: measured %.3f %% (relative %+.2f %%)", r.uptakePercent, 100 * (r.uptakePercent / c.uptakePercent - 1)))
        // Measured −0.45 % (branch thyroid6: standard = the administered activity, region-geometry correction k ≈ 0.998;
        // −0.8 % before). The rest is not the region: the capsule's sensitivity against the voxelised gland's (the
        // capsule at 17.5 mm reads +0.10 %, docs/thyroid-uptake.md). The old capsule 20 mm deep read +2.9 % here.
        #expect(abs(r.uptakePercent / c.uptakePercent - 1) < 0.006, "\(r.uptakePercent) vs \(c.uptakePercent)")
        #expect((r.regionGeometryFactor ?? 1) < 1)
    }
}
