import Foundation
import Imaging

extension GatedBloodPoolLVEF {
    /// The first Fourier harmonic of every pixel's time–activity curve over one R-R cycle (phase analysis).
    ///
    /// With N time slots and frame t sampled at t (slot start, the cycle starting at the R wave):
    /// `a = Σ f(t) cos(2πt/N)`, `b = Σ f(t) sin(2πt/N)`;
    /// f(t) ≈ mean + A cos(2πt/N − φ) with amplitude A = 2/N · √(a² + b²) (counts per frame) and phase
    /// φ = atan2(b, a), given in degrees 0–360: the time of the harmonic's maximum as a fraction of the cycle ×
    /// 360°. Ventricles, full at the R wave, lie near 0°/360°; the atria, filling while the ventricles empty,
    /// near 180°.
    public struct Harmonic: Sendable, Equatable, Codable {
        /// Matrix rows.
        public var rows: Int
        /// Matrix columns.
        public var columns: Int
        /// Mean counts per frame of each pixel.
        public var mean: [Double]
        /// First-harmonic amplitude (counts per frame), row-major.
        public var amplitude: [Double]
        /// First-harmonic phase (degrees, 0 ≤ φ < 360), row-major.
        public var phaseDeg: [Double]
    }

    /// The first harmonic of `frames` (one R-R cycle, in time-slot order); see ``Harmonic``.
    public static func firstHarmonic(_ frames: [PlanarViewImage]) -> Harmonic {
        let n = frames.count
        let rows = frames.first?.rows ?? 0, cols = frames.first?.columns ?? 0, np = rows * cols
        var a = [Double](repeating: 0, count: np), b = a, m = a
        for (t, f) in frames.enumerated() {
            let w = 2 * Double.pi * Double(t) / Double(max(1, n))
            let c = cos(w), s = sin(w)
            for i in 0..<np { let v = Double(f.counts[i]); a[i] += v * c; b[i] += v * s; m[i] += v }
        }
        var amp = a, ph = a
        for i in 0..<np {
            amp[i] = 2 / Double(max(1, n)) * (a[i] * a[i] + b[i] * b[i]).squareRoot()
            var p = atan2(b[i], a[i]) * 180 / .pi
            if p < 0 { p += 360 }
            if p >= 360 { p -= 360 }
            ph[i] = p
            m[i] /= Double(max(1, n))
        }
        return Harmonic(rows: rows, columns: cols, mean: m, amplitude: amp, phaseDeg: ph)
    }

    /// Smallest angle (degrees, 0–180) between two phases.
    static func phaseDistance(_ a: Double, _ b: Double) -> Double {
        var d = abs(a - b).truncatingRemainder(dividingBy: 360)
        if d > 180 { d = 360 - d }
        return d
    }

    /// Amplitude-weighted circular mean of the phase over `roi` (degrees 0–360), and the amplitude-weighted
    /// circular standard deviation (degrees).
    static func meanPhase(_ h: Harmonic, over roi: [Int]) -> (mean: Double, sd: Double)? {
        var sx = 0.0, sy = 0.0, w = 0.0
        for i in roi { let p = h.phaseDeg[i] * .pi / 180; sx += h.amplitude[i] * cos(p); sy += h.amplitude[i] * sin(p); w += h.amplitude[i] }
        guard w > 0 else { return nil }
        var mean = atan2(sy, sx) * 180 / .pi
        if mean < 0 { mean += 360 }
        let r = min(1, (sx * sx + sy * sy).squareRoot() / w)
        let sd = (-2 * log(max(r, 1e-12))).squareRoot() * 180 / .pi
        return (mean, sd)
    }

    /// One sector of the LV for regional wall motion.
    public struct RegionalWallMotion: Sendable, Codable, Equatable {
        /// Segment of the LAO view (`septal`, `inferoseptal`, `inferoapical`, `inferolateral`, `lateral`,
        /// `basal lateral`, `basal`, `basal septal`).
        public var segment: String
        /// Regional ejection fraction (percent): background-corrected counts of the sector of the ED region at
        /// ED against those of the same sector's part of the ES region at ES.
        public var ejectionFractionPercent: Double
        /// Amplitude-weighted mean phase of the sector (degrees, first harmonic, ``Harmonic``).
        public var phaseDeg: Double
        /// Mean first-harmonic amplitude of the sector, relative to the LV's mean (1 = average).
        public var relativeAmplitude: Double
        /// `normal`, `hypokinetic` (regional EF below half the global LVEF), `akinetic` (below 10 %) or
        /// `dyskinetic` (phase more than 90° from the LV's mean phase).
        public var motion: String
    }

    /// The eight 45° sectors of the ED region around its centre, named for the LAO view (image right = lateral,
    /// image down = inferior), from 3 o'clock clockwise.
    static let segmentNames = ["lateral", "inferolateral", "inferoapical", "inferoseptal", "septal", "basal septal", "basal", "basal lateral"]

    /// Regional wall motion in eight sectors of the ED region (see ``RegionalWallMotion``).
    static func wallMotion(frames: [PlanarViewImage], ed: Int, es: Int, edROI: PlanarROI, esROI: PlanarROI, backgroundPerPixel: Double,
                           harmonic h: Harmonic, lvef: Double, lvPhase: Double) -> [RegionalWallMotion] {
        guard let c = edROI.centroid else { return [] }
        let cols = edROI.columns
        var sector = [[Int]](repeating: [], count: 8)
        for i in edROI.indices {
            let dc = Double(i % cols) - c.column, dr = Double(i / cols) - c.row
            var ang = atan2(dr, dc) * 180 / .pi + 22.5
            if ang < 0 { ang += 360 }
            sector[min(7, Int(ang / 45))].append(i)
        }
        let meanAmp = edROI.indices.reduce(0.0) { $0 + h.amplitude[$1] } / Double(max(1, edROI.count))
        var out: [RegionalWallMotion] = []
        for (k, px) in sector.enumerated() where px.count >= 2 {
            let edC = px.reduce(0.0) { $0 + Double(frames[ed].counts[$1]) } - backgroundPerPixel * Double(px.count)
            let esPx = px.filter { esROI.inside[$0] }
            let esC = esPx.reduce(0.0) { $0 + Double(frames[es].counts[$1]) } - backgroundPerPixel * Double(esPx.count)
            let ef = edC > 0 ? 100 * (edC - esC) / edC : 0
            let ph = meanPhase(h, over: px)?.mean ?? lvPhase
            let amp = meanAmp > 0 ? px.reduce(0.0) { $0 + h.amplitude[$1] } / Double(px.count) / meanAmp : 0
            let motion = phaseDistance(ph, lvPhase) > 90 ? "dyskinetic" : ef < 10 ? "akinetic" : ef < 0.5 * lvef ? "hypokinetic" : "normal"
            out.append(RegionalWallMotion(segment: segmentNames[k], ejectionFractionPercent: ef, phaseDeg: ph, relativeAmplitude: amp, motion: motion))
        }
        return out
    }
}
