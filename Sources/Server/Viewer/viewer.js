// Scinti viewer: plain JS + canvas, no build step. Talks to the server's DICOMweb (QIDO for the study/series lists,
// thumbnails) and to /api/series/{uid}/info|data (Float32 values in the image's units) and /api/jobs.
'use strict';

const $ = (id) => document.getElementById(id);
const state = { studies: [], series: [], study: null, primary: null, overlay: null, cross: null, frame: 0, playing: null,
                mipTimer: null, mipCache: [], low: null, high: null, result: null, masks: null };
const params = new URLSearchParams(location.hash.slice(1));

// ---- DICOM JSON helpers
function val(obj, tag) {
  const e = obj && obj[tag];
  if (!e || !e.Value || e.Value.length === 0) return '';
  const v = e.Value[0];
  if (v && typeof v === 'object' && 'Alphabetic' in v) return v.Alphabetic;
  return e.Value.length > 1 ? e.Value.join('\\') : String(v);
}
const fmtDate = (d) => (d && d.length === 8) ? `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6)}` : d;

async function getJSON(url, opts) {
  const r = await fetch(url, Object.assign({ credentials: 'same-origin' }, opts || {}));
  if (r.status === 401) { location.replace('/login'); throw new Error('session ended: log in again'); }
  if (!r.ok) throw new Error(`${url}: ${r.status} ${(await r.text()).trim()}`);
  return r.json();
}
function status(s) { $('status').textContent = s; }
// UCUM annotations such as {counts} are shown without their braces.
const unitText = (u) => String(u || '').replace(/^\{(.*)\}$/, '$1');

// ---- colour maps (the same formulas as Rendering.ColorMap)
function lut(name) {
  const t = new Uint8Array(256 * 3);
  const b = (v) => Math.max(0, Math.min(255, Math.round(v * 255)));
  for (let i = 0; i < 256; i++) {
    const x = i / 255;
    let c;
    if (name === 'gray') c = [x, x, x];
    else if (name === 'inverseGray') c = [1 - x, 1 - x, 1 - x];
    else if (name === 'hot') c = [x * 3, x * 3 - 1, x * 3 - 2];
    else { const f = (k) => Math.max(0, Math.min(1, 1.5 - Math.abs(4 * x - k))); c = [f(3), f(2), f(1)]; }
    t[3 * i] = b(c[0]); t[3 * i + 1] = b(c[1]); t[3 * i + 2] = b(c[2]);
  }
  return t;
}

// ---- study browser
async function loadStudies() {
  if (!state.study) status('searching studies…');
  state.studies = await getJSON('/dicom-web/studies?includefield=StudyDescription');
  const tb = $('studies').querySelector('tbody');
  tb.innerHTML = '';
  for (const s of state.studies) {
    const tr = document.createElement('tr');
    tr.className = 'study';
    const uid = val(s, '0020000D');
    tr.dataset.uid = uid;
    tr.classList.toggle('sel', uid === state.study);
    for (const c of [val(s, '00100010') || '(no name)', val(s, '00100020'), fmtDate(val(s, '00080020')), val(s, '00081030'), val(s, '00080061'), val(s, '00201206')]) {
      const td = document.createElement('td'); td.textContent = c; tr.appendChild(td);
    }
    tr.onclick = async () => { await selectStudy(uid); if (!$('hang') || $('hang').checked) await Hanging.apply(); };
    tb.appendChild(tr);
  }
  // (A study opened from the URL meanwhile keeps its own status line.)
  if (!state.study) status(`${state.studies.length} stud${state.studies.length === 1 ? 'y' : 'ies'}`);
  else if (state.primary) Workstation.banner();   // the patient banner of a series drawn before the list came
}

// Thumbnails are rendered by the server: when a series is opened at once (`#series=`), they are asked for after its
// first image is on screen, so they do not compete with it for the server's cores.
async function selectStudy(uid, deferThumbnails) {
  state.study = uid;
  for (const tr of document.querySelectorAll('tr.study')) tr.classList.toggle('sel', tr.dataset.uid === uid);
  state.series = await getJSON(`/dicom-web/studies/${uid}/series?includefield=ImageType,FrameOfReferenceUID,NumberOfFrames`);
  const box = $('series');
  box.innerHTML = '';
  for (const s of state.series) {
    const se = val(s, '0020000E');
    const d = document.createElement('div');
    d.className = 'thumb'; d.dataset.uid = se;
    const img = document.createElement('img');
    img.dataset.src = `/dicom-web/studies/${uid}/series/${se}/thumbnail?colormap=${val(s, '00080060') === 'CT' ? 'gray' : 'inverseGray'}`;
    if (!deferThumbnails) img.src = img.dataset.src;
    img.alt = se;
    img.onerror = () => { img.replaceWith(Object.assign(document.createElement('div'), { className: 'nothumb', textContent: 'no preview' })); };
    const cap = document.createElement('div');
    cap.textContent = `${val(s, '00080060')} ${val(s, '0008103E') || ''} (${val(s, '00201209')})`;
    d.append(img, cap);
    d.onclick = () => openSeries(se);
    box.appendChild(d);
  }
  return state.series;
}
function loadThumbnails() { for (const img of document.querySelectorAll('.thumb img[data-src]')) if (!img.src) img.src = img.dataset.src; }

const modalityOf = (uid) => { const s = state.series.find((x) => val(x, '0020000E') === uid); return s ? val(s, '00080060') : ''; };
const imageTypeOf = (uid) => { const s = state.series.find((x) => val(x, '0020000E') === uid); return s && s['00080008'] && s['00080008'].Value ? s['00080008'].Value.join('\\') : ''; };

