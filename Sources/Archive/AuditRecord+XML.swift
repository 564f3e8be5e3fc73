import Foundation

// DICOM audit messages (PS3.15 A.5): an audit record as the XML `AuditMessage` that IHE ATNA audit repositories
// receive over syslog. Event IDs from PS3.16 CID 400 (Audit Event ID), authentication types from CID 401.

extension AuditRecord {
    /// The event: (code, display name) in coding scheme DCM, EventActionCode (C/R/U/D/E), and an EventTypeCode when
    /// the event needs one.
    var auditEvent: (code: String, name: String, action: String, type: (code: String, name: String)?) {
        switch action {
        case .query: return ("110112", "Query", "E", nil)
        case .view: return ("110103", "DICOM Instances Accessed", "R", nil)
        case .retrieve: return ("110104", "DICOM Instances Transferred", "R", nil)
        case .store: return ("110104", "DICOM Instances Transferred", "C", nil)
        case .job: return ("110103", "DICOM Instances Accessed", "E", nil)
        case .edit, .approve, .sign: return ("110103", "DICOM Instances Accessed", "U", nil)
        case .export: return ("110106", "Export", "R", nil)
        case .login, .loginFailed: return ("110114", "User Authentication", "E", ("110122", "Login"))
        case .logout: return ("110114", "User Authentication", "E", ("110123", "Logout"))
        case .denied: return ("110113", "Security Alert", "E", ("110132", "Use of a restricted function"))
        case .configuration: return ("110113", "Security Alert", "E", ("110137", "User security Attributes Changed"))
        }
    }

    /// The record as a PS3.15 A.5 `AuditMessage` (UTF-8 XML, one element, no declaration); `auditSource` names this
    /// server (AuditSourceID).
    public func dicomAuditMessage(auditSource: String) -> String {
        func esc(_ s: String) -> String {
            var o = ""
            for c in s.unicodeScalars {
                switch c {
                case "&": o += "&amp;"
                case "<": o += "&lt;"
                case ">": o += "&gt;"
                case "\"": o += "&quot;"
                case "'": o += "&apos;"
                default: o.unicodeScalars.append(c.value < 0x20 && c != "\t" ? " " : c)
                }
            }
            return o
        }
        let e = auditEvent
        // EventOutcomeIndicator: 0 success, 4 minor failure (refused, wrong password), PS3.15 A.5.3.
        let outcomeCode = outcome == "success" ? "0" : "4"
        var x = "<AuditMessage>"
        x += "<EventIdentification EventActionCode=\"\(e.action)\" EventDateTime=\"\(esc(time ?? ""))\" EventOutcomeIndicator=\"\(outcomeCode)\">"
        x += "<EventID csd-code=\"\(e.code)\" codeSystemName=\"DCM\" originalText=\"\(e.name)\"/>"
        if let t = e.type { x += "<EventTypeCode csd-code=\"\(t.code)\" codeSystemName=\"DCM\" originalText=\"\(t.name)\"/>" }
        if outcome != "success", let d = detail { x += "<EventOutcomeDescription>\(esc(d))</EventOutcomeDescription>" }
        x += "</EventIdentification>"
        let host = source.map { s -> String in
            // "IP:port" or "IP:port → AE": the address without the port.
            let a = s.split(separator: " ").first.map(String.init) ?? s
            return a.split(separator: ":").dropLast().joined(separator: ":")
        }
        x += "<ActiveParticipant UserID=\"\(esc(actor))\"" + (actorKind == .dicom ? " AlternativeUserID=\"AETITLES=\(esc(actor))\"" : "")
            + (role.map { " UserName=\"\(esc(actor)) (\(esc($0)))\"" } ?? "") + " UserIsRequestor=\"true\""
            + (host.map { $0.isEmpty ? "" : " NetworkAccessPointID=\"\(esc($0))\" NetworkAccessPointTypeCode=\"2\"" } ?? "") + "/>"
        x += "<ActiveParticipant UserID=\"\(esc(auditSource))\" UserIsRequestor=\"false\"/>"
        x += "<AuditSourceIdentification AuditSourceID=\"\(esc(auditSource))\"/>"
        if let s = studyUID {
            x += "<ParticipantObjectIdentification ParticipantObjectID=\"\(esc(s))\" ParticipantObjectTypeCode=\"2\" ParticipantObjectTypeCodeRole=\"3\">"
            x += "<ParticipantObjectIDTypeCode csd-code=\"110180\" codeSystemName=\"DCM\" originalText=\"Study Instance UID\"/>"
            x += "</ParticipantObjectIdentification>"
        }
        if let p = patientID {
            x += "<ParticipantObjectIdentification ParticipantObjectID=\"\(esc(p))\" ParticipantObjectTypeCode=\"1\" ParticipantObjectTypeCodeRole=\"1\">"
            x += "<ParticipantObjectIDTypeCode csd-code=\"2\" codeSystemName=\"RFC-3881\" originalText=\"Patient Number\"/>"
            x += "</ParticipantObjectIdentification>"
        }
        x += "</AuditMessage>"
        return x
    }
}
