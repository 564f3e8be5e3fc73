import Foundation
import Imaging

/// A β⁻ spectrum of one emitter (ICRP-07.BET), normalised to the emitter's β⁻ yield per decay of the parent.
public struct BetaSpectrum: Sendable, Equatable {
    /// The emitting nuclide (a chain member for Ra-223).
    public var emitter: String
    /// β⁻ particles per decay of the (chain's) parent.
    public var yield: Double
    /// Mean β⁻ energy per decay of the parent (ICRP-07.RAD), MeV.
    public var meanEnergyMeV: Double
    /// Kinetic energies (MeV) and the number density (1/MeV per decay) at them (the points of ICRP-07.BET).
    public var energiesMeV: [Double], density: [Double]

    /// The spectrum on a grid `subdivisions` times finer, interpolated between the tabulated points by the monotone
    /// piecewise-cubic Hermite interpolant (PCHIP: Fritsch & Carlson, SIAM J Numer Anal 17 (1980) 238; the slopes of
    /// Fritsch & Butland as in scipy's `PchipInterpolator`), clamped at 0. Sampled piecewise linearly, the refined
    /// spectrum keeps ICRP-07.RAD's mean β energy: straight lines between the tabulated points overstate it by
    /// 0.14 % (Y-90) … 0.41 % (Ho-166), 0.29 % for I-131 and 0.39 % for Lu-177 (the spectrum is convex towards its
    /// end point); with 8 subdivisions the sampled means are −0.01 … +0.05 % off for every β emitter generated here
    /// except Ho-166 (+0.11 %) (`MonteCarloTests.betaSamplingKeepsTheICRP107MeanEnergy`). PCHIP adds no extrema,
    /// so the density stays ≥ 0 and the shape between points is that of its neighbours.
    public func refined(subdivisions k: Int = 8) -> (energiesMeV: [Double], density: [Double]) {
        let x = energiesMeV, y = density, n = x.count
        guard n >= 3, k > 1 else { return (x, y) }
        let h = (0..<(n - 1)).map { x[$0 + 1] - x[$0] }
        let d = (0..<(n - 1)).map { h[$0] > 0 ? (y[$0 + 1] - y[$0]) / h[$0] : 0 }
        var m = [Double](repeating: 0, count: n)
        for i in 1..<(n - 1) where d[i - 1] * d[i] > 0 {
            let w1 = 2 * h[i] + h[i - 1], w2 = h[i] + 2 * h[i - 1]
            m[i] = (w1 + w2) / (w1 / d[i - 1] + w2 / d[i])
        }
        /// One-sided three-point end slope, limited to keep the end interval monotone.
        func end(_ h0: Double, _ h1: Double, _ d0: Double, _ d1: Double) -> Double {
            let s = ((2 * h0 + h1) * d0 - h0 * d1) / (h0 + h1)
            if s.sign != d0.sign || d0 == 0 { return 0 }
            if d0.sign != d1.sign, abs(s) > 3 * abs(d0) { return 3 * d0 }
            return s
        }
        m[0] = end(h[0], h[1], d[0], d[1]); m[n - 1] = end(h[n - 2], h[n - 3], d[n - 2], d[n - 3])
        var xs = [x[0]], ys = [y[0]]
        xs.reserveCapacity((n - 1) * k + 1); ys.reserveCapacity((n - 1) * k + 1)
        for i in 0..<(n - 1) {
            for j in 1...k {
                let t = Double(j) / Double(k), t2 = t * t, t3 = t2 * t
                let value = (2 * t3 - 3 * t2 + 1) * y[i] + (t3 - 2 * t2 + t) * h[i] * m[i] + (3 * t2 - 2 * t3) * y[i + 1] + (t3 - t2) * h[i] * m[i + 1]
                xs.append(j == k ? x[i + 1] : x[i] + t * h[i]); ys.append(j == k ? y[i + 1] : max(value, 0))
            }
        }
        return (xs, ys)
    }
}