// ---- loading image data
async function loadSeries(uid, query) {
  const q = query ? `?${query}` : '';
  // Header and values asked for together (the server decodes the series once for both).
  const [info, r] = await Promise.all([getJSON(`/api/series/${uid}/info${q}`), fetch(`/api/series/${uid}/data${q}`, { credentials: 'same-origin' })]);
  if (!r.ok) throw new Error(`data of ${uid}: ${r.status} ${await r.text()}`);
  info.values = new Float32Array(await r.arrayBuffer());
  return info;
}

async function openSeries(uid, overlayUID, keepResult) {
  stopTimers();
  if (!keepResult) { state.result = null; state.resultJob = null; state.masks = null; $('results').innerHTML = ''; }
  RegionTools.reset(); VolumeTools.reset(); RegReview.close(); Hanging.close(); SliceTools.reset();
  for (const t of document.querySelectorAll('.thumb')) t.classList.toggle('sel', t.dataset.uid === uid);
  status('loading series…');
  try {
    state.primary = await loadSeries(uid, modalityOf(uid) === 'CT' ? 'max=256' : '');
  } catch (e) { status(String(e.message)); return; }
  state.overlay = null;
  const p = state.primary;
  state.low = p.modality === 'CT' ? -160 : Math.max(0, p.min);
  state.high = p.modality === 'CT' ? 240 : p.max;
  $('cmap').value = p.modality === 'CT' ? 'gray' : (p.kind === 'frames' ? 'inverseGray' : 'hot');
  state.cross = [p.width >> 1, p.height >> 1, p.depth >> 1];
  if (p.kind === 'volume' && p.modality !== 'CT') {
    // Crosshair through the hottest voxel.
    let m = 0;
    for (let n = 1; n < p.values.length; n++) if (p.values[n] > p.values[m]) m = n;
    state.cross = [m % p.width, Math.floor(m / p.width) % p.height, Math.floor(m / (p.width * p.height))];
  }
  state.frame = 0;
  let ctUID = null;
  if (p.kind === 'volume' && p.modality !== 'CT') {
    // The CT of the same frame of reference, else the study's first CT.
    const frameOf = (s) => val(s, '00200052');
    const me = state.series.find((s) => val(s, '0020000E') === uid);
    const cts = state.series.filter((s) => val(s, '00080060') === 'CT');
    const ct = (me && frameOf(me) && cts.find((s) => frameOf(s) === frameOf(me))) || cts[0];
    ctUID = overlayUID === '' ? null : (overlayUID || (ct ? val(ct, '0020000E') : null));
  }
  // The emission is drawn first; the CT, resampled by the server onto its grid (slow the first time for a large CT),
  // is fused when it arrives — unless another series was opened meanwhile.
  buildView();
  Workstation.presetMenu();
  // Time from navigation start to the first image on screen (scripts/bench-viewer.py).
  if (!document.body.dataset.firstImageMs) document.body.dataset.firstImageMs = String(performance.now());
  setTimeout(loadThumbnails, 0);
  const done = `${p.modality} ${p.description} — ${p.width}×${p.height}×${p.depth} ${p.kind}, values in ${unitText(p.units)}`;
  if (ctUID) {
    status(`${done} — fusing the CT…`);
    try {
      const o = await loadSeries(ctUID, `grid=${uid}`);
      if (state.primary !== p) return;
      stopTimers(); state.overlay = o; buildView(); Workstation.presetMenu();
      if (!document.body.dataset.fusedMs) document.body.dataset.fusedMs = String(performance.now());
    } catch (e) { if (state.primary === p) $('notes').textContent = `fusion: ${e.message}`; }
  }
  if (state.primary === p) status(done);
}

function stopTimers() {
  if (state.playing) { clearInterval(state.playing); state.playing = null; }
  if (state.mipTimer) { clearInterval(state.mipTimer); state.mipTimer = null; }
  state.mipCache = [];
}

// ---- view construction
function pane(label, id) {
  const d = document.createElement('div'); d.className = 'pane';
  const c = document.createElement('canvas'); c.id = id;
  const s = document.createElement('span'); s.textContent = label;
  d.append(c, s);
  $('canvases').appendChild(d);
  return c;
}

function buildView() {
  const p = state.primary;
  $('canvases').innerHTML = ''; $('toolbar').innerHTML = ''; $('readout').textContent = '';
  $('notes').textContent = (p.warnings || []).concat(state.overlay ? state.overlay.warnings || [] : []).join('; ');
  $('low').value = +state.low.toPrecision(5); $('high').value = +state.high.toPrecision(5);
  if (p.kind === 'frames') buildFrames(); else buildVolume();
}

function buildFrames() {
  const p = state.primary, tb = $('toolbar');
  const tile = p.depth > 1 && (p.depth <= 4 || p.imageType.some((t) => t.includes('WHOLE BODY')));
  tb.innerHTML = `<label><input type="checkbox" id="tile" ${tile ? 'checked' : ''}> side by side</label>
    <label>Frame <input type="range" id="frame" min="0" max="${p.depth - 1}" value="${state.frame}"> <span id="fn">1/${p.depth}</span></label>
    <button id="play">▶ cine</button> <label>fps <input id="fps" type="number" value="${p.frameDurationMs ? Math.min(30, Math.round(1000 / p.frameDurationMs)) : 8}" style="width:45px"></label>`;
  RegionTools.toolbar(tb);
  $('tile').onchange = drawFrames;
  $('frame').oninput = (e) => { state.frame = +e.target.value; drawFrames(); };
  // Cine speed: the fps box (keys [ and ]) applies at once, also while playing.
  $('fps').onchange = () => { if (state.playing) { $('play').click(); $('play').click(); } };
  $('play').onclick = () => {
    if (state.playing) { clearInterval(state.playing); state.playing = null; $('play').textContent = '▶ cine'; return; }
    $('tile').checked = false;
    state.playing = setInterval(() => { state.frame = (state.frame + 1) % p.depth; $('frame').value = state.frame; drawFrames(); },
      1000 / Math.max(1, +$('fps').value || 8));
    $('play').textContent = '⏸ stop';
  };
  pane('', 'c0');
  drawFrames();
}

