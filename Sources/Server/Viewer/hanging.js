// Scinti viewer: hanging protocols (docs/review.md). When a study is opened, its layout is chosen from what the study
// holds: a PET series → PET/CT with SUV; several reconstructed SPECT visits → the serial study grid; one SPECT with a
// CT → SPECT/CT tri-planar with MIP; a whole-body series → the ANT/POST pair, or, when another study of the same
// patient has a whole-body series too, baseline vs follow-up side by side with the window synchronised and normalised
// on the follow-up factor; a gated series → the cine beside its curve. The comparison layouts (grid, pair,
// baseline/follow-up) draw several series at once with linked crosshairs: a click on one pane places the crosshair
// at that point (LPS for volumes, the same place of the body for planar frames) on every pane.
'use strict';

const Hanging = (() => {
  const st = { name: null, panes: [], link: null, factor: null, active: false };
  const typeStr = (s) => (s['00080008'] && s['00080008'].Value || []).join('\\');
  const mod = (s) => val(s, '00080060');
  const uid = (s) => val(s, '0020000E');

  // The protocol for the open study: { name, run }.
  async function choose() {
    const ss = state.series;
    const pets = ss.filter((s) => mod(s) === 'PT');
    const recons = ss.filter((s) => mod(s) === 'NM' && /RECON|SLICE/.test(typeStr(s)));
    const wb = ss.filter((s) => mod(s) === 'NM' && /WHOLE BODY/.test(typeStr(s)));
    const gated = ss.filter((s) => mod(s) === 'NM' && /GATED/.test(typeStr(s)) && !/TOMO|RECON/.test(typeStr(s)));
    if (pets.length) return { name: 'PET/CT with SUV', run: () => petCT(uid(pets[0])) };
    if (recons.length > 1) return { name: 'serial study grid', run: () => serialGrid(recons) };
    if (recons.length === 1) return { name: 'SPECT/CT tri-planar with MIP', run: () => openSeries(uid(recons[0])) };
    if (wb.length) {
      const other = await followUpPartner();
      if (other) return { name: 'bone scan baseline vs follow-up', run: () => boneCompare(other) };
      return { name: 'whole-body ANT/POST pair', run: () => wholeBodyPair(uid(wb[0])) };
    }
    if (gated.length) return { name: 'gated cine with curve', run: () => gatedCine(uid(gated[0])) };
    const first = ss.find((s) => ['NM', 'PT', 'CT'].includes(mod(s)));
    return { name: 'single series', run: () => (first ? openSeries(uid(first)) : null) };
  }

  // Opens the open study in its hanging protocol (body[data-protocol] names it).
  async function apply() {
    const p = await choose();
    st.name = p.name;
    document.body.dataset.protocol = p.name;
    await p.run();
    const b = $('protocol');
    if (b) b.textContent = `protocol: ${p.name}`;
  }

  function close() {
    st.active = false; st.panes = []; st.link = null; st.factor = null;
    const x = $('compareBanner'); if (x) x.remove();
  }

  // ---- single-series protocols on the ordinary views
  async function petCT(pet) {
    await openSeries(pet);
    const f = state.primary && state.primary.suv && state.primary.suv.factors;
    if (f) Workstation.applyPreset(0);  // SUVbw 0–5 (workstation.js)
  }

  async function gatedCine(series) {
    await openSeries(series);
    // The LVEF result of this series when one was computed (its volume curve), else the counts of each frame.
    let shown = false;
    try {
      const jobs = await getJSON('/api/jobs');
      const j = jobs.find((x) => x.state === 'done' && x.type === 'analysis' && (() => { try { const r = JSON.parse(x.request); return r.analysis === 'lvef' && r.series === series && !r.regions; } catch (e) { return false; } })());
      if (j) { await showResult(j); shown = true; }
    } catch (e) { /* the counts curve below */ }
    const p = state.primary;
    if (!shown) {
      const n = p.width * p.height, y = [];
      for (let f = 0; f < p.depth; f++) { let s = 0; for (let q = f * n; q < (f + 1) * n; q++) s += p.values[q]; y.push(s); }
      const x = y.map((_, f) => (p.frameDurationMs ? f * p.frameDurationMs : f + 1));
      const box = $('results'); box.innerHTML = '<h3>Counts per frame</h3>';
      box.appendChild(plotChart({ title: 'Total counts per frame (whole image)', xLabel: p.frameDurationMs ? 'time after the R wave (ms, frame start)' : 'frame',
        yLabel: `counts (${unitText(p.units)})`, curves: [{ label: 'total counts', colour: '#e62828', x, y, style: 'points' }] }));
    }
    if ($('tile')) $('tile').checked = false;
    if ($('play') && !state.playing) $('play').click();
  }

  // ---- comparison layouts: several series drawn by this module
  function begin(name) {
    stopTimers();
    state.result = null; state.resultJob = null; state.masks = null; $('results').innerHTML = '';
    RegionTools.reset(); VolumeTools.reset(); RegReview.close();
    st.active = true; st.panes = []; st.link = null;
    $('canvases').innerHTML = ''; $('toolbar').innerHTML = `<span id="protocol">protocol: ${name}</span> <span class="hint">click a pane: linked crosshair on every pane</span>`;
    $('readout').textContent = ''; $('notes').textContent = '';
  }

  async function wholeBodyPair(series) {
    begin('whole-body ANT/POST pair');
    const p = await loadSeries(series);
    state.primary = p;
    window0(p);
    addFramePanes(p, 1, '');
    finish();
  }

  // Frames 1 and 2 of a whole-body series are its anterior and posterior views (the order of the file's Detector
  // Information Sequence); a posterior view is seen from behind.
  function addFramePanes(p, factor, prefix) {
    const views = p.depth >= 2 ? [['ANT', 0, false], ['POST', 1, true]] : [['', 0, false]];
    for (const [v, f, post] of views) st.panes.push({ info: p, type: 'frame', frame: f, post, factor, title: `${prefix}${v}` });
  }

  // Another study of the same patient (Patient ID) with a whole-body series: { baseline, followUp } as
  // { study, series, date } (baseline = the earlier study date).
  async function followUpPartner() {
    const me = state.studies.find((x) => val(x, '0020000D') === state.study);
    const pid = me && val(me, '00100020');
    if (!pid) return null;
    const mine = state.series.find((s) => mod(s) === 'NM' && /WHOLE BODY/.test(typeStr(s)));
    for (const s of state.studies) {
      const su = val(s, '0020000D');
      if (su === state.study || val(s, '00100020') !== pid) continue;
      const ser = await getJSON(`/dicom-web/studies/${su}/series?includefield=ImageType`);
      const w = ser.find((x) => mod(x) === 'NM' && /WHOLE BODY/.test(typeStr(x)));
      if (!w) continue;
      const a = { study: state.study, series: uid(mine), date: val(me, '00080020'), desc: val(me, '00081030') };
      const b = { study: su, series: uid(w), date: val(s, '00080020'), desc: val(s, '00081030') };
      return a.date <= b.date ? { baseline: a, followUp: b } : { baseline: b, followUp: a };
    }
    return null;
  }

  // Follow-up normalisation factor (the bone-scan analysis' definition, docs/bone-scan.md): baseline / follow-up
  // counts over the reference bone region = the baseline's body pixels (> 0) between its 60th and 95th percentiles,
  // over both views. Lesion masking and the shift between the scans, which the analysis adds, are not applied here.
  function normalisation(base, fu) {
    const n = Math.min(base.values.length, fu.values.length);
    const body = [];
    for (let q = 0; q < n; q++) if (base.values[q] > 0) body.push(base.values[q]);
    body.sort((a, b) => a - b);
    if (!body.length) return 1;
    const lo = body[Math.floor(0.6 * (body.length - 1))], hi = body[Math.floor(0.95 * (body.length - 1))];
    let sb = 0, sf = 0;
    for (let q = 0; q < n; q++) { const v = base.values[q]; if (v > 0 && v >= lo && v <= hi) { sb += v; sf += fu.values[q]; } }
    return sf > 0 ? sb / sf : 1;
  }

  async function boneCompare(pair) {
    begin('bone scan baseline vs follow-up');
    const [b, f] = await Promise.all([loadSeries(pair.baseline.series), loadSeries(pair.followUp.series)]);
    state.primary = b;
    st.factor = normalisation(b, f);
    window0(b);
    const tag = (x) => `${fmtDate(x.date) || ''} ${x.desc || ''}`.trim();
    for (const [v, fr, post] of b.depth >= 2 ? [['ANT', 0, false], ['POST', 1, true]] : [['', 0, false]]) {
      st.panes.push({ info: b, type: 'frame', frame: fr, post, factor: 1, title: `baseline ${tag(pair.baseline)} ${v}` });
      st.panes.push({ info: f, type: 'frame', frame: fr, post, factor: st.factor, title: `follow-up ${tag(pair.followUp)} ${v} (× ${st.factor.toFixed(3)})` });
    }
    const cb = document.createElement('div'); cb.id = 'compareBanner';
    cb.textContent = `baseline ${tag(pair.baseline)}  ↔  follow-up ${tag(pair.followUp)}: window synchronised, follow-up normalised × ${st.factor.toFixed(3)} (baseline / follow-up counts over the reference bone region)`;
    $('toolbar').appendChild(cb);
    document.body.dataset.factor = String(st.factor);
    finish();
  }

  async function serialGrid(recons) {
    begin('serial study grid');
    const infos = await Promise.all(recons.map((s) => loadSeries(uid(s))));
    state.primary = infos[0];
    window0(infos[0]);
    // Crosshair at the first visit's hottest voxel.
    const p = infos[0];
    let m = 0;
    for (let q = 1; q < p.values.length; q++) if (p.values[q] > p.values[m]) m = q;
    st.link = lps(p, [m % p.width, Math.floor(m / p.width) % p.height, Math.floor(m / (p.width * p.height))]);
    infos.forEach((info, k) => {
      for (const pl of ['co', 'ax']) st.panes.push({ info, type: 'slice', plane: pl, factor: 1, title: `visit ${k + 1} ${info.description} ${pl === 'co' ? 'coronal' : 'axial'}` });
    });
    finish();
  }

  function window0(p) {
    state.low = p.modality === 'CT' ? -160 : Math.max(0, p.min);
    state.high = p.modality === 'CT' ? 240 : p.max;
    $('cmap').value = p.kind === 'frames' ? 'inverseGray' : 'hot';
    $('low').value = +state.low.toPrecision(5); $('high').value = +state.high.toPrecision(5);
    Workstation.presetMenu();
  }

  function finish() {
    for (const [n, s] of st.panes.entries()) {
      const d = document.createElement('div'); d.className = 'pane';
      const c = document.createElement('canvas'); c.id = `hp${n}`;
      const t = document.createElement('span'); t.textContent = s.title;
      d.append(c, t); $('canvases').appendChild(d);
      s.canvas = c;
      c.onclick = (e) => { link(s, e); draw(); };
      c.onmousemove = (e) => readout(s, e);
    }
    draw();
    if (!document.body.dataset.firstImageMs) document.body.dataset.firstImageMs = String(performance.now());
    status(`${st.name}: ${st.panes.length} panes`);
  }

  // LPS position (mm) of voxel (i, j, k) and back (nearest voxel, clamped to the grid).
  function lps(p, v) {
    return [0, 1, 2].map((a) => p.origin[a] + v[0] * p.spacing[0] * p.rowDirection[a] + v[1] * p.spacing[1] * p.columnDirection[a] + v[2] * p.spacing[2] * p.sliceDirection[a]);
  }
  function voxel(p, x) {
    const d = [0, 1, 2].map((a) => x[a] - p.origin[a]);
    const dot = (u) => u[0] * d[0] + u[1] * d[1] + u[2] * d[2];
    const r = [dot(p.rowDirection) / p.spacing[0], dot(p.columnDirection) / p.spacing[1], dot(p.sliceDirection) / p.spacing[2]];
    const dims = [p.width, p.height, p.depth];
    return r.map((q, a) => Math.max(0, Math.min(dims[a] - 1, Math.round(q))));
  }

  // Image position under the mouse: (x, y) in pixels of the pane's image.
  function at(s, e) {
    const c = s.canvas, r = c.getBoundingClientRect();
    return [Math.floor((e.clientX - r.left) / r.width * s.w), Math.floor((e.clientY - r.top) / r.height * s.h)];
  }
  // Sets the linked crosshair from a click: volumes in LPS (mm); frames in mm from the top of the image and from the
  // patient's right side (a posterior view is mirrored), so that the same place of the body is marked on every view.
  function link(s, e) {
    const [x, y] = at(s, e);
    if (s.type === 'slice') {
      const v = s.geo.at(x, y);
      st.link = lps(s.info, v);
    } else {
      const p = s.info, xr = s.post ? p.width - 1 - x : x;
      st.link = { rightMM: xr * p.spacing[0], downMM: y * p.spacing[1] };
    }
  }
  function readout(s, e) {
    const [x, y] = at(s, e), p = s.info;
    if (x < 0 || y < 0 || x >= s.w || y >= s.h) return;
    let v;
    if (s.type === 'slice') { const q = s.geo.at(x, y); v = p.values[q[0] + p.width * (q[1] + p.height * q[2])]; }
    else v = p.values[s.frame * p.width * p.height + y * p.width + x];
    $('readout').textContent = `${s.title} (${x}, ${y}): ${fmt(v)} ${unitText(p.units)}${s.factor !== 1 ? `  (normalised ${fmt(v * s.factor)})` : ''}`;
  }

  function draw() {
    const L = lut($('cmap').value);
    const per = Math.max(1, Math.min(st.panes.length, 4));
    for (const s of st.panes) {
      const p = s.info, c = s.canvas;
      // The follow-up is drawn through the window divided by its factor: equal normalised counts, equal grey.
      const low = state.low / s.factor, high = state.high / s.factor;
      let vals, w, h, aspect, cross = null;
      if (s.type === 'frame') {
        w = p.width; h = p.height; aspect = p.spacing[1] / p.spacing[0];
        vals = p.values.subarray(s.frame * w * h, (s.frame + 1) * w * h);
        if (st.link && st.link.rightMM !== undefined) {
          const xr = Math.round(st.link.rightMM / p.spacing[0]);
          cross = [s.post ? w - 1 - xr : xr, Math.round(st.link.downMM / p.spacing[1])];
        }
      } else {
        const v = st.link && st.link.length === 3 ? voxel(p, st.link) : [p.width >> 1, p.height >> 1, p.depth >> 1];
        const g = plane(p, s.plane, v);
        s.geo = g; vals = g.out; w = g.w; h = g.h; aspect = g.aspect;
        const yk = g.up ? p.depth - 1 - v[2] : v[2];
        cross = s.plane === 'ax' ? [v[0], v[1]] : [v[0], yk];
        c.dataset.crossVoxel = JSON.stringify(v);
      }
      s.w = w; s.h = h;
      const img = new ImageData(w, h);
      paint(img, vals, w, h, 0, 0, L, low, high);
      const scale = Math.min((1200 / per) / w, 640 / (h * aspect));
      const ctx = show(c, img, scale, aspect);
      c._info = p; c._plane = s.type === 'slice' ? s.plane : null; c._post = s.type === 'frame' ? s.post : undefined;
      c.dataset.mmPerPx = String(p.spacing[0] * w / c.width);
      if (cross) {
        const sx = c.width / w, sy = c.height / h;
        ctx.strokeStyle = 'rgba(0,255,0,0.7)'; ctx.lineWidth = 1;
        ctx.beginPath(); ctx.moveTo((cross[0] + 0.5) * sx, 0); ctx.lineTo((cross[0] + 0.5) * sx, c.height);
        ctx.moveTo(0, (cross[1] + 0.5) * sy); ctx.lineTo(c.width, (cross[1] + 0.5) * sy); ctx.stroke();
        c.dataset.cross = JSON.stringify(cross);
      }
    }
    Workstation.decorate();
  }

  return { apply, close, draw, choose, get active() { return st.active; }, get name() { return st.name; }, state: st };
})();