/// The full emission spectrum of a radionuclide (ICRP Publication 107): photon lines (γ and X), discrete electrons
/// (internal conversion and Auger), α lines, β⁻ spectra, and the energy of emissions below 1 keV and of α recoil,
/// deposited where the decay happens. Generated from the PyPI package `icrp107-database` by
/// `scripts/generate-emission-data.py` into `Generated/EmissionData.swift`. Ra-223 includes its progeny in secular
/// equilibrium (``members``).
public struct EmissionSpectrum: Sendable, Equatable {
    /// Nuclide name (`Lu-177`).
    public var name: String
    /// Physical half-life of the parent (s).
    public var halfLifeSeconds: Double
    /// The chain members and their branching (`Ra-223*1,Rn-219*1,…`); the nuclide alone otherwise.
    public var members: String
    /// (MeV, per decay).
    public var photons: [[Double]], electrons: [[Double]], alphas: [[Double]]
    /// β⁻ spectra.
    public var betas: [BetaSpectrum]
    /// Emissions < 1 keV and α recoil, MeV per decay, deposited at the decay point.
    public var localMeV: Double

    /// Source of the data, for reports.
    public static let source = "ICRP Publication 107 (2008), ICRP-07.RAD/ICRP-07.BET via icrp107-database 0.0.3 (scripts/generate-emission-data.py)"

    /// Mean emitted energy per decay by kind, MeV.
    public var photonMeV: Double { photons.reduce(0) { $0 + $1[0] * $1[1] } }
    public var electronMeV: Double { electrons.reduce(0) { $0 + $1[0] * $1[1] } }
    public var alphaMeV: Double { alphas.reduce(0) { $0 + $1[0] * $1[1] } }
    public var betaMeV: Double { betas.reduce(0) { $0 + $1.meanEnergyMeV } }
    /// Total emitted energy per decay, MeV.
    public var totalMeV: Double { photonMeV + electronMeV + alphaMeV + betaMeV + localMeV }

    /// The nuclides with generated spectra.
    public static var names: [String] { table.keys.sorted() }

    /// The spectrum of `name` (`Lu-177`, `lu177`, `177Lu`…); nil when not generated.
    public static func named(_ name: String) -> EmissionSpectrum? {
        let key = normalised(name)
        return table.first { normalised($0.key) == key }?.value
    }

    static func normalised(_ s: String) -> String {
        let up = s.uppercased().filter { $0.isLetter || $0.isNumber }
        let letters = String(up.prefix { $0.isLetter }), digits = String(up.drop { $0.isLetter }.prefix { $0.isNumber })
        if !letters.isEmpty { return up }
        let rest = up.dropFirst(digits.count)
        if rest.hasSuffix("M") == false, rest.hasPrefix("M"), rest.count > 1 { return String(rest.dropFirst()) + digits + "M" }
        return rest + digits
    }

    static let table: [String: EmissionSpectrum] = parse(icrp107Text)

    /// Parses the generated text: blocks `nuclide NAME T½ MEMBERS`, `photons E y …`, `electrons E y …`,
    /// `alphas E y …`, `beta EMITTER YIELD MEAN E n E n …` (any number), `local MeV`.
    static func parse(_ text: String) -> [String: EmissionSpectrum] {
        var out: [String: EmissionSpectrum] = [:]
        var cur: EmissionSpectrum? = nil
        func pairs(_ f: [Substring]) -> [[Double]] {
            let v = f.compactMap { Double($0) }
            return stride(from: 0, to: v.count - 1, by: 2).map { [v[$0], v[$0 + 1]] }
        }
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ")
            guard let head = f.first else { continue }
            switch head {
            case "nuclide":
                if let c = cur { out[c.name] = c }
                cur = EmissionSpectrum(name: String(f[1]), halfLifeSeconds: Double(f[2]) ?? 0, members: f.count > 3 ? String(f[3]) : String(f[1]),
                                       photons: [], electrons: [], alphas: [], betas: [], localMeV: 0)
            case "photons": cur?.photons = pairs(Array(f.dropFirst()))
            case "electrons": cur?.electrons = pairs(Array(f.dropFirst()))
            case "alphas": cur?.alphas = pairs(Array(f.dropFirst()))
            case "beta":
                let p = pairs(Array(f.dropFirst(4)))
                cur?.betas.append(BetaSpectrum(emitter: String(f[1]), yield: Double(f[2]) ?? 0, meanEnergyMeV: Double(f[3]) ?? 0,
                                               energiesMeV: p.map { $0[0] }, density: p.map { $0[1] }))
            case "local": cur?.localMeV = Double(f[1]) ?? 0
            default: continue
            }
        }
        if let c = cur { out[c.name] = c }
        return out
    }
}

