// Scinti viewer: registration review of a serial SPECT/CT study (docs/review.md). Each follow-up visit's CT is shown
// against the first visit's CT on the first visit's SPECT grid — fused (first in grey, follow-up in hot iron), checkerboard or
// difference — through the crosshair in three planes. The fixed-to-moving transform (rotations about x, y, z in
// degrees, Rz·Ry·Rx about the centre of the first CT's grid (sent as centerMM); translation in mm) is nudged with the keyboard
// (arrows: x/y by 1 mm, shift 5 mm; PageUp/PageDown: z; q/e, a/d, w/s: rotation about z, y, x by 0.5°) or by dragging
// a view, then accepted; the dose job takes the accepted transforms (`acceptedTransforms`) instead of registering.
'use strict';

const RegReview = (() => {
  const st = { visits: [], k: 1, fixed: null, moving: {}, t: {}, accepted: {}, mode: 'fused', cross: null, drag: null, active: false };
  const key = () => st.t[st.k] || (st.t[st.k] = { rot: [0, 0, 0], tr: [0, 0, 0] });

  function rotation(deg) {  // Rz·Ry·Rx, as Dosimetry.RigidTransform
    const [a, b, c] = deg.map((d) => d * Math.PI / 180);
    const [ca, sa, cb, sb, cc, sc] = [Math.cos(a), Math.sin(a), Math.cos(b), Math.sin(b), Math.cos(c), Math.sin(c)];
    return [[cc * cb, cc * sb * sa - sc * ca, cc * sb * ca + sc * sa],
            [sc * cb, sc * sb * sa + cc * ca, sc * sb * ca - cc * sa],
            [-sb, cb * sa, cb * ca]];
  }
  const pos = (v, i, j, k) => [0, 1, 2].map((a) => v.origin[a] + i * v.spacing[0] * v.rowDirection[a] + j * v.spacing[1] * v.columnDirection[a] + k * v.spacing[2] * v.sliceDirection[a]);
  const dot = (a, b) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];

  async function open(visits) {
    st.visits = visits; st.k = 1; st.active = true;
    stopTimers();
    status('loading the visits\u2019 CTs for the registration review…');
    try {
      // Both CTs on the first visit's SPECT grid (the grid the dosimetry works on).
      st.fixed = await loadSeries(visits[0].ct, `grid=${visits[0].spect}`);
      st.moving = {};
    } catch (e) { status(String(e.message)); return; }
    const f = st.fixed;
    st.cross = [f.width >> 1, f.height >> 1, f.depth >> 1];
    // Rotation centre: the centre of the first visit's CT grid, as the server's registration uses.
    try {
      const ctInfo = await getJSON(`/api/series/${visits[0].ct}/info`);
      st.centre = pos(ctInfo, (ctInfo.width - 1) / 2, (ctInfo.height - 1) / 2, (ctInfo.depth - 1) / 2);
    } catch (e) { st.centre = pos(f, (f.width - 1) / 2, (f.height - 1) / 2, (f.depth - 1) / 2); }
    await build();
  }

  async function build() {
    const f = st.fixed;
    if (!st.moving[st.k]) {
      status(`loading visit ${st.k + 1}'s CT on the first CT's grid…`);
      st.moving[st.k] = await loadSeries(st.visits[st.k].ct, `grid=${st.visits[0].spect}`);
    }
    $('canvases').innerHTML = ''; $('results').innerHTML = '';
    const tb = $('toolbar');
    tb.innerHTML = `<b>Registration review</b> visit <select id="regVisit">${st.visits.slice(1).map((v, n) => `<option value="${n + 1}">${n + 2}</option>`).join('')}</select> to visit 1
      <select id="regMode"><option value="fused">fused</option><option value="checker">checkerboard</option><option value="diff">difference</option></select>
      <span id="regT"></span> <button id="regAccept">accept</button> <button id="regReset">reset</button> <button id="regDose">run dose with accepted registrations</button>`;
    $('regVisit').value = String(st.k); $('regMode').value = st.mode;
    $('regVisit').onchange = async () => { st.k = +$('regVisit').value; await build(); };
    $('regMode').onchange = () => { st.mode = $('regMode').value; draw(); };
    $('regAccept').onclick = accept;
    $('regReset').onclick = () => { st.t[st.k] = { rot: [0, 0, 0], tr: [0, 0, 0] }; draw(); };
    $('regDose').onclick = runDose;
    for (const [label, id] of [['axial', 'rax'], ['coronal', 'rco'], ['sagittal', 'rsa']]) {
      const c = pane(label + ' — visit 1 vs visit ' + (st.k + 1), id);
      c.onmousedown = (e) => { st.drag = { id, x: e.clientX, y: e.clientY, tr: key().tr.slice() }; };
      c.onmousemove = (e) => dragMove(e);
      c.onmouseup = () => { st.drag = null; };
    }
    draw();
    status(`registration review: visit ${st.k + 1} against visit 1 (${f.width}×${f.height}×${f.depth} CT grid)`);
  }

  // Moving CT value seen at fixed voxel (i, j, k): M(T(p)), nearest neighbour on the moving-on-fixed-grid volume.
  function sampler() {
    const f = st.fixed, m = st.moving[st.k], t = key(), R = rotation(t.rot), c = st.centre;
    return (i, j, k) => {
      const p = pos(f, i, j, k), d = [p[0] - c[0], p[1] - c[1], p[2] - c[2]];
      const q = [0, 1, 2].map((a) => R[a][0] * d[0] + R[a][1] * d[1] + R[a][2] * d[2] + c[a] + t.tr[a]);
      const r = [q[0] - f.origin[0], q[1] - f.origin[1], q[2] - f.origin[2]];
      const x = Math.round(dot(r, f.rowDirection) / f.spacing[0]), y = Math.round(dot(r, f.columnDirection) / f.spacing[1]), z = Math.round(dot(r, f.sliceDirection) / f.spacing[2]);
      if (x < 0 || y < 0 || z < 0 || x >= f.width || y >= f.height || z >= f.depth) return -1000;
      return m.values[x + f.width * (y + f.height * z)];
    };
  }

  function draw() {
    const f = st.fixed, M = sampler(), grey = lut('gray'), hot = lut('hot');
    const lo = -160, hi = 240, win = (v) => Math.max(0, Math.min(255, Math.floor((v - lo) * 255 / (hi - lo))));
    const scale = Math.max(1, Math.floor(300 / Math.max(f.width, f.height, f.depth)));
    for (const id of ['rax', 'rco', 'rsa']) {
      const which = id === 'rax' ? 'ax' : id === 'rco' ? 'co' : 'sa';
      const pl = plane(f, which, st.cross);
      const img = new ImageData(pl.w, pl.h);
      for (let y = 0; y < pl.h; y++) for (let x = 0; x < pl.w; x++) {
        const [i, j, k] = pl.at(x, y), a = pl.out[y * pl.w + x], b = M(i, j, k), o = 4 * (y * pl.w + x);
        let rgb;
        if (st.mode === 'checker') rgb = ((x >> 3) + (y >> 3)) % 2 ? [win(a), win(a), win(a)] : [hot[3 * win(b)], hot[3 * win(b) + 1], hot[3 * win(b) + 2]];
        else if (st.mode === 'diff') { const d = Math.max(0, Math.min(255, Math.round(128 + (a - b) * 128 / 400))); rgb = [d, d, d]; }
        else { const g = win(a), h = win(b); rgb = [0.5 * g + 0.5 * hot[3 * h], 0.5 * g + 0.5 * hot[3 * h + 1], 0.5 * g + 0.5 * hot[3 * h + 2]]; }
        img.data[o] = rgb[0]; img.data[o + 1] = rgb[1]; img.data[o + 2] = rgb[2]; img.data[o + 3] = 255;
      }
      show($(id), img, scale, pl.aspect);
    }
    const t = key();
    $('regT').textContent = `rotation (${t.rot.map((v) => v.toFixed(1)).join(', ')})° translation (${t.tr.map((v) => v.toFixed(1)).join(', ')}) mm${st.accepted[st.k] ? ' — accepted' : ''}`;
    $('regT').dataset.rot = JSON.stringify(t.rot); $('regT').dataset.tr = JSON.stringify(t.tr);
  }

  function dragMove(e) {
    const d = st.drag;
    if (!d) return;
    const f = st.fixed, c = $(d.id), b = c.getBoundingClientRect();
    const which = d.id === 'rax' ? 'ax' : d.id === 'rco' ? 'co' : 'sa', pl = plane(f, which, st.cross);
    const mmX = (e.clientX - d.x) / b.width * pl.w * (which === 'sa' ? f.spacing[1] : f.spacing[0]);
    const mmY = (e.clientY - d.y) / b.height * pl.h * (which === 'ax' ? f.spacing[1] : f.spacing[2]);
    const t = key();
    // Dragging the follow-up image by +Δ on screen means sampling it at −Δ.
    if (which === 'ax') { t.tr[0] = d.tr[0] - mmX; t.tr[1] = d.tr[1] - mmY; }
    else if (which === 'co') { t.tr[0] = d.tr[0] - mmX; t.tr[2] = d.tr[2] + mmY; }
    else { t.tr[1] = d.tr[1] - mmX; t.tr[2] = d.tr[2] + mmY; }
    delete st.accepted[st.k];
    draw();
  }

  function onKey(e) {
    if (!st.active || !$('regT') || /INPUT|SELECT/.test(e.target.tagName || '')) return;
    const t = key(), s = e.shiftKey ? 5 : 1;
    const tr = { ArrowLeft: [0, -s], ArrowRight: [0, s], ArrowUp: [1, -s], ArrowDown: [1, s], PageUp: [2, s], PageDown: [2, -s] }[e.key];
    const rot = { q: [2, -0.5], e: [2, 0.5], a: [1, -0.5], d: [1, 0.5], w: [0, -0.5], s: [0, 0.5] }[e.key];
    if (tr) t.tr[tr[0]] += tr[1]; else if (rot) t.rot[rot[0]] += rot[1]; else return;
    delete st.accepted[st.k];
    e.preventDefault();
    draw();
  }

  async function accept() {
    let who = 'unknown';
    try { const me = await getJSON('/api/me'); who = me.user || me.kind; } catch (e) { /* the server records the submitter anyway */ }
    const t = key();
    st.accepted[st.k] = { visit: st.k, rotationDeg: t.rot.slice(), translationMM: t.tr.slice(), centerMM: st.centre.slice(), acceptedBy: who, acceptedAt: new Date().toISOString() };
    document.body.dataset.accepted = JSON.stringify(Object.values(st.accepted));
    draw();
  }

  function runDose() {
    const body = { type: 'dose', visits: st.visits, acceptedTransforms: Object.values(st.accepted) };
    const seg = state.series.find((s) => val(s, '00080060') === 'SEG' && /VOI|organ/i.test(val(s, '0008103E') || 'VOI'));
    if (seg) body.masks = seriesUID(seg);
    st.active = false;
    startJob(body);
  }

  document.addEventListener('keydown', onKey);
  return { open, state: st, close() { st.active = false; } };
})();
