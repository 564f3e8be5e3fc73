import Analysis
import ArgumentParser
import DICOMImaging
import Foundation
import Imaging
import Simulation
import Workflows

/// `scinti pet`: PET quantitation — SUV factors and hot spots, simulated PET series, PERCIST response.
struct PetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pet",
        abstract: "PET/SPECT quantitation: SUV factors and hot spots, VOI statistics with CT/SEG organs, simulated PET series, PERCIST.",
        subcommands: [Suv.self, Voi.self, Simulate.self, Percist.self])

    /// `scinti pet suv SERIES_DIR`.
    struct Suv: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "SUV factors (BW, LBM James/Janmahasatian, BSA) of a PET series and its hot spots (SUVmax/peak/mean, MTV, TLA).")
        @Argument(help: "Folder (or file) of one PET series.") var series: String
        @Option(help: "Body weight (kg); replaces Patient's Weight.") var weight: Double?
        @Option(help: "Height (cm); replaces Patient's Size.") var height: Double?
        @Option(help: "Sex M or F; replaces Patient's Sex.") var sex: String?
        @Option(help: "Hot-spot detection threshold (SUVbw).") var threshold: Double = 2.5
        @Option(name: .customLong("percent-of-max"), help: "Lesion VOI: this % of the lesion's SUVmax (used unless --fixed is given).") var percent: Double = 41
        @Option(help: "Lesion VOI: fixed SUVbw threshold instead of % of max.") var fixed: Double?
        @Option(name: .customLong("max-hotspots"), help: "Report at most this many hot spots.") var maxHotspots = 10
        @Option(name: .customLong("series"), help: "Series Instance UID when the folder holds several PET series.") var seriesUID: String?
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            var s: PatientSex?
            if let x = sex {
                guard let p = PatientSex(dicom: x) else { throw fail("--sex must be M or F, not \(x)") }
                s = p
            }
            if let w = weight, !(w > 0 && w < 1000) { throw fail("--weight \(w) kg is not plausible") }
            if let h = height, !(h > 30 && h < 300) { throw fail("--height \(h) cm is not plausible (centimetres)") }
            guard threshold.isFinite, percent > 0, percent <= 100, maxHotspots >= 0, maxHotspots <= 1000 else {
                throw fail("--threshold must be finite, --percent-of-max in (0, 100], --max-hotspots in 0…1000")
            }
            let search = HotspotSearch(detectionSUV: threshold,
                                       delineation: fixed.map { .fixed($0) } ?? .percentOfMax(percent), maxCount: maxHotspots)
            let result: PETSUVResult
            do {
                result = try PETSUVJob.run(path: series, options: .init(overrides: SUVPatientOverrides(weightKg: weight, heightCm: height, sex: s), search: search, seriesInstanceUID: seriesUID))
            } catch { throw failure(error) }
            if json {
                let enc = JSONEncoder(); enc.outputFormatting = [.prettyPrinted, .sortedKeys]
                emit(String(decoding: try enc.encode(result), as: UTF8.self) + "\n")
                for w in result.warnings { warn(w) }
                return
            }
            for w in result.warnings { warn(w) }
            let f = result.factors
            var lines = ["Series \(result.seriesInstanceUID ?? "?") — \(result.slices) slices, units \(result.imageUnits), decay \(f.decayCorrection)",
                         "method: \(f.method)"]
            if let d = f.injectedDoseBq { lines.append(String(format: "injected %.2f MBq", d / 1e6) + (f.decayedDoseBq.map { String(format: ", %.2f MBq at scan", $0 / 1e6) } ?? "") + (f.decayIntervalSeconds.map { String(format: " (%.1f min after injection)", $0 / 60) } ?? "")) }
            lines.append(String(format: "weight %.1f kg", f.weightKg) + (f.heightCm.map { String(format: ", height %.1f cm", $0) } ?? "") + (f.sex.map { ", sex \($0)" } ?? ""))
            lines.append("SUVbw factor  \(String(format: "%.6g", result.suvbwFactor)) g/mL per \(result.imageUnits)")
            if let l = result.suvlbmFactor { lines.append("SUL (James)   \(String(format: "%.6g", l))  LBM \(String(format: "%.1f", f.leanBodyMassJamesKg ?? 0)) kg") }
            if let l = result.suvlbmJanmahasatianFactor { lines.append("SUL (Janma.)  \(String(format: "%.6g", l))  LBM \(String(format: "%.1f", f.leanBodyMassJanmahasatianKg ?? 0)) kg") }
            if let b = result.suvbsaFactor { lines.append("SUVbsa factor \(String(format: "%.6g", b)) cm²/mL  BSA \(String(format: "%.3f", f.bodySurfaceAreaM2 ?? 0)) m²") }
            lines.append("hot spots (\(result.hotspots.count)): centre (LPS mm)  SUVmax  SUVpeak  SUVmean  MTV mL  TLA")
            for h in result.hotspots {
                lines.append(String(format: "  (%.1f, %.1f, %.1f)  %.2f  %@  %.2f  %.2f  %.2f", h.centerMM[0], h.centerMM[1], h.centerMM[2],
                                    h.suvMax, h.suvPeak.map { String(format: "%.2f", $0) } ?? "-", h.suvMean, h.mtvML, h.tla))
            }
            emit(lines.joined(separator: "\n") + "\n")
        }
    }

    /// `scinti pet voi IMAGE`.
    struct Voi: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "VOI statistics on a quantitative SPECT (Bq/mL NM RECON TOMO) or PET image: CT-defined organs, SEG segments, hot spots.")
        @Argument(help: "NM RECON TOMO file (e.g. from scinti recon) or a PET/CT series folder.") var image: String
        @Option(help: "CT series folder for --organ.") var ct: String?
        @Option(parsing: .singleValue, help: "CT-defined organ NAME:MIN_HU:MAX_HU (largest connected part); repeatable.") var organ: [String] = []
        @Option(help: "DICOM SEG file whose segments are VOIs.") var seg: String?
        @Option(help: "Hot-spot detection threshold in image units (e.g. Bq/mL); none: no hot spots.") var threshold: Double?
        @Option(name: .customLong("percent-of-max"), help: "Hot-spot VOI: % of its max.") var percent: Double = 41
        @Option(name: .customLong("max-hotspots"), help: "Report at most this many hot spots.") var maxHotspots = 10
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            var defs: [CTOrganDefinition] = []
            for o in organ {
                guard let d = CTOrganDefinition(parsing: o) else { throw fail("--organ must be NAME:MIN_HU:MAX_HU, not \(o)") }
                defs.append(d)
            }
            guard percent > 0, percent <= 100, maxHotspots >= 0, maxHotspots <= 1000 else { throw fail("--percent-of-max in (0, 100], --max-hotspots in 0…1000") }
            let search = threshold.map { HotspotSearch(detectionSUV: $0, delineation: .percentOfMax(percent), maxCount: maxHotspots) }
            let r: QuantVOIResult
            do { r = try QuantVOIJob.run(imagePath: image, options: .init(ct: ct, ctOrgans: defs, segmentation: seg, search: search)) } catch { throw failure(error) }
            for w in r.warnings { warn(w) }
            if json {
                let enc = JSONEncoder(); enc.outputFormatting = [.prettyPrinted, .sortedKeys]
                emit(String(decoding: try enc.encode(r), as: UTF8.self) + "\n")
                return
            }
            var lines = ["\(r.modality ?? "?") image, units \(r.units ?? "none")", "VOI  volume mL  mean  max  peak  total MBq"]
            for o in r.organs {
                let s = o.statistics
                lines.append(String(format: "%@  %.1f  %.4g  %.4g  %.4g  %@", o.name, s.volumeML, s.mean, s.max, s.peak ?? 0,
                                    o.totalActivityMBq.map { String(format: "%.4g", $0) } ?? "-"))
            }
            for h in r.hotspots {
                lines.append(String(format: "hot spot (%.1f, %.1f, %.1f) max %.4g peak %.4g mean %.4g  %.2f mL", h.centerMM[0], h.centerMM[1], h.centerMM[2], h.suvMax, h.suvPeak ?? 0, h.suvMean, h.mtvML))
            }
            emit(lines.joined(separator: "\n") + "\n")
        }
    }

    /// `scinti pet simulate --out DIR`.
    struct Simulate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a simulated FDG PET series with lesions of known SUV (PT DICOM + truth.json).")
        @Option(help: "Body weight (kg).") var weight: Double = 75
        @Option(help: "Height (cm).") var height: Double = 175
        @Option(help: "Sex M or F.") var sex = "M"
        @Option(help: "Injected activity (MBq).") var activity: Double = 300
        @Option(name: .customLong("uptake-minutes"), help: "Injection to scan start (min).") var uptake: Double = 60
        @Option(help: "Grid voxels per axis x,y,z.") var matrix = "128,128,64"
        @Option(help: "Voxel size (mm).") var voxel: Double = 4
        @Option(help: "Storage: bqml or philips-cnts.") var encoding = "bqml"
        @Option(help: "Output folder.") var out: String
        @Option(help: "Virtual patient: icrp-am or icrp-af (with --tracer f18-fdg; docs/virtual-patients.md).") var phantom: String?
        @Option(help: "Tracer of the virtual patient (f18-fdg).") var tracer = "f18-fdg"
        @Option(help: "Lesion REGION:DIAMETER_MM:CONTRAST of the virtual patient (repeatable).") var lesion: [String] = []
        @Option(name: .customLong("patient-seed"), help: "Virtual patient variability seed.") var patientSeed: UInt64?

        func run() throws {
            if let ph = phantom {
                do {
                    let kind = try ICRPPhantomKind.parse(ph)
                    let tr = try Tracer.named(tracer)
                    let specs = try lesion.map { s throws(VirtualPatientError) in try LesionSpec.parse(s) }
                    let p = VirtualPatient(phantom: try ICRPPhantom.load(kind), tracer: tr, hours: uptake / 60,
                                           variability: patientSeed.map { PatientVariability.draw(seed: $0) } ?? .reference,
                                           lesions: specs, administeredMBq: activity, patientSeed: patientSeed)
                    let sim = try PETSimulationJob.write(try PETSimulation.make(patient: p, voxelMM: voxel), to: out)
                    emit("wrote \(out)/PT (\(sim.image.size.z) slices) and \(out)/truth.json; virtual patient \(kind.rawValue), \(tr.name); true SUVbw factor \(String(format: "%.6g", sim.truth.suvbwFactor)) g/mL per Bq/mL\n")
                } catch { throw failure(error) }
                return
            }
            let m = matrix.split(separator: ",").compactMap { Int($0) }
            guard m.count == 3, m.allSatisfy({ $0 > 0 && $0 <= 1024 }) else { throw fail("--matrix must be three sizes 1…1024, e.g. 128,128,64") }
            guard sex == "M" || sex == "F" else { throw fail("--sex must be M or F") }
            let enc: PTSeriesWriter.Encoding
            switch encoding { case "bqml": enc = .bqml; case "philips-cnts": enc = .philipsCNTS
            default: throw fail("--encoding must be bqml or philips-cnts") }
            let spec = PETStudySpec(weightKg: weight, heightCm: height, sex: sex, injectedMBq: activity,
                                    uptakeSeconds: uptake * 60, size: GridSize(x: m[0], y: m[1], z: m[2]), voxelMM: voxel)
            do {
                let sim = try PETSimulationJob.write(spec, to: out, encoding: enc)
                emit("wrote \(out)/PT (\(m[2]) slices) and \(out)/truth.json; true SUVbw factor \(String(format: "%.6g", sim.truth.suvbwFactor)) g/mL per Bq/mL\n")
            } catch { throw failure(error) }
        }
    }

    /// `scinti pet percist`.
    struct Percist: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "PERCIST 1.0 response: from two PET series (SULpeak and liver measured) or from given SULpeak values.")
        @Option(name: .customLong("baseline-dir"), help: "Baseline PET series folder.") var baselineDir: String?
        @Option(name: .customLong("follow-up-dir"), help: "Follow-up PET series folder.") var followUpDir: String?
        @Option(name: .customLong("baseline-liver-mm"), parsing: .unconditional, help: "Baseline liver sphere centre x,y,z (LPS mm; normal right lobe).") var baselineLiverMM: String?
        @Option(name: .customLong("follow-up-liver-mm"), parsing: .unconditional, help: "Follow-up liver sphere centre x,y,z (LPS mm).") var followUpLiverMM: String?
        @Option(help: "Height (cm) for SUL when the headers lack it.") var height: Double?
        @Option(help: "Sex M or F for SUL when the headers lack it.") var sex: String?
        @Option(help: "Baseline SULpeak (numbers mode).") var baseline: Double?
        @Option(name: .customLong("follow-up"), help: "Follow-up SULpeak (numbers mode).") var followUp: Double?
        @Option(name: .customLong("baseline-liver"), help: "Baseline liver SUL mean,sd (numbers mode).") var baselineLiver: String?
        @Option(name: .customLong("follow-up-liver"), help: "Follow-up liver SUL mean,sd (numbers mode).") var followUpLiver: String?
        @Flag(name: .customLong("new-lesions"), help: "New FDG-avid lesions on the follow-up.") var newLesions = false
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let enc = JSONEncoder(); enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            func vec(_ s: String?, _ name: String) throws -> Vector3 {
                guard let s, let v = Vector3(s.split(separator: ",").compactMap({ Double($0) })) else { throw fail("\(name) must be x,y,z in mm") }
                return v
            }
            if let bd = baselineDir, let fd = followUpDir {
                var sx: PatientSex?
                if let x = sex { guard let p = PatientSex(dicom: x) else { throw fail("--sex must be M or F") }; sx = p }
                let bl = try vec(baselineLiverMM, "--baseline-liver-mm"), fl = try vec(followUpLiverMM, "--follow-up-liver-mm")
                let report: PERCISTReport
                do {
                    report = try PERCISTJob.run(baseline: bd, baselineLiverMM: bl, followUp: fd, followUpLiverMM: fl,
                                                options: .init(overrides: SUVPatientOverrides(heightCm: height, sex: sx)), newLesions: newLesions)
                } catch { throw failure(error) }
                for w in report.baseline.warnings { warn("baseline: \(w)") }
                for w in report.followUp.warnings { warn("follow-up: \(w)") }
                if json { emit(String(decoding: try enc.encode(report), as: UTF8.self) + "\n"); return }
                let r = report.response
                emit(String(format: "%@: SULpeak %.2f → %.2f (%+.1f %%), liver SUL %.2f±%.2f → %.2f±%.2f\n", r.category.rawValue,
                            report.baseline.sulPeak, report.followUp.sulPeak, r.percentChange, report.baseline.liverSULMean,
                            report.baseline.liverSULSD, report.followUp.liverSULMean, report.followUp.liverSULSD)
                     + r.notes.map { "  \($0)\n" }.joined())
                return
            }
            guard baselineDir == nil, followUpDir == nil else { throw fail("give both --baseline-dir and --follow-up-dir") }
            guard let baseline, let followUp else { throw fail("give --baseline-dir/--follow-up-dir, or --baseline and --follow-up SULpeak values") }
            func ref(_ s: String?) throws -> PERCISTReference? {
                guard let s else { return nil }
                let v = s.split(separator: ",").compactMap { Double($0) }
                guard v.count == 2, v[0] >= 0, v[1] >= 0 else { throw fail("liver reference must be MEAN,SD (SUL), not \(s)") }
                return PERCISTReference(mean: v[0], sd: v[1])
            }
            guard baseline >= 0, followUp >= 0, baseline.isFinite, followUp.isFinite else { throw fail("SULpeak values must be finite and ≥ 0") }
            let r = PERCIST.assess(baseline: PERCISTScan(sulPeak: baseline, liver: try ref(baselineLiver)),
                                   followUp: PERCISTScan(sulPeak: followUp, liver: try ref(followUpLiver)), newLesions: newLesions)
            if json {
                emit(String(decoding: try enc.encode(r), as: UTF8.self) + "\n")
            } else {
                emit("\(r.category.rawValue): SULpeak \(String(format: "%+.1f", r.percentChange)) % (\(String(format: "%+.2f", r.absoluteChange)) SUL)\n" + r.notes.map { "  \($0)\n" }.joined())
            }
        }
    }
}
