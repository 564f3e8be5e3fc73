#!/usr/bin/env python3
"""`scinti dose phantom` (Monte Carlo S values in the ICRP-110 adult male and female) against OpenDose's Lu-177 S values.

Reference values: OpenDose (Chauvin et al., Phys Med 2017; GATE, ICRP-107 Lu-177 spectrum, ICRP-110 AM/AF) as shipped
in the rpt_dosi repository (github.com/dsarrut/rpt_dosi, rpt_dosi/data/ICRP_110_AM/ and ICRP_110_AF/, files
lu-177_liver.json, lu-177_spleen.json, "lu-177_left kidney c+m+p.json", "lu-177_right kidney c+m+p.json"; columns
target, S in mGy/(MBq s), uncertainty, mass g). The values used are copied below with their target rows
("Left kidney C+M+P" etc.); a kidney source is cortex + medulla + pelvis of one side (IDs 89-91 left, 92-94 right),
activity uniform per mass.

Usage: check_dose_phantom.py SCINTI [DECAYS] [--all | --sources=PHANTOM:SOURCE,...]. Default (CI): AM liver and spleen
sources. --all: also the AM kidney sources and the AF liver, spleen and left-kidney sources; --sources: those only
(e.g. icrp-am:liver,icrp-am:kidney-right for the liver/right-kidney cross S values and their reciprocity). Self S values within 2 % (+ 2 sigma of our
statistics); with DECAYS >= 1e6 also the cross S values within 5 % (+ 2 sigma) and reciprocity within 3 % (+ 2 sigma).
Reciprocity is that of the specific absorbed fractions, Phi(A<-B) = Phi(B<-A) (Loevinger & Berman, MIRD Pamphlet 1
revised), i.e. S(A<-B) = S(B<-A) for one nuclide; the issue's form "S(A<-B) m_A vs S(B<-A) m_B" compares absorbed
fractions phi = Phi m, which reciprocity does not make equal. Prints one line per check; exit 1 on failure.
"""
import json
import subprocess
import sys

# (phantom, source, target) -> OpenDose S, mGy/(MBq s).
OPENDOSE = {
    ("icrp-am", "liver", "self"): 1.3713e-5,
    ("icrp-am", "liver", "kidney-right"): 2.2932e-7,
    ("icrp-am", "liver", "kidney-left"): 4.7165e-8,
    ("icrp-am", "liver", "spleen"): 4.1688e-8,
    ("icrp-am", "spleen", "self"): 1.5967e-4,
    ("icrp-am", "spleen", "kidney-right"): 2.7560e-8,
    ("icrp-am", "kidney-left", "self"): 1.5662e-4,
    ("icrp-am", "kidney-left", "spleen"): 3.4509e-7,
    ("icrp-am", "kidney-left", "liver"): 4.6791e-8,
    ("icrp-am", "kidney-left", "kidney-right"): 5.4199e-8,
    ("icrp-am", "kidney-right", "self"): 1.5283e-4,
    ("icrp-am", "kidney-right", "liver"): 2.2877e-7,
    ("icrp-am", "kidney-right", "spleen"): 2.8062e-8,
    ("icrp-af", "liver", "self"): 1.7533e-5,
    ("icrp-af", "liver", "kidney-right"): 3.0864e-7,
    ("icrp-af", "liver", "spleen"): 7.6519e-8,
    ("icrp-af", "spleen", "self"): 1.8361e-4,
    ("icrp-af", "spleen", "kidney-left"): 4.2404e-7,
    ("icrp-af", "spleen", "liver"): 7.6293e-8,
    ("icrp-af", "spleen", "kidney-right"): 3.8732e-8,
    ("icrp-af", "kidney-left", "self"): 1.6034e-4,
    ("icrp-af", "kidney-left", "spleen"): 4.2378e-7,
    ("icrp-af", "kidney-left", "liver"): 8.6437e-8,
    ("icrp-af", "kidney-left", "kidney-right"): 9.0396e-8,
}
# Reciprocity pairs (phantom, A, B): S(A<-B) vs S(B<-A), both from our runs.
PAIRS = [("icrp-am", "liver", "spleen"), ("icrp-am", "liver", "kidney-right"), ("icrp-am", "kidney-left", "kidney-right"),
         ("icrp-am", "spleen", "kidney-right"), ("icrp-af", "liver", "spleen"), ("icrp-af", "spleen", "kidney-left"),
         ("icrp-af", "liver", "kidney-left")]