function drawFrames() {
  const p = state.primary, c = $('c0');
  const tile = $('tile') && $('tile').checked;
  const frames = tile ? [...Array(p.depth).keys()] : [state.frame];
  const w = p.width, h = p.height, n = w * h;
  const img = new ImageData(w * frames.length + 4 * (frames.length - 1), h);
  const L = lut($('cmap').value);
  frames.forEach((f, k) => paint(img, p.values.subarray(f * n, (f + 1) * n), w, h, k * (w + 4), 0, L, state.low, state.high));
  const regions = regionsOn(p);
  // Mask regions: outline pixels in the region's colour.
  frames.forEach((f, k) => { for (const r of regions) if (r.shape === 'mask' && onFrame(r, f)) outline(img, r.mask, w, h, k * (w + 4), 0, r.rgb); });
  // With a result below the images, keep them small enough for its table and curves to stay in view.
  const scale = Math.max(1, Math.floor(Math.min(900 / img.width, (state.result ? 400 : 700) / h)));
  const aspect = p.spacing[1] / p.spacing[0];
  const ctx = show(c, img, scale, aspect);
  // Circles and squares, with their labels.
  ctx.lineWidth = 2; ctx.font = '12px system-ui, sans-serif';
  frames.forEach((f, k) => {
    for (const r of regions) {
      if (r.shape === 'mask' || !onFrame(r, f)) continue;
      const x = (k * (w + 4) + r.column + 0.5) * scale, y = (r.row + 0.5) * scale * aspect, rx = r.radius * scale, ry = r.radius * scale * aspect;
      ctx.strokeStyle = r.colour; ctx.fillStyle = r.colour;
      ctx.beginPath();
      if (r.shape === 'circle') ctx.ellipse(x, y, rx, ry, 0, 0, 2 * Math.PI); else ctx.rect(x - rx, y - ry, 2 * rx, 2 * ry);
      ctx.stroke();
      ctx.fillText(r.label, x + rx + 3, y - ry);
    }
  });
  if ($('fn')) $('fn').textContent = `${state.frame + 1}/${p.depth}`;
  c.onmousemove = (e) => {
    const r = c.getBoundingClientRect();
    const x = Math.floor((e.clientX - r.left) / r.width * img.width), y = Math.floor((e.clientY - r.top) / r.height * h);
    const k = Math.floor(x / (w + 4)), xi = x - k * (w + 4);
    if (k >= frames.length || xi >= w || y < 0 || y >= h) return;
    const v = p.values[frames[k] * n + y * w + xi];
    $('readout').textContent = `frame ${frames[k] + 1} (${xi}, ${y}): ${fmt(v)} ${unitText(p.units)}`;
  };
  // Drawn and edited regions with their statistics (regions.js).
  RegionTools.draw(ctx, { canvas: c, frames, w, h, scale, aspect });
  c.dataset.mmPerPx = p.spacing[0] / scale;
  Workstation.decorate();
}

const fmt = (v) => (Math.abs(v) >= 1000 || Math.abs(v) < 0.01) && v !== 0 ? v.toExponential(3) : v.toFixed(2);

// ---- result overlays (ResultDisplay: regions on a series' frames, masks on a volume's grid)
const hexRGB = (c) => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16));
function decodeRuns(runs, count) {
  const m = new Uint8Array(count);
  for (let k = 0; k + 1 < runs.length; k += 2) m.fill(1, Math.max(0, runs[k]), Math.min(count, runs[k] + runs[k + 1]));
  return m;
}
// The result's regions that belong to this series (decoded once).
function regionsOn(p) {
  const d = state.result;
  if (!d || d.series !== p.seriesUID || p.kind !== 'frames' || RegionTools.editing) return [];
  if (!d._regions) {
    d._regions = d.regions.map((r) => Object.assign({}, r, { rgb: hexRGB(r.colour), mask: r.runs ? decodeRuns(r.runs, p.width * p.height) : null }));
  }
  return d._regions;
}
const onFrame = (r, f) => !r.frames || r.frames.length === 0 || r.frames.includes(f);
// Colours the pixels of a mask that have a 4-neighbour outside it.
function outline(img, mask, w, h, ox, oy, rgb) {
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    if (!mask[y * w + x]) continue;
    if (x > 0 && x < w - 1 && y > 0 && y < h - 1 && mask[y * w + x - 1] && mask[y * w + x + 1] && mask[(y - 1) * w + x] && mask[(y + 1) * w + x]) continue;
    const o = 4 * ((oy + y) * img.width + ox + x);
    img.data[o] = rgb[0]; img.data[o + 1] = rgb[1]; img.data[o + 2] = rgb[2];
  }
}

// Paints values into an ImageData at (ox, oy) through a window and LUT; optional overlay blended with alpha.
function paint(img, vals, w, h, ox, oy, L, low, high, ov) {
  const span = high > low ? 255 / (high - low) : 0;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const v = vals[y * w + x];
    let t = Math.max(0, Math.min(255, Math.floor((v - low) * span)));
    if (!Number.isFinite(v)) t = 0;
    const o = 4 * ((oy + y) * img.width + ox + x);
    let r = L[3 * t], g = L[3 * t + 1], b = L[3 * t + 2];
    if (ov) {
      // ov: anatomical background values + window; the emission is blended over it where above ov.thr of its window.
      const a = ov.values[y * w + x];
      const s = Math.max(0, Math.min(255, Math.floor((a - ov.low) * 255 / (ov.high - ov.low))));
      if ((v - low) / (high - low) > ov.thr) { const al = ov.alpha; r = s * (1 - al) + r * al; g = s * (1 - al) + g * al; b = s * (1 - al) + b * al; }
      else { r = g = b = s; }
    }
    img.data[o] = r; img.data[o + 1] = g; img.data[o + 2] = b; img.data[o + 3] = 255;
  }
}

