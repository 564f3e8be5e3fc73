import Imaging

/// Coded values of the Radiopharmaceutical Radiation Dose SR (PS3.16 TID 10022/10023): radionuclides (CID 18
/// "Isotopes in Radiopharmaceuticals"), routes of administration (CID 11) and organs (CID 10044 "Radiosensitive
/// Organs", with the whole body and the tumour/lesion of therapy VOIs). Codes as listed by PS3.16 (checked against
/// pydicom's PS3.16 dictionaries, `pydicom.sr.codedict`, in `Tests/oracle/check_reports.py`). Unknown names give nil:
/// the text item stays, no code is guessed.
public enum RadiopharmaceuticalCodes {
    typealias Code = MeasurementReport.Code

    /// Concept name of the radionuclide row (TID 10022).
    static let radionuclideConcept = Code("89457008", "SCT", "Radionuclide")
    /// Concept name of the route row (TID 10022).
    static let routeConcept = Code("410675002", "SCT", "Route of administration")
    /// Concept name of the organ (TID 10023).
    static let findingSite = Code("363698007", "SCT", "Finding Site")

    static let radionuclides: [String: Code] = [
        "lu177": Code("447553000", "SCT", "^177^Lutetium"), "tc99m": Code("72454006", "SCT", "^99m^Technetium"),
        "i131": Code("1368003", "SCT", "^131^Iodine"), "i123": Code("21572004", "SCT", "^123^Iodine"),
        "y90": Code("14691008", "SCT", "^90^Yttrium"), "in111": Code("56609000", "SCT", "^111^Indium"),
        "ra223": Code("24853006", "SCT", "^223^Radium"), "sm153": Code("419804008", "SCT", "^153^Samarium"),
        "sr89": Code("7770004", "SCT", "^89^Strontium"), "tl201": Code("60057003", "SCT", "^201^Thallium"),
        "ga67": Code("2008008", "SCT", "^67^Gallium"), "f18": Code("77004003", "SCT", "^18^Fluorine"),
    ]

    static let routes: [String: Code] = [
        "intravenous": Code("47625008", "SCT", "Intravenous route"), "oral": Code("26643006", "SCT", "Oral route"),
        "intraarterial": Code("58100008", "SCT", "Intra-arterial route"), "intraperitoneal": Code("38239002", "SCT", "Intraperitoneal route"),
        "intratumor": Code("447122006", "SCT", "Intratumor route"), "intrathecal": Code("72607000", "SCT", "Intrathecal route"),
        "intraarticular": Code("12130007", "SCT", "Intra-articular route"),
    ]

    static let organs: [String: Code] = [
        "kidney": Code("64033007", "SCT", "Kidney"), "liver": Code("10200004", "SCT", "Liver"), "spleen": Code("78961009", "SCT", "Spleen"),
        "bonemarrow": Code("14016003", "SCT", "Bone Marrow"), "marrow": Code("14016003", "SCT", "Bone Marrow"),
        "salivarygland": Code("385294005", "SCT", "Salivary Glands"), "parotid": Code("45289007", "SCT", "Parotid gland"),
        "submandibular": Code("54019009", "SCT", "Submandibular gland"), "lung": Code("39607008", "SCT", "Lung"),
        "heart": Code("80891009", "SCT", "Heart"), "thyroid": Code("69748006", "SCT", "Thyroid"), "bladder": Code("89837001", "SCT", "Bladder"),
        "wholebody": Code("38266002", "SCT", "Entire body"),
        "tumour": Code("108369006", "SCT", "Neoplasm"), "tumor": Code("108369006", "SCT", "Neoplasm"), "lesion": Code("52988006", "SCT", "Lesion"),
    ]

    static func key(_ s: String) -> String { String(s.lowercased().filter { $0.isLetter || $0.isNumber }) }

    /// The CID 18 code of a radionuclide name (`Lu-177`, `177Lu`, `lu177`).
    public static func radionuclide(_ name: String) -> MeasurementReport.Code? {
        var k = key(name)
        for (element, symbol) in elements where k.hasPrefix(element) { k = symbol + k.dropFirst(element.count) }
        if let c = radionuclides[k] { return c }
        // Mass number first: 177lu → lu177, 99mtc → tc99m.
        let num = String(k.prefix { $0.isNumber })
        guard !num.isEmpty else { return nil }
        var rest = k.dropFirst(num.count)
        var meta = ""
        if rest.hasPrefix("m"), radionuclides[String(rest.dropFirst()) + num + "m"] != nil { meta = "m"; rest = rest.dropFirst() }
        return radionuclides[String(rest) + num + meta]
    }

    static let elements: [(String, String)] = [("lutetium", "lu"), ("technetium", "tc"), ("iodine", "i"), ("yttrium", "y"), ("indium", "in"),
                                               ("radium", "ra"), ("samarium", "sm"), ("strontium", "sr"), ("thallium", "tl"),
                                               ("gallium", "ga"), ("fluorine", "f")]

    /// The CID 11 code of a route (`Intravenous route`, `IV`, `oral`).
    public static func route(_ text: String) -> MeasurementReport.Code? {
        let k = key(text).replacingOccurrences(of: "route", with: "")
        if k == "iv" { return routes["intravenous"] }
        return routes[k]
    }

    /// The organ code of a VOI name (`Kidney left`, `kidneys`, `Liver`, `Tumour 1`): the first known organ word in it.
    public static func organ(_ name: String) -> MeasurementReport.Code? {
        let k = key(name)
        for (word, code) in organs.sorted(by: { $0.key.count > $1.key.count }) where k.contains(word) { return code }
        return nil
    }
}
