// Scinti viewer: per-slice tools on volumes (docs/review.md), on the axial view.
// - contour: a closed polygon drawn with the mouse on a slice; contours on two or more slices make one VOI, the slices
//   between two contoured slices filled by interpolating the two polygons (each resampled to 64 points at equal arc
//   length, both turned the same way, the start of the second chosen to minimise the summed squared distance between
//   corresponding points, then points interpolated linearly in the slice index).
// - brush / eraser: a disc (radius in mm, from the pixel spacing) dragged over the slice adds voxels to the last VOI
//   (a new one when there is none) or removes them.
// Pixel rule: a voxel belongs to a polygon or disc when its centre does (centres at integer column/row).
'use strict';

const SliceTools = (() => {
  const st = { mode: 'none', contours: new Map(), voi: null, stroke: null, canvas: null };
  const N = 64;

  // Even–odd test of the point (x, y) against a polygon [[x, y], …].
  function inside(poly, x, y) {
    let c = false;
    for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
      const [xi, yi] = poly[i], [xj, yj] = poly[j];
      if ((yi > y) !== (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) c = !c;
    }
    return c;
  }
  // Fills slice k of mask m with the voxels whose centre lies in the polygon.
  function fill(p, m, k, poly) {
    const xs = poly.map((q) => q[0]), ys = poly.map((q) => q[1]);
    const x0 = Math.max(0, Math.floor(Math.min(...xs))), x1 = Math.min(p.width - 1, Math.ceil(Math.max(...xs)));
    const y0 = Math.max(0, Math.floor(Math.min(...ys))), y1 = Math.min(p.height - 1, Math.ceil(Math.max(...ys)));
    for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) if (inside(poly, x, y)) m[x + p.width * (y + p.height * k)] = 1;
  }
  const area = (poly) => { let a = 0; for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) a += poly[j][0] * poly[i][1] - poly[i][0] * poly[j][1]; return a / 2; };
  // N points at equal arc length along the closed polygon, counter-clockwise in (x, y).
  function resample(poly) {
    const P = area(poly) < 0 ? poly.slice().reverse() : poly.slice();
    const seg = P.map((q, i) => Math.hypot(P[(i + 1) % P.length][0] - q[0], P[(i + 1) % P.length][1] - q[1]));
    const total = seg.reduce((a, b) => a + b, 0);
    const out = [];
    let i = 0, acc = 0;
    for (let n = 0; n < N; n++) {
      const s = n * total / N;
      while (i < P.length - 1 && acc + seg[i] < s) { acc += seg[i]; i++; }
      const t = seg[i] > 0 ? (s - acc) / seg[i] : 0, a = P[i], b = P[(i + 1) % P.length];
      out.push([a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])]);
    }
    return out;
  }
  // The polygon between A (t = 0) and B (t = 1).
  function between(A, B, t) {
    let best = 0, bestD = Infinity;
    for (let s = 0; s < N; s++) {
      let d = 0;
      for (let n = 0; n < N; n++) { const b = B[(n + s) % N]; d += (A[n][0] - b[0]) ** 2 + (A[n][1] - b[1]) ** 2; }
      if (d < bestD) { bestD = d; best = s; }
    }
    return A.map((a, n) => { const b = B[(n + best) % N]; return [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])]; });
  }

  // The contour VOI from the contours drawn so far.
  function rebuild() {
    const p = state.primary, m = new Uint8Array(p.width * p.height * p.depth);
    const ks = [...st.contours.keys()].sort((a, b) => a - b);
    for (const k of ks) fill(p, m, k, st.contours.get(k));
    for (let n = 0; n + 1 < ks.length; n++) {
      const k0 = ks[n], k1 = ks[n + 1];
      if (k1 - k0 < 2) continue;
      const A = resample(st.contours.get(k0)), B = resample(st.contours.get(k1));
      for (let k = k0 + 1; k < k1; k++) fill(p, m, k, between(A, B, (k - k0) / (k1 - k0)));
    }
    const how = `contours on slices ${ks.join(', ')}${ks.length > 1 ? ', interpolated between' : ''}`;
    if (st.voi && VolumeTools.state.vois.includes(st.voi)) { st.voi.mask = m; st.voi.how = how; }
    else st.voi = VolumeTools.add(m, how);
    VolumeTools.sync();
  }

  // The VOI the brush and eraser change: the one chosen in the menu, else the last.
  function target() {
    const vs = VolumeTools.state.vois, s = $('brushTarget');
    return (s && vs.find((v) => v.label === s.value)) || vs[vs.length - 1];
  }
  function targets() {
    const s = $('brushTarget');
    if (!s) return;
    const keep = s.value, labels = VolumeTools.state.vois.map((v) => v.label);
    if (labels.join('\n') === [...s.options].map((o) => o.value).join('\n')) return;
    s.innerHTML = '';
    for (const l of labels) s.add(new Option(l, l));
    s.value = labels.includes(keep) ? keep : labels[labels.length - 1] || '';
  }

  // Brush/eraser: the disc at (x, y) on slice k.
  function dab(x, y, k, on) {
    const p = state.primary, r = +$('brushRadius').value || 5, [sx, sy] = p.spacing;
    let v = target();
    if (!v) { if (!on) return; v = VolumeTools.add(new Uint8Array(p.width * p.height * p.depth), 'brush'); }
    const ri = Math.ceil(r / sx), rj = Math.ceil(r / sy);
    for (let j = Math.max(0, Math.ceil(y) - rj); j <= Math.min(p.height - 1, Math.floor(y) + rj); j++)
      for (let i = Math.max(0, Math.ceil(x) - ri); i <= Math.min(p.width - 1, Math.floor(x) + ri); i++)
        if (((i - x) * sx) ** 2 + ((j - y) * sy) ** 2 <= r * r) v.mask[i + p.width * (j + p.height * k)] = on ? 1 : 0;
    if (!/brush|eraser/.test(v.how)) v.how += '; brush/eraser edits';
  }

  // Image position of a mouse event on the axial canvas (pixel centres at integers).
  function pos(e) {
    const p = state.primary, c = st.canvas, r = c.getBoundingClientRect();
    return [(e.clientX - r.left) / r.width * p.width - 0.5, (e.clientY - r.top) / r.height * p.height - 0.5];
  }
  function down(e) {
    if (st.mode === 'none') return;
    e.preventDefault();
    st.stroke = [pos(e)];
    if (st.mode !== 'contour') { dab(...st.stroke[0], state.cross[2], st.mode === 'brush'); VolumeTools.sync(); }
  }
  function move(e) {
    if (!st.stroke) return;
    const q = pos(e);
    st.stroke.push(q);
    if (st.mode === 'contour') {
      drawVolume();
      const c = st.canvas, g = c.getContext('2d'), p = state.primary, sx = c.width / p.width, sy = c.height / p.height;
      g.strokeStyle = '#ffd24d'; g.lineWidth = 1.5; g.beginPath();
      st.stroke.forEach(([x, y], n) => (n ? g.lineTo : g.moveTo).call(g, (x + 0.5) * sx, (y + 0.5) * sy)); g.stroke();
    } else { dab(...q, state.cross[2], st.mode === 'brush'); VolumeTools.sync(); }
  }
  function up() {
    if (!st.stroke) return;
    const s = st.stroke; st.stroke = null;
    if (st.mode === 'contour') {
      if (s.length >= 3 && Math.abs(area(s)) > 0.5) { st.contours.set(state.cross[2], s); rebuild(); }
      else status('contour: draw a closed outline (at least 3 points around a non-zero area)');
    }
  }

  function toolbar(tb) {
    const d = document.createElement('div'); d.id = 'sliceTools';
    d.innerHTML = `slice tools (axial): <select id="sliceMode"><option value="none">off</option><option value="contour">contour</option>
      <option value="brush">brush</option><option value="eraser">eraser</option></select>
      <label>brush <input id="brushRadius" type="number" value="5" min="0.5" step="0.5" style="width:45px"> mm</label>
      on <select id="brushTarget" title="the VOI the brush and eraser change"></select>
      <button id="contourNew">new contour VOI</button>`;
    tb.appendChild(d);
    $('sliceMode').value = st.mode;
    $('sliceMode').onchange = () => { st.mode = $('sliceMode').value; };
    $('contourNew').onclick = () => { st.contours = new Map(); st.voi = null; };
  }
  function attach(c) {
    st.canvas = c;
    c.addEventListener('mousedown', down);
    c.addEventListener('mousemove', move);
    if (!st.listening) { window.addEventListener('mouseup', up); st.listening = true; }
  }
  function reset() { st.contours = new Map(); st.voi = null; st.stroke = null; }

  // A dose result's VOIs made editable (brush, eraser, contours), and the dose job re-run with them: the same request
  // with `regions` = the VOIs as masks over the first visit's SPECT voxels, matched by label (docs/review.md).
  function editDose() {
    const d = state.result, masks = state.masks || [];
    VolumeTools.reset();
    for (const m of masks) {
      const src = (d.volumeMasks || []).find((x) => x.label === m.label);
      VolumeTools.add(Uint8Array.from(m.mask), 'dose VOI', m.label, src ? src.colour : undefined);
    }
    state.masks = [];
    VolumeTools.sync();
    if (!$('rerunDose')) {
      const b = document.createElement('button'); b.id = 'rerunDose'; b.textContent = 're-run dose with edited VOIs';
      b.onclick = rerunDose;
      $('results').insertBefore(b, $('editVOIs').nextSibling);
    }
    $('sliceMode').value = 'eraser'; st.mode = 'eraser';
  }
  async function rerunDose() {
    const req = JSON.parse(state.resultJob.request);
    delete req.regionsEditedBy; delete req.regionsEditedAt;
    req.regions = VolumeTools.state.vois.map((v) => ({ label: v.label, colour: v.colour, frames: [], shape: 'mask', runs: VolumeTools.runsOfMask(v.mask) }));
    try {
      const j = await getJSON('/api/jobs', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(req) });
      document.body.dataset.doseRerunJob = j.id;
      status(`dose job ${j.id} with ${req.regions.length} edited VOI(s) queued`);
      await refreshJobs();
    } catch (e) { status(String(e.message)); }
  }

  return { toolbar, attach, reset, resample, between, targets, editDose, get active() { return st.mode !== 'none'; }, state: st };
})();
