// Scinti QC page: daily banner, trend per camera and test with tolerance/action limits, CSV link.
"use strict";
const $ = (id) => document.getElementById(id);
const NS = "http://www.w3.org/2000/svg";

async function getJSON(url) {
  const r = await fetch(url, { credentials: "same-origin" });
  if (!r.ok) throw new Error(url + ": " + r.status + " " + (await r.text()));
  return r.json();
}

let lastBanner = null;

function text(el, s) { el.textContent = s; return el; }

async function banner() {
  const b = await getJSON("/api/qc/banner");
  lastBanner = b;
  const el = $("banner");
  el.className = b.overall === "no QC" ? "noqc" : b.overall;
  const parts = b.cameras.map((c) => c.camera + ": " + c.status.toUpperCase());
  text(el, "QC " + b.date + " — " + (b.overall === "no QC" ? "no QC results today" : b.overall.toUpperCase()) +
    (parts.length ? " (" + parts.join(", ") + ")" : ""));
  const tb = $("today").querySelector("tbody");
  tb.replaceChildren();
  for (const c of b.cameras) for (const r of c.results) {
    const tr = document.createElement("tr");
    for (const v of [c.camera, r.test, r.head ?? "", r.status, r.acquired, r.summary]) tr.appendChild(text(document.createElement("td"), String(v)));
    tr.children[3].className = "s-" + r.status;
    tb.appendChild(tr);
  }
}

async function cameras(preferred) {
  const list = await getJSON("/api/qc/cameras");
  const sel = $("camera");
  sel.replaceChildren(...list.map((c) => { const o = document.createElement("option"); o.value = c; return text(o, c); }));
  if (preferred && list.includes(preferred)) sel.value = preferred;
}

function svg(tag, attrs, parent) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  parent.appendChild(e);
  return e;
}

async function trend(keepMetric) {
  const cam = $("camera").value, test = $("test").value;
  $("csv").href = "/api/qc/results.csv?" + new URLSearchParams(cam ? { camera: cam, test } : { test });
  const plot = $("plot");
  plot.replaceChildren();
  if (!cam) { svg("text", { x: 20, y: 40 }, plot).textContent = "no QC results yet"; return; }
  const q = { camera: cam, test };
  if (keepMetric && $("metric").value) q.metric = $("metric").value;
  let t;
  try { t = await getJSON("/api/qc/trend?" + new URLSearchParams(q)); }
  catch (e) { svg("text", { x: 20, y: 40 }, plot).textContent = String(e.message); return; }
  const msel = $("metric");
  msel.replaceChildren(...t.metrics.map((m) => { const o = document.createElement("option"); o.value = m; return text(o, m); }));
  msel.value = t.metric;
  const pts = t.points.filter((p) => typeof p.value === "number");
  const W = 820, H = 320, L = 60, R = 20, T = 20, B = 50;
  if (!pts.length) { svg("text", { x: 20, y: 40 }, plot).textContent = "no " + t.metric + " values for " + cam; return; }
  const times = pts.map((p) => Date.parse(p.acquired));
  const vals = pts.map((p) => (t.absolute ? Math.abs(p.value) : p.value));
  let lo = Math.min(0, ...vals), hi = Math.max(...vals, t.action ?? -Infinity) * 1.1 || 1;
  const t0 = Math.min(...times), t1 = Math.max(...times) || t0 + 1;
  const X = (x) => L + (t1 === t0 ? (W - L - R) / 2 : (x - t0) / (t1 - t0) * (W - L - R));
  const Y = (y) => H - B - (y - lo) / (hi - lo) * (H - T - B);
  svg("line", { x1: L, y1: H - B, x2: W - R, y2: H - B, stroke: "#888" }, plot);
  svg("line", { x1: L, y1: T, x2: L, y2: H - B, stroke: "#888" }, plot);
  for (const [name, v, colour] of [["tolerance", t.tolerance, "#f9a825"], ["action", t.action, "#c62828"]]) {
    if (typeof v !== "number") continue;
    svg("line", { x1: L, y1: Y(v), x2: W - R, y2: Y(v), stroke: colour, "stroke-dasharray": "6 4" }, plot);
    svg("text", { x: W - R - 90, y: Y(v) - 4, fill: colour, "font-size": 12 }, plot).textContent = name + " " + v;
  }
  for (let k = 0; k <= 4; k++) {
    const v = lo + (hi - lo) * k / 4;
    svg("text", { x: 4, y: Y(v) + 4, "font-size": 11 }, plot).textContent = v.toPrecision(3);
  }
  svg("polyline", { points: pts.map((p, i) => X(times[i]) + "," + Y(vals[i])).join(" "), fill: "none", stroke: "#1565c0" }, plot);
  pts.forEach((p, i) => {
    const c = svg("circle", { cx: X(times[i]), cy: Y(vals[i]), r: 4, fill: p.status === "pass" ? "#2e7d32" : p.status === "tolerance" ? "#f9a825" : "#c62828" }, plot);
    svg("title", {}, c).textContent = p.acquired + (p.head ? " head " + p.head : "") + ": " + p.value.toPrecision(4) + " (" + p.status + ")";
  });
  svg("text", { x: L, y: H - 20, "font-size": 11 }, plot).textContent = new Date(t0).toISOString().slice(0, 10);
  svg("text", { x: W - R - 70, y: H - 20, "font-size": 11 }, plot).textContent = new Date(t1).toISOString().slice(0, 10);
  svg("text", { x: L + 10, y: T + 4, "font-size": 12 }, plot).textContent = cam + " · " + test + " · " + t.metric;
}

$("camera").addEventListener("change", () => trend(false));
$("test").addEventListener("change", () => trend(false));
$("metric").addEventListener("change", () => trend(true));
(async () => {
  try { await banner(); } catch (e) { text($("banner"), String(e.message)); }
  try { await cameras(lastBanner && lastBanner.cameras.length ? lastBanner.cameras[0].camera : null); await trend(false); } catch (e) { console.error(e); }
})();