/// Draws the particles of one decay: the expected number of particles per decay (Σ yields) is emitted by random
/// rounding, each particle drawn from all lines and β spectra by yield (Walker alias table), β energies from the
/// PCHIP-refined spectrum: the mean emitted energy per decay is that of the data on average (lines exactly, β
/// spectra within 0.05 %, Ho-166 0.11 %; ``BetaSpectrum/refined(subdivisions:)``).
struct DecaySampler: Sendable {
    enum Kind: UInt8 { case photon, electron, alpha, beta }
    let kinds: [Kind], energies: [Double], betaIndex: [Int]
    let alias: [Int], probability: [Double]
    let meanCount: Double
    /// Per β spectrum: cumulative distribution over the refined points (piecewise linear density between them).
    let betaCDF: [[Double]], betaE: [[Double]], betaN: [[Double]]
    let localMeV: Double

    init(_ s: EmissionSpectrum) {
        var k: [Kind] = [], e: [Double] = [], w: [Double] = [], bi: [Int] = []
        for p in s.photons { k.append(.photon); e.append(p[0]); w.append(p[1]); bi.append(-1) }
        for p in s.electrons { k.append(.electron); e.append(p[0]); w.append(p[1]); bi.append(-1) }
        for p in s.alphas { k.append(.alpha); e.append(p[0]); w.append(p[1]); bi.append(-1) }
        var cdfs: [[Double]] = [], es: [[Double]] = [], ns: [[Double]] = []
        for (n, b) in s.betas.enumerated() {
            k.append(.beta); e.append(0); w.append(b.yield); bi.append(n)
            // The tabulated points refined by PCHIP (``BetaSpectrum/refined(subdivisions:)``), then linear.
            let (energy, density) = b.refined()
            var c = [0.0]
            for i in 1..<energy.count {
                c.append(c[i - 1] + 0.5 * (density[i] + density[i - 1]) * (energy[i] - energy[i - 1]))
            }
            cdfs.append(c.map { $0 / max(c.last!, 1e-300) }); es.append(energy); ns.append(density)
        }
        kinds = k; energies = e; betaIndex = bi; betaCDF = cdfs; betaE = es; betaN = ns; localMeV = s.localMeV
        let total = w.reduce(0, +)
        meanCount = total
        // Walker's alias method (Vose).
        let n = w.count
        var prob = [Double](repeating: 0, count: n), al = [Int](repeating: 0, count: n)
        var scaled = w.map { $0 / max(total, 1e-300) * Double(n) }
        var small: [Int] = [], large: [Int] = []
        for i in 0..<n { if scaled[i] < 1 { small.append(i) } else { large.append(i) } }
        while let s = small.popLast() {
            guard let l = large.last else { prob[s] = 1; continue }
            prob[s] = scaled[s]; al[s] = l
            scaled[l] -= 1 - scaled[s]
            if scaled[l] < 1 { large.removeLast(); small.append(l) }
        }
        for l in large { prob[l] = 1; al[l] = l }
        alias = al; probability = prob
    }

    /// Number of particles of one decay.
    @inline(__always) func count(_ rng: inout SeededGenerator) -> Int {
        let f = meanCount.rounded(.down)
        return Int(f) + (rng.uniform() < meanCount - f ? 1 : 0)
    }

    /// One particle: kind and kinetic energy (MeV).
    @inline(__always) func draw(_ rng: inout SeededGenerator) -> (Kind, Double) {
        let n = kinds.count
        let u = rng.uniform() * Double(n)
        var i = min(Int(u), n - 1)
        if u - Double(i) >= probability[i] { i = alias[i] }
        guard kinds[i] == .beta else { return (kinds[i], energies[i]) }
        let b = betaIndex[i], c = betaCDF[b], e = betaE[b], d = betaN[b]
        let v = rng.uniform()
        var lo = 0, hi = c.count - 1
        while hi - lo > 1 { let m = (lo + hi) / 2; if c[m] < v { lo = m } else { hi = m } }
        // Inside the bin the density is linear: solve the quadratic CDF for the energy.
        let de = e[hi] - e[lo], n0 = d[lo], n1 = d[hi]
        let area = c[hi] - c[lo]
        guard area > 0, de > 0 else { return (.electron, e[lo]) }
        let t = (v - c[lo]) / area   // 0…1 of this bin's probability
        let a = (n1 - n0) / 2, bq = n0, cq = -t * (n0 + n1) / 2
        var x: Double
        if abs(a) < 1e-12 * max(abs(bq), 1e-300) { x = bq > 0 ? -cq / bq : t } else {
            let disc = max(bq * bq - 4 * a * cq, 0)
            x = (-bq + disc.squareRoot()) / (2 * a)
        }
        x = min(max(x, 0), 1)
        return (.electron, e[lo] + x * de)
    }
}