// Draws an ImageData onto a display canvas, scaled, with pixel aspect (height/width of a pixel).
function show(c, img, scale, aspect) {
  const off = document.createElement('canvas'); off.width = img.width; off.height = img.height;
  off.getContext('2d').putImageData(img, 0, 0);
  c.width = Math.round(img.width * scale); c.height = Math.round(img.height * scale * (aspect || 1));
  const ctx = c.getContext('2d'); ctx.imageSmoothingEnabled = Workstation.smooth; ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(off, 0, 0, c.width, c.height);
  return ctx;
}

// ---- volumes: tri-planar + fusion + rotating MIP
function buildVolume() {
  const p = state.primary, tb = $('toolbar');
  tb.innerHTML = (state.overlay ? `<label>CT opacity / emission α <input type="range" id="alpha" min="0" max="1" step="0.05" value="0.6"></label>
    <label>CT window <input id="ctc" type="number" value="40" style="width:55px"> / <input id="ctw" type="number" value="400" style="width:55px"></label>
    <label>emission threshold <input id="thr" type="number" min="0" max="100" value="${params.get('thr') || 5}" style="width:45px"> %</label>` : '')
    + ' <label><input type="checkbox" id="mip" checked> rotating MIP</label>';
  VolumeTools.toolbar(tb);
  SliceTools.toolbar(tb);
  for (const id of ['alpha', 'ctc', 'ctw', 'thr']) if ($(id)) $(id).oninput = drawVolume;
  $('mip').onchange = () => { stopTimers(); if ($('mip').checked) startMIP(); else { const c = $('cmip'); c.getContext('2d').clearRect(0, 0, c.width, c.height); } };
  for (const [label, id] of [['axial', 'ax'], ['coronal', 'co'], ['sagittal', 'sa']]) {
    const c = pane(label + (state.overlay ? ' — fused' : ''), id);
    c.onclick = (e) => pick(e, id, true);
    c.onmousemove = (e) => pick(e, id, false);
  }
  pane('MIP', 'cmip');
  SliceTools.attach($('ax'));
  drawVolume();
  if ($('mip').checked) startMIP();
}

// Slice geometry: (values, w, h, pixel aspect, map from (x, y) to voxel (i, j, k)).
function plane(v, which, cross) {
  const nx = v.width, ny = v.height, nz = v.depth, sp = v.spacing;
  const up = v.sliceDirection[2] > 0;  // k increases towards the head: show it at the top
  const kOf = (y) => up ? nz - 1 - y : y;
  let w, h, at, aspect;
  if (which === 'ax') { w = nx; h = ny; aspect = sp[1] / sp[0]; at = (x, y) => [x, y, cross[2]]; }
  else if (which === 'co') { w = nx; h = nz; aspect = sp[2] / sp[0]; at = (x, y) => [x, cross[1], kOf(y)]; }
  else { w = ny; h = nz; aspect = sp[2] / sp[1]; at = (x, y) => [cross[0], x, kOf(y)]; }
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) { const [i, j, k] = at(x, y); out[y * w + x] = v.values[i + nx * (j + ny * k)]; }
  return { out, w, h, aspect, at, up };
}

function drawVolume() {
  const p = state.primary, L = lut($('cmap').value);
  const scale = Math.max(1, Math.floor(300 / Math.max(p.width, p.height, p.depth)));
  for (const id of ['ax', 'co', 'sa']) {
    const pl = plane(p, id, state.cross);
    const img = new ImageData(pl.w, pl.h);
    let ov = null;
    if (state.overlay) {
      const o = plane(state.overlay, id, state.cross);
      const c = +($('ctc') ? $('ctc').value : 40), w = +($('ctw') ? $('ctw').value : 400);
      ov = { values: o.out, low: c - w / 2, high: c + w / 2, alpha: +($('alpha') ? $('alpha').value : 0.6), thr: +($('thr') ? $('thr').value : 5) / 100 };
    }
    paint(img, pl.out, pl.w, pl.h, 0, 0, L, state.low, state.high, ov);
    for (const m of state.masks || []) {
      const cut = new Uint8Array(pl.w * pl.h);
      for (let y = 0; y < pl.h; y++) for (let x = 0; x < pl.w; x++) { const [i, j, k] = pl.at(x, y); cut[y * pl.w + x] = m.mask[i + p.width * (j + p.height * k)]; }
      outline(img, cut, pl.w, pl.h, 0, 0, m.rgb);
    }
    const ctx = show($(id), img, scale, pl.aspect);
    $(id).dataset.mmPerPx = (id === 'sa' ? p.spacing[1] : p.spacing[0]) * pl.w / $(id).width;
    // Crosshair.
    const c = $(id), sx = c.width / pl.w, sy = c.height / pl.h;
    const [ci, cj, ck] = state.cross;
    const yk = pl.up ? p.depth - 1 - ck : ck;
    const [cx, cy] = id === 'ax' ? [ci, cj] : id === 'co' ? [ci, yk] : [cj, yk];
    ctx.strokeStyle = 'rgba(0,255,0,0.7)'; ctx.lineWidth = 1;
    ctx.beginPath(); ctx.moveTo((cx + 0.5) * sx, 0); ctx.lineTo((cx + 0.5) * sx, c.height);
    ctx.moveTo(0, (cy + 0.5) * sy); ctx.lineTo(c.width, (cy + 0.5) * sy); ctx.stroke();
  }
  Workstation.decorate();
}

