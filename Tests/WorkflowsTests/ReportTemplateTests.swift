import DICOMImaging
import Imaging
import Testing
@testable import Workflows

@Test func templatePrefillsFindingsAndLeavesTheInterpretationToThePhysician() {
    var r = MeasurementReport(title: "LVEF (gated blood pool)", kind: "analysis", software: "Scinti test", resultID: "job 1")
    r.summary = [["LVEF", "55.0 %"], ["EDV counts", "123456"]]
    r.findings = ["Regular rhythm"]
    r.quality = ["Background region below the left ventricle"]
    let t = ReportTemplate.make(for: r, analysis: "lvef")
    #expect(t.studyType == "lvef")
    #expect(t.heading == "Gated blood-pool ventriculography")
    #expect(t.findings == ["LVEF: 55.0 %", "EDV counts: 123456", "Regular rhythm", "Quality: Background region below the left ventricle"])
    #expect(t.impression == "Left ventricular function: LVEF: 55.0 %; EDV counts: 123456. [interpretation]")
    // A dose result: organ doses from the administration, no analysis name needed.
    var d = MeasurementReport(title: "Dosimetry (Lu-177)", kind: "dose", software: "Scinti test", resultID: "job 2")
    d.administration = .init(radionuclide: "Lu-177", activityMBq: 7400, dateTime: nil, route: nil, eventUID: "1.2.3",
                             organDoses: [.init(name: "Kidney left", meanGy: 3.21, massG: 150)])
    let td = ReportTemplate.make(for: d, analysis: nil)
    #expect(td.studyType == "dose" && td.findings == ["Mean absorbed dose Kidney left: 3.21 Gy"])
    #expect(ReportTemplate.make(for: r, analysis: "something-new").heading == "LVEF (gated blood pool)")
}

@Test func doseSRCodesFollowPS316() {
    // Values from PS3.16 CID 18, CID 11 and CID 10044 (as listed in pydicom.sr.codedict).
    for name in ["Lu-177", "177Lu", "lu177", "Lutetium-177", "LU-177"] {
        #expect(RadiopharmaceuticalCodes.radionuclide(name)?.value == "447553000", "\(name)")
    }
    #expect(RadiopharmaceuticalCodes.radionuclide("Tc-99m")?.value == "72454006")
    #expect(RadiopharmaceuticalCodes.radionuclide("99mTc")?.value == "72454006")
    #expect(RadiopharmaceuticalCodes.radionuclide("I-131")?.value == "1368003")
    #expect(RadiopharmaceuticalCodes.radionuclide("Ac-225") == nil)   // not coded rather than guessed
    #expect(RadiopharmaceuticalCodes.route("Intravenous route")?.value == "47625008")
    #expect(RadiopharmaceuticalCodes.route("IV")?.value == "47625008")
    #expect(RadiopharmaceuticalCodes.route("Oral")?.value == "26643006")
    #expect(RadiopharmaceuticalCodes.organ("Kidney left")?.value == "64033007")
    #expect(RadiopharmaceuticalCodes.organ("kidneys")?.value == "64033007")
    #expect(RadiopharmaceuticalCodes.organ("Salivary glands")?.value == "385294005")
    #expect(RadiopharmaceuticalCodes.organ("Tumour 1")?.value == "108369006")
    #expect(RadiopharmaceuticalCodes.organ("Remainder of body") == nil)
}
