import Foundation
import Imaging
import Physics
@testable import Simulation

/// Test fixtures: Tc-99m, LEHR, small matrices.
enum Fixture {
    static let tc = Radionuclide.named("Tc-99m")!
    static let lehr = Collimator.named("LEHR")!
    static var peak: Double { tc.photopeakKeV! }

    static func camera(columns: Int = 64, rows: Int = 64, pixel: Double = 4, scatter: ScatterModel = ScatterModel()) -> Camera {
        Camera(collimator: lehr, columns: columns, rows: rows, pixelSizeMM: pixel,
               windows: WindowSetting.tripleEnergyWindows(photopeakKeV: peak, label: "Tc99m"), scatter: scatter)
    }

    /// A water cylinder (radius, half-length) with a uniform concentration (0: no activity).
    static func waterCylinder(radius: Double = 100, halfLength: Double = 12, bqPerML: Double = 0) -> Phantom {
        Phantom(name: "cylinder", compartments: [Compartment(name: "water", shape: .cylinder(centerX: 0, centerY: 0, radiusX: radius, radiusY: radius, zMin: -halfLength, zMax: halfLength),
                                                             material: .water, concentrationBqPerML: bqPerML)])
    }

    static let empty = Phantom(name: "none", compartments: [])

    /// A small noise-free gated blood-pool study of an ICRP patient: 64 × 64 pixels of 6 mm, Tc-99m photopeak only,
    /// no scatter, 6 mm voxels, `g` the gated protocol.
    static func gatedStudy(_ patient: VirtualPatient, _ g: GatedProtocol) throws -> SimulatedStudy {
        let cam = Camera(collimator: lehr, columns: 64, rows: 64, pixelSizeMM: 6,
                         windows: [WindowSetting(name: "PEAK", lowerKeV: 126.45, upperKeV: 154.55)], scatter: .none)
        let setup = SimulationSetup(phantom: empty, nuclide: tc, camera: cam, voxelMM: 6, noise: false)
        return try Simulator.gated(setup, patient: patient, protocol: g, voxelMM: 6, subsamples: 1)
    }

    /// Sum of a frame of an acquisition.
    static func frameSum(_ a: [Float], frame: Int, pixels: Int) -> Double {
        a[(frame * pixels)..<((frame + 1) * pixels)].reduce(0) { $0 + Double($1) }
    }

    /// Intensity-weighted centroid (column, row) of a frame.
    static func centroid(_ a: [Float], frame: Int, rows: Int, columns: Int) -> (Double, Double) {
        var s = 0.0, sc = 0.0, sr = 0.0
        for r in 0..<rows { for c in 0..<columns {
            let v = Double(a[frame * rows * columns + r * columns + c])
            s += v; sc += v * Double(c); sr += v * Double(r)
        } }
        return (sc / s, sr / s)
    }
}