function pick(e, id, set) {
  const p = state.primary, c = $(id), r = c.getBoundingClientRect();
  const pl = plane(p, id, state.cross);
  const x = Math.floor((e.clientX - r.left) / r.width * pl.w), y = Math.floor((e.clientY - r.top) / r.height * pl.h);
  if (x < 0 || y < 0 || x >= pl.w || y >= pl.h) return;
  const [i, j, k] = pl.at(x, y);
  const idx = i + p.width * (j + p.height * k);
  const pos = [0, 1, 2].map((a) => p.origin[a] + i * p.spacing[0] * p.rowDirection[a] + j * p.spacing[1] * p.columnDirection[a] + k * p.spacing[2] * p.sliceDirection[a]);
  let s = `voxel (${i}, ${j}, ${k})  LPS (${pos.map((q) => q.toFixed(1)).join(', ')}) mm:  ${p.modality} ${fmt(p.values[idx])} ${unitText(p.units)}`;
  if (state.overlay) s += `   CT ${fmt(state.overlay.values[idx])} ${unitText(state.overlay.units)}`;
  // PET: SUV under the cursor by the server's SUV factors (Analysis.SUVCalculator; SUV = value × factor).
  const f = p.suv && p.suv.factors;
  if (f) {
    const v = p.values[idx];
    s += `   SUVbw ${(v * f.suvbwFactor).toFixed(2)} g/mL`;
    if (f.suvlbmFactor) s += `, SUL ${(v * f.suvlbmFactor).toFixed(2)} g/mL`;
    if (f.suvbsaFactor) s += `, SUVbsa ${(v * f.suvbsaFactor).toFixed(1)} cm²/mL`;
    $('readout').dataset.suvbw = v * f.suvbwFactor;
  } else if (p.suv && p.suv.error) s += `   (no SUV: ${p.suv.error})`;
  $('readout').textContent = s;
  if (set && id === 'ax' && SliceTools.active) return;  // contour/brush strokes (contours.js)
  if (set && VolumeTools.place([i, j, k])) return;
  if (set) { state.cross = [i, j, k]; drawVolume(); }
}

// Maximum-intensity projection around the patient's long axis, 36 angles, computed once per series.
function mipFrame(a) {
  const p = state.primary, nx = p.width, ny = p.height, nz = p.depth;
  const n = Math.max(nx, ny), cx = (nx - 1) / 2, cy = (ny - 1) / 2, c = Math.cos(a), s = Math.sin(a);
  const out = new Float32Array(n * nz);
  const up = p.sliceDirection[2] > 0;
  for (let k = 0; k < nz; k++) {
    const row = (up ? nz - 1 - k : k) * n, base = nx * ny * k;
    for (let u = 0; u < n; u++) {
      let m = -Infinity;
      const du = u - (n - 1) / 2;
      for (let t = 0; t < n; t++) {
        const dt = t - (n - 1) / 2;
        const i = Math.round(cx + du * c - dt * s), j = Math.round(cy + du * s + dt * c);
        if (i < 0 || j < 0 || i >= nx || j >= ny) continue;
        const v = p.values[base + j * nx + i];
        if (v > m) m = v;
      }
      out[row + u] = m === -Infinity ? 0 : m;
    }
  }
  return { out, w: n, h: nz };
}

function startMIP() {
  let step = 0;
  const p = state.primary;
  const scale = Math.max(1, Math.floor(300 / Math.max(p.width, p.height, p.depth)));
  const draw = () => {
    const a = (step % 36) * Math.PI / 18;
    if (!state.mipCache[step % 36]) state.mipCache[step % 36] = mipFrame(a);
    const f = state.mipCache[step % 36];
    const img = new ImageData(f.w, f.h);
    paint(img, f.out, f.w, f.h, 0, 0, lut($('cmap').value), state.low, state.high);
    show($('cmip'), img, scale, p.spacing[2] / p.spacing[0]);
    step++;
  };
  // The first MIP (2 M samples for a 128³ volume) is computed after the slices are on screen, not before.
  state.mipTimer = setTimeout(() => {
    draw();
    if (!params.has('still') && state.primary === p) state.mipTimer = setInterval(draw, 120);
  }, 0);
}

// ---- jobs: start recon / analysis / dose jobs on the open study, follow them, show their results
const seriesUID = (s) => val(s, '0020000E');
const typeOf = (s) => imageTypeOf(seriesUID(s));

