import Analysis
import Foundation
import Physics

/// Thyroid uptake from DICOM files (the path of `scinti analyze thyroid-uptake` and of the server's analysis job):
/// reads the neck, standard, thigh and room images, takes the activities and times from their Radiopharmaceutical
/// Information (or the values given), says where every number came from, and runs ``Analysis/ThyroidUptake``.
public enum ThyroidUptakeJob {
    /// Files and the values that override what they record.
    public struct Inputs: Sendable {
        /// Neck image (STATIC NM).
        public var neck: String
        /// Standard capsule in the neck phantom (STATIC NM).
        public var standard: String
        /// Thigh (tissue background) and room background images, optional.
        public var thigh: String?, room: String?
        /// Standard activity (MBq) at its calibration time; nil: the standard file's Radionuclide Total Dose.
        public var standardActivityMBq: Double?
        /// Administered activity (MBq); nil: the neck file's Radionuclide Total Dose.
        public var administeredMBq: Double?
        /// Radius (mm) of the circular regions.
        public var roiRadiusMM: Double
        /// Marinelli therapy activity: target dose (Gy), gland mass (g), effective half-life (days); all or none.
        public var marinelli: (targetDoseGy: Double, glandMassG: Double, effectiveHalfLifeDays: Double)?
        /// Regions from outside (edited by a reader) replacing the automatic neck and standard discs; nil: automatic.
        public var neckRegion: PlanarROI? = nil, standardRegion: PlanarROI? = nil
        /// Creates inputs.
        public init(neck: String, standard: String, thigh: String? = nil, room: String? = nil, standardActivityMBq: Double? = nil,
                    administeredMBq: Double? = nil, roiRadiusMM: Double = 50,
                    marinelli: (targetDoseGy: Double, glandMassG: Double, effectiveHalfLifeDays: Double)? = nil) {
            self.neck = neck; self.standard = standard; self.thigh = thigh; self.room = room
            self.standardActivityMBq = standardActivityMBq; self.administeredMBq = administeredMBq; self.roiRadiusMM = roiRadiusMM
            self.marinelli = marinelli
        }
    }

    /// The analysis with the images it was made on and every warning (reader, assumptions, analysis).
    public struct Output: Sendable {
        public var analysis: ThyroidUptake.Analysis
        public var neck: PlanarInputs.PlanarStudy, standard: PlanarInputs.PlanarStudy
        public var thigh: PlanarInputs.PlanarStudy?, room: PlanarInputs.PlanarStudy?
        public var warnings: [String]
    }

    /// Runs the measurement. Throws naming the file and the missing attribute or value.
    public static func run(_ i: Inputs) throws(WorkflowError) -> Output {
        let n = try PlanarInputs.planar(path: i.neck, role: "neck")
        let s = try PlanarInputs.planar(path: i.standard, role: "standard")
        let t = try i.thigh.map { p throws(WorkflowError) in try PlanarInputs.planar(path: p, role: "thigh") }
        let r = try i.room.map { p throws(WorkflowError) in try PlanarInputs.planar(path: p, role: "room") }
        var warnings = n.warnings + s.warnings + (t?.warnings ?? []) + (r?.warnings ?? [])
        guard let nuclide = n.nuclide ?? s.nuclide else {
            throw WorkflowError("\(i.neck): no radionuclide in the Radiopharmaceutical Information Sequence: cannot decay-correct")
        }
        var sources: [String] = []
        let adminBq: Double
        if let a = i.administeredMBq { adminBq = a * 1e6; sources.append("administered activity \(a) MBq as given") }
        else if let d = n.totalDoseBq, d > 0 { adminBq = d; sources.append(String(format: "administered activity %.3f MBq from the neck file's Radionuclide Total Dose", d / 1e6)) }
        else { throw WorkflowError("\(i.neck): no Radionuclide Total Dose: give the administered activity (MBq)") }
        guard let neckStart = n.acquisitionStart, n.durationSeconds != nil else {
            throw WorkflowError("\(i.neck): Acquisition Date/Time or Actual Frame Duration missing: cannot decay-correct")
        }
        let administration = n.administration ?? neckStart
        if n.administration == nil {
            warnings.append("\(i.neck): no Radiopharmaceutical Start DateTime: administration taken at the neck acquisition start (no decay correction of the administered activity)")
            sources.append("administration time assumed = neck acquisition start")
        } else { sources.append("administration time from the neck file's Radiopharmaceutical Start DateTime") }
        let stdBq: Double
        if let a = i.standardActivityMBq { stdBq = a * 1e6; sources.append("standard activity \(a) MBq as given") }
        else if let d = s.totalDoseBq, d > 0 { stdBq = d; sources.append(String(format: "standard activity %.3f MBq from the standard file's Radionuclide Total Dose", d / 1e6)) }
        else { throw WorkflowError("\(i.standard): no Radionuclide Total Dose: give the standard's activity (MBq)") }
        let calibration: Date
        if let c = s.administration { calibration = c; sources.append("standard calibration time from the standard file's Radiopharmaceutical Start DateTime") }
        else {
            calibration = administration
            warnings.append("\(i.standard): no Radiopharmaceutical Start DateTime: standard calibrated at the administration time")
            sources.append("standard calibration time assumed = administration time")
        }
        func m(_ p: PlanarInputs.PlanarStudy, _ path: String) throws(WorkflowError) -> ThyroidUptake.Measurement {
            guard let st = p.acquisitionStart, let d = p.durationSeconds else {
                throw WorkflowError("\(path): Acquisition Date/Time or Actual Frame Duration missing: cannot decay-correct")
            }
            return ThyroidUptake.Measurement(image: p.image, start: st, durationSeconds: d)
        }
        let thigh = try t.map { p throws(WorkflowError) in try m(p, i.thigh!) }
        let room = try r.map { p throws(WorkflowError) in try m(p, i.room!) }
        let a: ThyroidUptake.Analysis
        do {
            a = try ThyroidUptake(nuclide: nuclide, roiRadiusMM: i.roiRadiusMM).analyze(
                neck: try m(n, i.neck), standard: try m(s, i.standard), thigh: thigh, room: room,
                administeredBq: adminBq, administration: administration, standardBq: stdBq, standardCalibration: calibration,
                marinelli: i.marinelli, activitySources: sources, neckRegion: i.neckRegion, standardRegion: i.standardRegion)
        } catch let e as WorkflowError { throw e } catch let e as PlanarAnalysisError { throw WorkflowError("\(i.neck): \(e.message)") }
        catch { throw WorkflowError("\(i.neck): \(error)") }
        return Output(analysis: a, neck: n, standard: s, thigh: t, room: r, warnings: warnings + a.result.warnings)
    }
}
