import DICOM
import Foundation
import Imaging

/// Writes the administration of a therapy and its organ (VOI) absorbed doses as a Radiopharmaceutical Radiation Dose
/// SR (TID 10021 with TID 10022 Radiopharmaceutical Administration and TID 10023 Organ Dose Information per VOI).
/// The Radiopharmaceutical Administration Event UID is the report's; give the images' one to link them. Radionuclide,
/// route and organs are coded (SCT, ``RadiopharmaceuticalCodes``) when their names are known, beside the text.
public enum RadiopharmaceuticalDoseReportWriter {
    /// Radiopharmaceutical Radiation Dose SR Storage.
    public static let sopClassUID = "1.2.840.10008.5.1.4.1.1.88.68"

    typealias Code = MeasurementReport.Code
    typealias W = MeasurementReportWriter

    /// Builds the data set; the report must carry an ``Imaging/MeasurementReport/Administration``.
    public static func dataset(_ report: MeasurementReport, study: StudyAttributes, series: SeriesAttributes,
                               date: Date = Date()) throws(DICOMError) -> Dataset {
        guard let a = report.administration else {
            throw DICOMError(.missingAttribute, tag: SR.contentSequence, "dose SR: the report '\(report.title)' has no administration (not a dose result)")
        }
        for o in a.organDoses where !o.meanGy.isFinite {
            throw DICOMError(.invalidValue, tag: SR.numericValue, "dose SR: organ \(o.name) has a non-finite dose")
        }
        let (d, t) = W.stamp(date)
        var ds = W.document(report, study: study, series: series, sopClassUID: sopClassUID, date: d, time: t, instanceNumber: 1)
        ds.set(SR.valueType, .CS, "CONTAINER")
        ds.set(SR.conceptNameCodeSequence, sequence: [W.code(Code("113500", "DCM", "Radiopharmaceutical Radiation Dose Report"))])
        ds.set(SR.continuityOfContent, .CS, "SEPARATE")
        ds.set(SR.contentTemplateSequence, sequence: [W.template("10021")])
        var admin = W.container("CONTAINS", Code("113502", "DCM", "Radiopharmaceutical Administration"))
        var items: [Dataset] = [
            W.textItem("CONTAINS", Code("RADIONUCLIDE", W.privateScheme, "Radionuclide name"), a.radionuclide),
            W.uidItem("CONTAINS", Code("113503", "DCM", "Radiopharmaceutical Administration Event UID"), a.eventUID),
        ]
        if let c = RadiopharmaceuticalCodes.radionuclide(a.radionuclide) {
            items.append(W.codeItem("CONTAINS", RadiopharmaceuticalCodes.radionuclideConcept, c))
        }
        if let dt = a.dateTime { items.append(W.dateTimeItem("CONTAINS", Code("123003", "DCM", "Radiopharmaceutical Start DateTime"), dt)) }
        if let act = a.activityMBq { items.append(W.numItem("CONTAINS", Code("113507", "DCM", "Administered activity"), act, unit: "MBq")) }
        if let r = a.route {
            if let c = RadiopharmaceuticalCodes.route(r) { items.append(W.codeItem("CONTAINS", RadiopharmaceuticalCodes.routeConcept, c)) }
            items.append(W.textItem("CONTAINS", Code("ROUTE", W.privateScheme, "Route of administration (text)"), r))
        }
        for o in a.organDoses {
            var organ = W.container("CONTAINS", Code("113517", "DCM", "Organ Dose Information"))
            var oi: [Dataset] = []
            if let c = RadiopharmaceuticalCodes.organ(o.name) { oi.append(W.codeItem("HAS CONCEPT MOD", RadiopharmaceuticalCodes.findingSite, c)) }
            oi.append(W.textItem("CONTAINS", Code("VOI", W.privateScheme, "Organ or VOI"), o.name))
            if let m = o.massG, m.isFinite { oi.append(W.numItem("CONTAINS", Code("4147007", "SCT", "Mass"), m, unit: "g")) }
            oi.append(W.numItem("CONTAINS", Code("113518", "DCM", "Organ Dose"), o.meanGy * 1000, unit: "mGy"))
            if let m = report.conventions["method"] { oi.append(W.textItem("CONTAINS", Code("370129005", "SCT", "Measurement Method"), m)) }
            organ.set(SR.contentSequence, sequence: oi)
            items.append(organ)
        }
        admin.set(SR.contentSequence, sequence: items)
        ds.set(SR.contentSequence, sequence: [
            W.codeItem("HAS CONCEPT MOD", Code("121058", "DCM", "Procedure reported"), Code("440252007", "SCT", "Administration of radiopharmaceutical")),
            W.codeItem("HAS CONCEPT MOD", Code("363703001", "SCT", "Has Intent"), Code("262202000", "SCT", "Therapeutic intent")),
            admin,
            W.textItem("CONTAINS", Code("121106", "DCM", "Comment"), "\(report.software); result \(report.resultID); doses are mean absorbed doses of the VOIs (\(report.conventions["method"] ?? "method in the measurement report"))"),
        ])
        return ds
    }
}