GROUP_IDS = {"liver": [95], "spleen": [127], "kidney-left": [89, 90, 91], "kidney-right": [92, 93, 94]}
CI_SOURCES = [("icrp-am", "liver"), ("icrp-am", "spleen")]


def run(scinti, phantom, source, decays):
    out = subprocess.run([scinti, "dose", "phantom", "--phantom", phantom, "--source", source, "--isotope", "Lu-177",
                          "--decays", str(decays), "--json"], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def group_s(report, ids):
    """Mass-weighted S of a group of target IDs, with its relative uncertainty (quadrature, conservative)."""
    t = {x["id"]: x for x in report["targets"]}
    m = sum(t[i]["massG"] for i in ids)
    s = sum(t[i]["sValue"] * t[i]["massG"] for i in ids) / m
    u = (sum((t[i]["sValue"] * t[i]["massG"] * t[i]["relativeUncertainty"]) ** 2 for i in ids) ** 0.5) / (s * m)
    return s, u, m


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    scinti = args[0]
    decays = int(args[1]) if len(args) > 1 else 20000
    every = "--all" in sys.argv
    full = decays >= 1_000_000
    ok = True
    sources = sorted({(p, s) for (p, s, _) in OPENDOSE}) if every else CI_SOURCES
    chosen = [a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith("--sources=")]
    if chosen:
        sources = [tuple(x.split(":")) for x in chosen[0].split(",")]
    reports = {key: run(scinti, key[0], key[1], decays) for key in sources}
    for (ph, src), r in reports.items():
        print("%s %s source: %d decays in %.1f s (%.0f decays/s per thread, %d threads)" % (ph, src, r["decays"], r["seconds"], r["decaysPerSecondPerThread"], r["threads"]))
    for (ph, src, tgt), ref in OPENDOSE.items():
        if (ph, src) not in reports:
            continue
        ids = GROUP_IDS[src if tgt == "self" else tgt]
        s, u, m = group_s(reports[(ph, src)], ids)
        dev = s / ref - 1
        limit = (0.02 if tgt == "self" else 0.05) + 2 * u
        checked = tgt == "self" or full
        good = abs(dev) <= limit
        if checked and not good:
            ok = False
        print("%s S(%s <- %s) = %.4e mGy/(MBq s) +- %.2f %% vs OpenDose %.4e: %+.2f %% (limit %.2f %%)%s" % (
            ph, tgt if tgt != "self" else src, src, s, 100 * u, ref, 100 * dev, 100 * limit,
            "" if checked else " [not checked below 1e6 decays]") + ("" if good or not checked else "  FAIL"))
    if full:
        for ph, a, b in PAIRS:
            if (ph, a) not in reports or (ph, b) not in reports:
                continue
            s_ab, u1, _ = group_s(reports[(ph, b)], GROUP_IDS[a])   # S(A <- B)
            s_ba, u2, _ = group_s(reports[(ph, a)], GROUP_IDS[b])   # S(B <- A)
            dev = s_ab / s_ba - 1
            limit = 0.03 + 2 * (u1 ** 2 + u2 ** 2) ** 0.5
            good = abs(dev) <= limit
            print("%s reciprocity S(%s<-%s) / S(%s<-%s) - 1 = %+.2f %% (limit %.2f %%)%s" % (ph, a, b, b, a, 100 * dev, 100 * limit, "" if good else "  FAIL"))
            ok = ok and good
    print("OK" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