async function refreshJobs() {
  const box = $('jobs');
  try {
    const jobs = await getJSON('/api/jobs');
    box.innerHTML = '';
    for (const j of jobs.slice(0, 10)) {
      const d = document.createElement('div'); d.className = 'job';
      let what = j.type;
      try { const r = JSON.parse(j.request); if (r.analysis) what += ' ' + r.analysis; } catch (e) { /* shown as is */ }
      d.textContent = `${what} ${j.state} ${Math.round(j.progress * 100)} % — ${j.message} `;
      if (j.state === 'done' && (j.type === 'analysis' || j.type === 'dose')) {
        const b = document.createElement('button'); b.textContent = 'show'; b.dataset.job = j.id;
        b.onclick = () => showResult(j);
        d.appendChild(b);
      }
      box.appendChild(d);
    }
  } catch (e) { box.textContent = String(e.message); }
  if (!state.study) return;
  const nm = state.series.filter((s) => val(s, '00080060') === 'NM');
  const form = document.createElement('div'); form.className = 'jobform';
  // Reconstruction of the projections.
  if (nm.some((s) => /TOMO/.test(typeOf(s)) && !/RECON/.test(typeOf(s)))) {
    const b = document.createElement('button'); b.textContent = 'Reconstruct SPECT projections'; b.onclick = startRecon;
    form.append(b, ' ');
  }
  const nuc = document.createElement('input');
  nuc.id = 'nuclide'; nuc.placeholder = 'radionuclide if not recorded, e.g. Lu-177'; nuc.style.width = '230px';
  form.append(nuc, document.createElement('br'));
  // Analyses on planar NM series.
  const planar = nm.filter((s) => !/TOMO|RECON/.test(typeOf(s)));
  if (planar.length) {
    const sel = document.createElement('select'); sel.id = 'anaSeries';
    for (const s of planar) sel.add(new Option(`${val(s, '0008103E') || seriesUID(s)} (${typeOf(s).split('\\')[2] || ''})`, seriesUID(s)));
    const ana = document.createElement('select'); ana.id = 'analysis';
    for (const a of ['lvef', 'sentinel', 'bone-scan', 'mibg-hm', 'thyroid-uptake', 'parathyroid', 'krenning']) ana.add(new Option(a, a));
    // Thyroid uptake also needs the standard (and optionally thigh and room) images: one selector per role, guessed
    // from the series descriptions.
    const roles = document.createElement('span');
    const roleSelect = (role, optional) => {
      const r = document.createElement('select'); r.dataset.role = role;
      if (optional) r.add(new Option('(none)', ''));
      for (const s of planar) r.add(new Option(val(s, '0008103E') || seriesUID(s), seriesUID(s)));
      const hit = planar.find((s) => seriesUID(s) !== sel.value && new RegExp(role === 'standard' ? 'standard|capsule' : role, 'i').test(val(s, '0008103E')));
      r.value = hit ? seriesUID(hit) : (optional ? '' : r.value);
      return r;
    };
    const showRoles = () => {
      roles.innerHTML = '';
      if (ana.value === 'thyroid-uptake') roles.append(' standard ', roleSelect('standard', false), ' thigh ', roleSelect('thigh', true), ' room ', roleSelect('room', true));
      if (ana.value === 'parathyroid') roles.append(' delayed ', roleSelect('delayed', false), ' thyroid ', roleSelect('thyroid', true));
      if (ana.value === 'krenning') roles.append(' (circles drawn on this series, labelled liver, spleen, lesion 1 …)');
    };
    const guess = () => {
      const t = imageTypeOf(sel.value), d = (planar.find((s) => seriesUID(s) === sel.value) || {});
      ana.value = /GATED/.test(t) ? 'lvef' : /WHOLE BODY/.test(t) ? 'bone-scan' : /early|sestamibi|MIBI/i.test(val(d, '0008103E')) ? 'parathyroid'
        : /neck|thyroid/i.test(val(d, '0008103E')) ? 'thyroid-uptake' : /octreo|In-?111/i.test(val(d, '0008103E')) ? 'krenning' : 'sentinel';
      showRoles();
    };
    sel.onchange = guess; ana.onchange = showRoles; guess();
    const b = document.createElement('button'); b.id = 'runAnalysis'; b.textContent = 'Run analysis';
    b.onclick = () => {
      const body = { type: 'analysis', analysis: ana.value, series: sel.value };
      const inputs = {};
      for (const r of roles.querySelectorAll('select')) if (r.value) inputs[r.dataset.role] = r.value;
      if (Object.keys(inputs).length) body.inputs = inputs;
      if (ana.value === 'krenning') body.regions = state.primary && state.primary.seriesUID === sel.value ? RegionTools.drawn() : [];
      startJob(body);
    };
    form.append('Analysis ', ana, ' on ', sel, roles, ' ', b, document.createElement('br'));
  }
  // Dosimetry over the study's quantitative SPECT/CT visits.
  const recons = nm.filter((s) => /RECON/.test(typeOf(s)));
  if (recons.length) {
    const b = document.createElement('button'); b.id = 'runDose';
    b.textContent = `Dosimetry over ${recons.length} SPECT/CT visit${recons.length > 1 ? 's' : ''}`;
    b.onclick = () => {
      const cts = state.series.filter((s) => val(s, '00080060') === 'CT');
      const visits = recons.map((s) => {
        const ct = cts.find((c) => val(c, '00200052') && val(c, '00200052') === val(s, '00200052'));
        return ct ? { spect: seriesUID(s), ct: seriesUID(ct) } : { spect: seriesUID(s) };
      });
      const body = { type: 'dose', visits };
      const seg = state.series.find((s) => val(s, '00080060') === 'SEG');
      if (seg) body.masks = seriesUID(seg);
      startJob(body);
    };
    form.append(b);
    // Registration review of the follow-up visits (registration.js), when every visit has its CT.
    if (recons.length > 1) {
      const r = document.createElement('button'); r.id = 'regReview'; r.textContent = 'Review registration';
      r.onclick = () => {
        const cts = state.series.filter((s) => val(s, '00080060') === 'CT');
        const visits = recons.map((s) => {
          const ct = cts.find((c) => val(c, '00200052') && val(c, '00200052') === val(s, '00200052'));
          return ct ? { spect: seriesUID(s), ct: seriesUID(ct) } : null;
        });
        if (visits.some((v) => !v)) { status('registration review: every visit needs its CT (same frame of reference)'); return; }
        RegReview.open(visits);
      };
      form.append(' ', r);
    }
  }
  box.appendChild(form);
}

function startRecon() {
  const proj = state.series.find((s) => val(s, '00080060') === 'NM' && /TOMO/.test(typeOf(s)) && !/RECON/.test(typeOf(s)));
  if (!proj) { status('no NM TOMO projection series in this study'); return; }
  const ct = state.series.find((s) => val(s, '00080060') === 'CT');
  const body = { type: 'recon', series: seriesUID(proj) };
  if (ct) body.ct = seriesUID(ct);
  startJob(body);
}

