#!/usr/bin/env python3
"""The viewer's reports panel in a real browser (headless Chromium driven by Selenium), against the server's JSON.

Usage: check_reports_browser.py URL TOKEN JOB_ID --expect failed|delivered [SCREENSHOT.png]

Opens the job's result (`#job=ID`), waits for the reports panel (Sources/Server/Viewer/reports.js) and checks it
against GET /api/jobs/{id}/reports fetched here independently: one row per document; the SR that the JSON names
`latest` is the only row marked latest (and, when it has a predecessor, "amends an earlier report"), every other SR
row is "superseded"; the PDF row links to /api/reports/{uid}/pdf; the physician report form is shown. With
`--expect failed` (the PACS is down) at least one row shows "failed for AET" with the reason; with
`--expect delivered` every row of a committed document shows "delivered to AET". Prints one line per check; exits
non-zero on the first failure.
"""
import json
import sys
import time
import urllib.request

from headless_chromium import chromium
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait


def ok(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        sys.exit(1)


def main():
    url, token, job = sys.argv[1], sys.argv[2], sys.argv[3]
    expect = sys.argv[sys.argv.index("--expect") + 1]
    shot = sys.argv[6] if len(sys.argv) > 6 else None
    req = urllib.request.Request(f"{url}/api/jobs/{job}/reports", headers={"Authorization": f"Bearer {token}"})
    d = json.load(urllib.request.urlopen(req))
    docs = {x["sopInstanceUID"]: x for x in d["documents"]}
    latest = d["latest"]["sopInstanceUID"] if d.get("latest") else None
    committed = {e["sopInstanceUID"] for e in d["delivery"] if e["state"] == "committed"}
    driver = chromium("scinti-reports-")
    try:
        driver.get(f"{url}/?token={token}#job={job}")
        wait = WebDriverWait(driver, 60)
        wait.until(lambda dr: dr.find_elements(By.CSS_SELECTOR, "#reportsPanel table.reports tr[data-uid]"))
        # The panel refreshes every 5 s: wait until it shows the state the JSON above has (rows and delivery).
        def rows():
            return driver.execute_script(
                "return [...document.querySelectorAll('#reportsPanel table.reports tr[data-uid]')].map((tr) => "
                "({uid: tr.dataset.uid, kind: tr.dataset.kind, status: tr.cells[3].textContent, "
                "pacs: tr.cells[4].textContent, pdf: (tr.querySelector('a.open-pdf') || {}).href || ''}))")
        deadline = time.time() + 20
        shown = rows()
        while time.time() < deadline:
            shown = rows()
            state_ok = (any(r["pacs"].startswith("failed for") for r in shown) if expect == "failed"
                        else all(r["pacs"].startswith("delivered to") for r in shown if r["uid"] in committed))
            if len(shown) == len(docs) and state_ok:
                break
            time.sleep(0.5)
        ok({r["uid"] for r in shown} == set(docs), f"one row per document ({len(shown)} rows, {len(docs)} documents)")
        srs = [r for r in shown if r["kind"] == "sr"]
        marked = [r["uid"] for r in srs if r["status"].startswith("latest")]
        ok(marked == [latest], f"only the JSON's latest SR is marked latest ({len(srs)} SRs)")
        if docs[latest].get("predecessor"):
            ok(next(r for r in srs if r["uid"] == latest)["status"] == "latest (amends an earlier report)",
               "the latest SR is shown as an amendment")
        ok(all(r["status"] == "superseded" for r in srs if r["uid"] != latest), "every older SR is shown as superseded")
        pdfs = [r for r in shown if r["kind"] == "pdf"]
        ok(pdfs and all(r["pdf"].endswith(f"/api/reports/{r['uid']}/pdf") for r in pdfs), "each PDF row opens /api/reports/UID/pdf")
        ok(bool(driver.find_elements(By.ID, "physicianReport")), "the physician report form is shown")
        if expect == "failed":
            failed = [r["pacs"] for r in shown if r["pacs"].startswith("failed for")]
            ok(bool(failed) and all(": " in f and len(f.split(": ", 1)[1]) > 0 for f in failed),
               f"failed deliveries shown with their reason ({failed[0][:90] if failed else None})")
        else:
            ok(committed and all(r["pacs"].startswith("delivered to") for r in shown if r["uid"] in committed),
               f"every committed document shown as delivered ({len(committed)})")
        if shot:
            driver.save_screenshot(shot)
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
