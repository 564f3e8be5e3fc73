#!/usr/bin/env python3
"""Checks the DICOM audit messages a syslog receiver got from `scinti serve --audit-syslog`.

Usage: check_audit_messages.py MESSAGES.jsonl USER STUDY_UID
Each message must be an RFC 5424 syslog message (PRI, version 1, MSGID IHE+RFC-3881, a UTF-8 BOM before the XML)
whose XML is a PS3.15 A.5 AuditMessage: EventIdentification, then ActiveParticipant(s), AuditSourceIdentification,
then ParticipantObjectIdentification(s), with an EventID from PS3.16 CID 400 (codes listed below from the standard).
Then the user's login (110114 User Authentication, type 110122 Login), a failed login (outcome 4) and a query of the
study (110112 Query with a Study Instance UID object, ID type 110180) must be among them.
"""
import json
import sys
import xml.etree.ElementTree as ET

# PS3.16 CID 400 Audit Event ID (DCM).
CID400 = {"110100", "110101", "110102", "110103", "110104", "110105", "110106", "110107", "110108", "110109",
          "110110", "110111", "110112", "110113", "110114"}
ORDER = ["EventIdentification", "ActiveParticipant", "AuditSourceIdentification", "ParticipantObjectIdentification"]


def main() -> int:
    path, user, study = sys.argv[1:4]
    msgs = [json.loads(l) for l in open(path, encoding="utf-8") if l.strip()]
    if not msgs:
        print("no messages received")
        return 1
    parsed = []
    for m in msgs:
        head, sep, body = m.partition("\ufeff")
        fields = head.split(" ")
        if not (sep and fields[0] == "<85>1" and fields[5] == "IHE+RFC-3881"):
            print(f"not an RFC 5424 ATNA message: {m[:120]!r}")
            return 1
        root = ET.fromstring(body)
        if root.tag != "AuditMessage":
            print(f"root is {root.tag}")
            return 1
        ranks = [ORDER.index(c.tag) for c in root]
        if ranks != sorted(ranks) or ranks[:2] != [0, 1] or 2 not in ranks:
            print(f"element order {[c.tag for c in root]}")
            return 1
        ev = root.find("EventIdentification")
        code = ev.find("EventID").get("csd-code")
        if code not in CID400 or ev.find("EventID").get("codeSystemName") != "DCM":
            print(f"EventID {code} not in CID 400")
            return 1
        if ev.get("EventOutcomeIndicator") not in ("0", "4", "8", "12") or ev.get("EventActionCode") not in list("CRUDE"):
            print(f"bad EventIdentification attributes {ev.attrib}")
            return 1
        parsed.append(root)
    print(f"{len(parsed)} messages, all AuditMessage with CID 400 event IDs")

    def requestor(r):
        return next((a for a in r.findall("ActiveParticipant") if a.get("UserIsRequestor") == "true"), None)

    def find(code, user_id=None, outcome=None, type_code=None, study_uid=None):
        for r in parsed:
            ev = r.find("EventIdentification")
            if ev.find("EventID").get("csd-code") != code:
                continue
            if outcome is not None and ev.get("EventOutcomeIndicator") != outcome:
                continue
            if type_code is not None and (ev.find("EventTypeCode") is None or ev.find("EventTypeCode").get("csd-code") != type_code):
                continue
            a = requestor(r)
            if user_id is not None and (a is None or a.get("UserID") != user_id):
                continue
            if study_uid is not None and not any(
                    p.get("ParticipantObjectID") == study_uid and p.find("ParticipantObjectIDTypeCode").get("csd-code") == "110180"
                    for p in r.findall("ParticipantObjectIdentification")):
                continue
            return True
        return False

    checks = [("login of " + user, find("110114", user, "0", "110122")),
              ("failed login of " + user, find("110114", user, "4", "110122")),
              ("query of the study by " + user, find("110112", user, study_uid=study))]
    for what, ok in checks:
        print(("ok: " if ok else "MISSING: ") + what)
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