async function startJob(body) {
  if ($('nuclide') && $('nuclide').value.trim()) body.radionuclide = $('nuclide').value.trim();
  try {
    const job = await getJSON('/api/jobs', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const es = new EventSource(`/api/jobs/${job.id}/events`);
    const on = async (ev) => {
      const j = JSON.parse(ev.data);
      status(`${j.type} job ${j.state}: ${Math.round(j.progress * 100)} % ${j.message}`);
      if (j.state === 'done' || j.state === 'failed') {
        es.close();
        if (j.state === 'done') await selectStudy(state.study);
        await refreshJobs();
        if (j.state === 'done' && j.type !== 'recon') await showResult(j);
      }
    };
    for (const t of ['queued', 'running', 'done', 'failed']) es.addEventListener(t, on);
  } catch (e) { status(String(e.message)); }
}

// Opens the images a result belongs to, draws its regions or VOIs over them, and lists its numbers and curves.
async function showResult(j) {
  let res;
  try { res = JSON.parse(j.result); } catch (e) { status(`job ${j.id}: no result`); return; }
  const d = res.display;
  if (!d) { status(`job ${j.id}: nothing to show`); return; }
  const target = d.series || d.volumeSeries;
  if (target && !state.series.some((s) => seriesUID(s) === target)) {
    // Open the study the result belongs to.
    const found = await getJSON(`/dicom-web/series?SeriesInstanceUID=${target}`);
    if (found.length) await selectStudy(val(found[0], '0020000D'));
  }
  if (d.series) await openSeries(d.series, undefined, true);
  else if (d.volumeSeries) await openSeries(d.volumeSeries, d.anatomySeries || '', true);
  state.result = d;
  state.resultJob = j;
  const p = state.primary;
  const notes = [];
  if (p && d.volumeSeries && p.seriesUID === d.volumeSeries) {
    const n = p.width * p.height * p.depth;
    state.masks = [];
    for (const m of d.volumeMasks) {
      const last = m.runs.length ? m.runs[m.runs.length - 2] + m.runs[m.runs.length - 1] : 0;
      if (last > n) { notes.push(`VOI ${m.label} is not on this grid: not drawn`); continue; }
      state.masks.push({ label: m.label, rgb: hexRGB(m.colour), mask: decodeRuns(m.runs, n) });
    }
  }
  if (p && p.kind === 'frames') {
    const r = d.regions.find((x) => x.frames && x.frames.length === 1);
    if (r) state.frame = r.frames[0];
  }
  if (p) buildView();
  renderResults(d, notes);
  status(`${d.title} — ${d.summary.length ? d.summary[0].join(' ') : ''}`);
}

function renderResults(d, notes) {
  const box = $('results');
  box.innerHTML = '';
  const h = document.createElement('h3'); h.textContent = d.title; box.appendChild(h);
  const t = document.createElement('table'); t.className = 'summary';
  for (const [k, v] of d.summary) { const tr = t.insertRow(); tr.insertCell().textContent = k; tr.insertCell().textContent = v; }
  box.appendChild(t);
  const legend = document.createElement('div'); legend.className = 'legend';
  const seen = new Set();
  for (const r of (d.regions || []).concat(d.volumeMasks || [])) {
    const key = r.label.replace(/ slot \d+.*$/, '') + r.colour;
    if (seen.has(key)) continue; seen.add(key);
    const s = document.createElement('span'); s.style.color = r.colour; s.textContent = `■ ${r.label.replace(/ slot \d+.*$/, '')}  `;
    legend.appendChild(s);
  }
  box.appendChild(legend);
  if (d.regions && d.regions.length && d.series) {
    // Region editing (regions.js): take the result's regions over, change them, re-run the job with them.
    const b = document.createElement('button'); b.id = 'editRegions'; b.textContent = 'Edit regions';
    b.onclick = () => RegionTools.editResult();
    box.appendChild(b);
  }
  if (d.volumeMasks && d.volumeMasks.length && state.resultJob && state.resultJob.type === 'dose' && state.masks && state.masks.length) {
    // VOI editing (contours.js): the dose VOIs become editable with the brush/eraser and contours, then re-run.
    const b = document.createElement('button'); b.id = 'editVOIs'; b.textContent = 'Edit VOIs';
    b.onclick = () => SliceTools.editDose();
    box.appendChild(b);
  }
  const charts = document.createElement('div'); charts.className = 'charts';
  for (const c of d.charts || []) charts.appendChild(plotChart(c));
  box.appendChild(charts);
  const det = document.createElement('details');
  det.innerHTML = '<summary>Conventions and warnings</summary>';
  const ul = document.createElement('ul');
  for (const [k, v] of Object.entries(d.conventions || {})) { const li = document.createElement('li'); li.textContent = `${k}: ${v}`; ul.appendChild(li); }
  for (const w of (d.warnings || []).concat(notes || [])) { const li = document.createElement('li'); li.className = 'warn'; li.textContent = w; ul.appendChild(li); }
  det.appendChild(ul);
  box.appendChild(det);
}

// Axis ticks at 1, 2 or 5 × 10^n.
function ticks(lo, hi, n) {
  const span = hi - lo || 1, raw = span / n, mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => span / s <= n) || 10 * mag;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(+v.toPrecision(12));
  return out;
}

