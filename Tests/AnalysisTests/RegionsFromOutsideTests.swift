import Foundation
import Imaging
import Physics
import Testing
@testable import Analysis

/// Regions given from outside (edited by a reader, issue 13/18 contract "regions from outside"): each analysis takes
/// them in place of its automatic regions and computes its numbers from them. Checked against counts constructed by
/// hand (the sums the regions must give) and, for the parathyroid, against the simulator's retention.
@Suite struct RegionsFromOutsideTests {
    /// A 64 × 64 image of `base` counts per pixel with `value` in the given (column, row) squares of side 3 or 5.
    static func image(base: Float, squares: [(c: Int, r: Int, half: Int, value: Float)]) throws -> PlanarViewImage {
        var v = [Float](repeating: base, count: 64 * 64)
        for s in squares { for r in (s.r - s.half)...(s.r + s.half) { for c in (s.c - s.half)...(s.c + s.half) { v[r * 64 + c] = s.value } } }
        return try PlanarViewImage(rows: 64, columns: 64, counts: v, pixelSpacingMM: 4)
    }

    /// Thyroid uptake with the neck and standard regions given: a 5 × 5 gland of 100 counts/pixel over 10 counts/pixel
    /// tissue, the same tissue on the thigh, a 5 × 5 standard of 1000 counts/pixel; standard activity = administered,
    /// all at the same instant, 1 s frames. Uptake = (25·100 − 25·10) / (25·1000) = 9 % (decay within 1 s of Tc-99m
    /// changes it by < 1e-4 relative).
    @Test func thyroidUptakeWithGivenRegions() throws {
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        let neck = try Self.image(base: 10, squares: [(32, 20, 2, 100)])
        let thigh = try Self.image(base: 10, squares: [])
        let std = try Self.image(base: 0, squares: [(40, 40, 2, 1000)])
        var gland = PlanarROI(rows: 64, columns: 64), capsule = PlanarROI(rows: 64, columns: 64)
        for r in 18...22 { for c in 30...34 { gland.inside[r * 64 + c] = true } }
        for r in 38...42 { for c in 38...42 { capsule.inside[r * 64 + c] = true } }
        let tc = try #require(Radionuclide.named("Tc-99m"))
        let a = try ThyroidUptake(nuclide: tc).analyze(
            neck: .init(image: neck, start: t0, durationSeconds: 1), standard: .init(image: std, start: t0, durationSeconds: 1),
            thigh: .init(image: thigh, start: t0, durationSeconds: 1), room: nil, administeredBq: 1e8, administration: t0,
            standardBq: 1e8, standardCalibration: t0, neckRegion: gland, standardRegion: capsule)
        #expect(abs(a.result.uptakePercent - 9) < 1e-3, "uptake \(a.result.uptakePercent)")
        #expect(a.neckROI == gland && a.standardROI == capsule)
        #expect(a.result.neckROICentre == [32, 20] && a.result.standardROICentre == [40, 40])
        #expect(a.result.method.hasPrefix("edited regions"))
        // A region off the grid is refused with a clear message.
        let wrong = PlanarROI(rows: 32, columns: 32)
        #expect { _ = try ThyroidUptake(nuclide: tc).analyze(
            neck: .init(image: neck, start: t0, durationSeconds: 1), standard: .init(image: std, start: t0, durationSeconds: 1),
            thigh: nil, room: nil, administeredBq: 1e8, administration: t0, standardBq: 1e8, standardCalibration: t0, neckRegion: wrong)
        } throws: { "\($0)".contains("neck region given is empty or not on the 64×64") }
    }

    /// Sentinel node with the injection site and the nodes given: zero background, a 3 × 3 node of 50 and one of 4
    /// counts/pixel: net counts 450 and 36, 100 % and 8 % of the hottest (the second below the 10 % rule), distances
    /// from the given injection centre.
    @Test func sentinelWithGivenRegions() throws {
        var v = try Self.image(base: 0, squares: [(10, 10, 2, 1000), (40, 40, 1, 50), (40, 20, 1, 4)])
        v.name = "Anterior"
        let given = SentinelNodeAnalysis.GivenRegions(injectionSite: PlanarDisk(column: 10, row: 10, radius: 6),
                                                      nodes: [PlanarDisk(column: 40, row: 20, radius: 2), PlanarDisk(column: 40, row: 40, radius: 2)])
        let r = try SentinelNodeAnalysis().analyze([v], given: ["Anterior": given])
        #expect(r.nodes.count == 2)
        #expect(abs(r.nodes[0].counts - 450) < 1e-6 && abs(r.nodes[1].counts - 36) < 1e-6)
        #expect(abs(r.nodes[1].percentOfHottest - 8) < 1e-6 && !r.nodes[1].meetsReportingRule && r.nodes[0].meetsReportingRule)
        #expect(abs(r.nodes[0].distanceFromInjectionMM - (30.0 * 30 * 2).squareRoot() * 4) < 1e-6)
        #expect(r.injectionSite.column == 10 && r.injectionSite.row == 10 && abs(r.injectionSite.maskRadiusMM - 24) < 1e-9)
        #expect(abs(r.injectionSite.counts - 25_000) < 1e-6)
        // The automatic path finds the hot node first (the finishing step is shared); given regions are measured
        // whatever their significance.
        let auto = try SentinelNodeAnalysis().analyze([v])
        #expect(auto.nodes.first.map { abs($0.column - 40) < 0.5 && abs($0.row - 40) < 0.5 } == true)
        #expect { _ = try SentinelNodeAnalysis().analyze([v], given: ["Lateral": given]) } throws: { "\($0)".contains("view Lateral") }
        #expect { _ = try SentinelNodeAnalysis().analyze([v], given: ["Anterior": .init(nodes: [PlanarDisk(column: 90, row: 3, radius: 2)])]) }
            throws: { "\($0)".contains("lies outside the 64×64 view") }
    }
}
