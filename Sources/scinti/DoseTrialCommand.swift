import ArgumentParser
import Foundation
import Simulation
import Workflows

/// `scinti dose trial`: the serial virtual-patient dosimetry trial of issue 21 (``Workflows/DoseTrial``).
struct DoseTrialCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trial",
        abstract: "Serial Lu-177 virtual-patient trial (ICRP phantoms, 4 visits, repositioning, limited CT fields): registration, TIA and k = 2 coverage against the truth.")

    @Option(help: "Patient seeds (comma-separated; odd: ICRP AM, even: AF).") var seeds = "21001,21002"
    @Option(help: "Noise realisations per patient (Poisson resampling + calibration draw).") var realisations = 200
    @Option(help: "Largest rotation per axis (°) and translation per axis (mm) between visits.") var motion = "3:15"
    @Option(help: "CT axial fields drawn in MIN:MAX mm.") var ctField = "150:400"
    @Option(help: "ICRP-110 phantom folder (default $SCINTI_ICRP110 or ../shared/phantoms/icrp110).") var folder: String?
    @Option(help: "Tumours REGION:DIAMETER_MM:CONTRAST, comma-separated (contrast vs the liver; liver only), or none.") var tumours = "liver:34:8,liver:28:8"
    @Option(help: "Simulation and SPECT voxel (mm).") var voxelMm = 4.8
    @Option(help: "Sub-samples per voxel edge of the phantom voxelisation (1–3; 1 for quick runs).") var subsamples = 2
    @Option(help: "Margin (mm) of the tumour VOIs taken out of their host organ's VOI (default: the organ margin, 9.6 mm; 0: the tumours' own voxels only).") var tumourExclusionMm: Double?
    @Option(help: "Organ activities: none (the dilated VOI's sum, default) or gtm (geometric transfer matrix spill correction, experimental).") var spillCorrection = "none"
    @Flag(help: "Only log where each source's blurred activity lands in the VOIs (first visit, noise-free); no registration, no realisations.") var diagnoseSpill = false
    /// `--json` is the `scinti dose` option (ArgumentParser shares a parent's options).
    @ParentCommand var dose: DoseCommand

    func run() throws {
        let s = seeds.split(separator: ",").compactMap { UInt64($0.trimmingCharacters(in: .whitespaces)) }
        guard !s.isEmpty, s.count == seeds.split(separator: ",").count else { throw fail("--seeds \(seeds): comma-separated integers") }
        guard (1...10_000).contains(realisations) else { throw fail("--realisations must be 1…10000 (got \(realisations))") }
        let m = motion.split(separator: ":").compactMap { Double($0) }, f = ctField.split(separator: ":").compactMap { Double($0) }
        guard m.count == 2, m[0] >= 0, m[0] <= 30, m[1] >= 0, m[1] <= 200 else { throw fail("--motion \(motion): MAXDEG:MAXMM (0–30 °, 0–200 mm)") }
        guard f.count == 2, f[0] >= 20, f[1] >= f[0], f[1] <= 2000 else { throw fail("--ct-field \(ctField): MIN:MAX mm (20–2000, MIN ≤ MAX)") }
        var o = DoseTrial.Options(seeds: s)
        o.realisations = realisations; o.maxDeg = m[0]; o.maxMM = m[1]; o.ctFieldMM = f[0]...f[1]
        if let folder { o.folder = folder }
        guard voxelMm >= 2, voxelMm <= 12 else { throw fail("--voxel-mm \(voxelMm): allowed 2–12 mm") }
        o.voxelMM = voxelMm
        guard (1...3).contains(subsamples) else { throw fail("--subsamples \(subsamples): allowed 1–3") }
        o.subsamples = subsamples
        if let t = tumourExclusionMm {
            guard t >= 0, t <= 50 else { throw fail("--tumour-exclusion-mm \(t): allowed 0–50 mm") }
            o.tumourExclusionMarginMM = t
        }
        o.diagnoseSpill = diagnoseSpill
        guard ["gtm", "none"].contains(spillCorrection) else { throw fail("--spill-correction \(spillCorrection): allowed gtm, none") }
        o.spillCorrection = spillCorrection == "gtm"
        if tumours.lowercased() == "none" { o.tumours = [] } else {
            do { o.tumours = try tumours.split(separator: ",").map { try LesionSpec.parse(String($0)) } } catch { throw failure(error, "--tumours \(tumours)") }
            guard o.tumours.allSatisfy({ $0.region == "liver" }) else { throw fail("--tumours \(tumours): only liver tumours have a kinetics truth in this trial (allowed region: liver)") }
        }
        let json = dose.json
        do {
            let r = try DoseTrial.run(o) { line in if !json { emit(line + "\n") } }
            if json {
                let enc = JSONEncoder(); enc.outputFormatting = [.prettyPrinted, .sortedKeys]
                enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
                emit(String(decoding: try enc.encode(r), as: UTF8.self) + "\n")
            } else if diagnoseSpill {
                emit("spill diagnosis done (no registration, no realisations)\n")
            } else {
                emit(String(format: "organ TIA error of the noise-free run: median %.2f %%, 95th percentile %.2f %%\n", r.medianNoiseFreeTIAErrorPercent, r.p95NoiseFreeTIAErrorPercent))
                emit(String(format: "%d patients, %d realisations: registration ≤ %.2f mm, ≤ %.2f°; organ TIA error median %.2f %%, 95th percentile %.2f %%; k = 2 coverage %.1f %% (95 %% CI %.1f–%.1f %%); %.0f s\n",
                            r.patients, r.realisations, r.maxRegistrationErrorMM, r.maxRotationErrorDeg, r.medianTIAErrorPercent, r.p95TIAErrorPercent,
                            100 * r.coverageK2, 100 * r.coverageK2Interval[0], 100 * r.coverageK2Interval[1], r.seconds))
                if !r.coverageK1Interval.isEmpty {
                    emit(String(format: "organs: k = 1 coverage %.1f %% (95 %% CI %.1f–%.1f %%; nominal 68.3 %%)\n", 100 * r.coverageK1, 100 * r.coverageK1Interval[0], 100 * r.coverageK1Interval[1]))
                }
                if !r.tumours.isEmpty, r.tumourCoverageK2Interval.count == 2, r.tumourCoverageK1Interval.count == 2 {
                    emit(String(format: "tumours (%d, %.1f–%.1f mL): dose error median %.2f %%, 95th percentile %.2f %%; TIA error median %.2f %%; k = 1 coverage %.1f %% (CI %.1f–%.1f %%), k = 2 coverage %.1f %% (CI %.1f–%.1f %%)\n",
                                r.tumours.count, r.tumours.map(\.truthVolumeML).min() ?? 0, r.tumours.map(\.truthVolumeML).max() ?? 0,
                                r.medianTumourDoseErrorPercent, r.p95TumourDoseErrorPercent, r.medianTumourTIAErrorPercent,
                                100 * r.tumourCoverageK1, 100 * r.tumourCoverageK1Interval[0], 100 * r.tumourCoverageK1Interval[1],
                                100 * r.tumourCoverageK2, 100 * r.tumourCoverageK2Interval[0], 100 * r.tumourCoverageK2Interval[1]))
                }
                emit("impossible registration: \(r.impossibleRegistration ?? "not run")\n")
            }
        } catch { throw failure(error) }
    }
}