// A chart on a canvas: axes with ticks and titles (with units), measured points, fitted lines, legend.
function plotChart(ch) {
  const W = 500, H = 300, m = { l: 64, r: 14, t: 26, b: 46 };
  const c = document.createElement('canvas'); c.width = W; c.height = H; c.className = 'chart';
  const ctx = c.getContext('2d');
  ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, W, H);
  let x0 = 0, x1 = -Infinity, y0 = 0, y1 = -Infinity;
  for (const k of ch.curves) for (let i = 0; i < k.x.length; i++) {
    if (Number.isFinite(k.x[i])) { x0 = Math.min(x0, k.x[i]); x1 = Math.max(x1, k.x[i]); }
    if (Number.isFinite(k.y[i])) { y0 = Math.min(y0, k.y[i]); y1 = Math.max(y1, k.y[i]); }
  }
  if (!(x1 > x0)) x1 = x0 + 1;
  if (!(y1 > y0)) y1 = y0 + 1;
  y1 *= 1.05;
  const X = (v) => m.l + (v - x0) / (x1 - x0) * (W - m.l - m.r), Y = (v) => H - m.b - (v - y0) / (y1 - y0) * (H - m.t - m.b);
  ctx.strokeStyle = '#000'; ctx.fillStyle = '#000'; ctx.lineWidth = 1; ctx.font = '11px system-ui, sans-serif';
  ctx.beginPath(); ctx.moveTo(m.l, m.t); ctx.lineTo(m.l, H - m.b); ctx.lineTo(W - m.r, H - m.b); ctx.stroke();
  ctx.textAlign = 'center';
  for (const v of ticks(x0, x1, 6)) { ctx.beginPath(); ctx.moveTo(X(v), H - m.b); ctx.lineTo(X(v), H - m.b + 4); ctx.stroke(); ctx.fillText(String(+v.toPrecision(4)), X(v), H - m.b + 15); }
  ctx.textAlign = 'right';
  for (const v of ticks(y0, y1, 5)) { ctx.beginPath(); ctx.moveTo(m.l - 4, Y(v)); ctx.lineTo(m.l, Y(v)); ctx.stroke(); ctx.fillText(String(+v.toPrecision(4)), m.l - 6, Y(v) + 4); }
  ctx.textAlign = 'center';
  ctx.fillText(ch.xLabel, (m.l + W - m.r) / 2, H - 8);
  ctx.font = 'bold 12px system-ui, sans-serif'; ctx.fillText(ch.title, W / 2, 15);
  ctx.save(); ctx.translate(13, (m.t + H - m.b) / 2); ctx.rotate(-Math.PI / 2); ctx.font = '11px system-ui, sans-serif'; ctx.fillText(ch.yLabel, 0, 0); ctx.restore();
  ctx.textAlign = 'left';
  ch.curves.forEach((k, n) => {
    ctx.strokeStyle = k.colour; ctx.fillStyle = k.colour;
    ctx.lineWidth = k.style === 'line' ? 2 : 1;
    ctx.beginPath();
    let started = false;
    for (let i = 0; i < k.x.length; i++) {
      if (!Number.isFinite(k.y[i])) continue;
      if (!started) { ctx.moveTo(X(k.x[i]), Y(k.y[i])); started = true; } else ctx.lineTo(X(k.x[i]), Y(k.y[i]));
    }
    if (k.style === 'line' || k.x.length > 1) ctx.stroke();
    if (k.style === 'points') for (let i = 0; i < k.x.length; i++) if (Number.isFinite(k.y[i])) ctx.fillRect(X(k.x[i]) - 3, Y(k.y[i]) - 3, 6, 6);
    ctx.fillText(k.label, W - m.r - 190, m.t + 12 + 13 * n);
  });
  return c;
}

// ---- controls
$('cmap').onchange = redraw;
$('low').onchange = () => { state.low = +$('low').value; redraw(); };
$('high').onchange = () => { state.high = +$('high').value; redraw(); };
$('auto').onclick = () => { const p = state.primary; if (!p) return; if (Hanging.active) { state.low = Math.max(0, p.min); state.high = p.max; $('low').value = +state.low.toPrecision(5); $('high').value = +state.high.toPrecision(5); Hanging.draw(); return; } state.low = p.modality === 'CT' ? p.min : Math.max(0, p.min); state.high = p.max; buildView(); };
function redraw() {
  if (Hanging.active) { Hanging.draw(); return; }
  if (!state.primary) return;
  state.mipCache = [];
  if (state.primary.kind === 'frames') drawFrames(); else drawVolume();
}

// ---- start: `#study=UID&series=UID` opens a series; `#auto=fusion` opens the first study's emission volume
// fused with its CT; `shot` hides the controls (for screenshots); `still` stops the MIP rotation.
(async () => {
  try {
    Workstation.init();
    if (params.has('shot')) document.body.classList.add('shot');
    let st = params.get('study');
    // With a study named in the URL its series are opened while the study list loads.
    const studies = loadStudies();
    if (!st || params.get('auto') === 'fusion' || params.has('hang')) await studies;
    if (params.get('auto') === 'fusion') {
      for (const s of state.studies) {
        const series = await selectStudy(val(s, '0020000D'));
        const rec = series.find((x) => val(x, '00080060') !== 'CT' && /RECON|SLICE/.test((x['00080008'] && x['00080008'].Value || []).join('\\')));
        if (rec && series.some((x) => val(x, '00080060') === 'CT')) { await openSeries(val(rec, '0020000E')); st = null; break; }
      }
    } else if (st) {
      const opens = !params.has('hang') && params.get('series');
      await selectStudy(st, !!opens);
      if (params.has('hang')) await Hanging.apply();
      else if (opens) await openSeries(params.get('series'), params.get('overlay') || undefined);
      loadThumbnails();
      await studies;
    } else if (state.studies.length) {
      await selectStudy(val(state.studies[0], '0020000D'));
    }
    await refreshJobs();
    if (params.get('job')) {
      const j = await getJSON(`/api/jobs/${params.get('job')}`);
      await showResult(j);
    }
    document.body.dataset.ready = '1';
  } catch (e) { status(String(e.message)); document.body.dataset.ready = 'error'; }
})();

// ---- who is logged in (GET /api/me), log out (POST /api/logout)
(async () => {
  try {
    const me = await getJSON('/api/me');
    $('who').textContent = me.kind === 'user' ? `${me.user} (${me.role})` : 'service token';
    $('who').title = `rights: ${me.rights.join(', ')}`;
    document.body.dataset.rights = me.rights.join(' ');
    if (me.kind === 'user') $('logout').hidden = false;
  } catch (e) { /* the study list reports errors */ }
  $('logout').addEventListener('click', async () => {
    await fetch('/api/logout', { method: 'POST', credentials: 'same-origin' });
    location.replace('/login');
  });
})();
