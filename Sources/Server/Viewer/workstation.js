// Scinti viewer: reading-workstation furniture (docs/review.md). A patient/study banner; orientation labels
// (R/L/A/P/H/F, from the image's direction cosines), a scale bar and a colour bar with the units on every pane;
// window presets per modality (CT HU windows, SUV 0–5 / 0–10 for images in SUV, % of maximum for NM); interpolated
// drawing with nearest neighbour as a choice (for counting); keyboard shortcuts; zoom with scroll-bar panning.
'use strict';

const Workstation = (() => {
  const st = { smooth: true, zoom: 1 };
  // LPS letter of a direction: the largest component, signed.
  function letter(d) {
    const a = d.map(Math.abs), k = a.indexOf(Math.max(...a));
    return [['R', 'L'], ['A', 'P'], ['F', 'H']][k][d[k] > 0 ? 1 : 0];
  }
  const neg = (d) => d.map((x) => -x);
  // Screen right and screen down directions (LPS) of a pane.
  function axes(p, id) {
    if (p.kind === 'frames') return null;
    const up = p.sliceDirection[2] > 0, s = up ? neg(p.sliceDirection) : p.sliceDirection;
    if (id === 'ax') return [p.rowDirection, p.columnDirection];
    if (id === 'co') return [p.rowDirection, s];
    if (id === 'sa') return [p.columnDirection, s];
    return null;
  }

  function banner() {
    let b = $('banner');
    if (!b) { b = document.createElement('div'); b.id = 'banner'; $('view').insertBefore(b, $('view').firstChild); }
    const s = state.studies.find((x) => val(x, '0020000D') === state.study) || {}, p = state.primary;
    const sex = val(s, '00100040'), dob = fmtDate(val(s, '00100030'));
    b.innerHTML = '';
    const add = (cls, text) => { const e = document.createElement('span'); e.className = cls; e.textContent = text; b.appendChild(e); };
    add('patient', `${val(s, '00100010') || '(no name)'}  ID ${val(s, '00100020') || '—'}${dob ? '  born ' + dob : ''}${sex ? '  ' + sex : ''}`);
    add('study', `${fmtDate(val(s, '00080020'))}  ${val(s, '00081030') || ''}`);
    if (p) add('series', `${p.modality} ${p.description}  ${p.width}×${p.height}×${p.depth}  ${p.spacing.slice(0, 2).map((x) => x.toFixed(2)).join('×')} mm  ${unitText(p.units)}`);
  }

  // Orientation labels, scale bar and colour bar on each pane of the current view.
  function decorate() {
    const p0 = state.primary;
    if (!p0) return;
    banner();
    for (const c of document.querySelectorAll('#canvases .pane canvas')) {
      const pane = c.parentElement;
      // Panes of a hanging protocol's comparison (hanging.js) carry their own series, plane and view.
      const p = c._info || p0, plane = c._info ? c._plane : c.id;
      for (const e of pane.querySelectorAll('.orient, .scalebar, .colourbar')) e.remove();
      if (c.id === 'cmip' || !c.width) continue;
      // Orientation letters at the four edges.
      const ax = axes(p, plane);
      let labels = null;
      if (ax) labels = { left: letter(neg(ax[0])), right: letter(ax[0]), top: letter(neg(ax[1])), bottom: letter(ax[1]) };
      else if (p.kind === 'frames') {
        // Planar NM: anterior views are seen from the front (patient's right on the image left), posterior from the back.
        const post = c._post !== undefined ? c._post : /POST/i.test(p.description) || (p.imageType || []).some((t) => /POST/.test(t));
        labels = { left: post ? 'L' : 'R', right: post ? 'R' : 'L', top: 'H', bottom: 'F' };
      }
      if (labels) for (const [where, t] of Object.entries(labels)) {
        const e = document.createElement('span'); e.className = `orient ${where}`; e.textContent = t; pane.appendChild(e);
      }
      // Scale bar: 10, 20, 50, 100 or 200 mm, at least an eighth of the pane.
      const mmPerPx = +c.dataset.mmPerPx;
      if (!(mmPerPx > 0)) continue;
      const len = [10, 20, 50, 100, 200].find((L) => L / mmPerPx >= c.width / 8) || 200;
      const bar = document.createElement('div'); bar.className = 'scalebar';
      bar.style.width = `${Math.round(len / mmPerPx * c.clientWidth / c.width)}px`;
      bar.textContent = `${len} mm`; bar.dataset.mm = len;
      pane.appendChild(bar);
    }
    colourbar();
  }

  function colourbar() {
    let cb = $('colourbar');
    if (!cb) { cb = document.createElement('div'); cb.id = 'colourbar'; $('stage').insertBefore(cb, $('results')); }
    const p = state.primary, L = lut($('cmap').value), c = document.createElement('canvas');
    c.width = 16; c.height = 200;
    const g = c.getContext('2d'), img = g.createImageData(16, 200);
    for (let y = 0; y < 200; y++) {
      const t = Math.round((199 - y) * 255 / 199);
      for (let x = 0; x < 16; x++) { const o = 4 * (y * 16 + x); img.data[o] = L[3 * t]; img.data[o + 1] = L[3 * t + 1]; img.data[o + 2] = L[3 * t + 2]; img.data[o + 3] = 255; }
    }
    g.putImageData(img, 0, 0);
    cb.innerHTML = '';
    const hi = document.createElement('div'), lo = document.createElement('div'), u = document.createElement('div');
    hi.textContent = fmt(state.high); lo.textContent = fmt(state.low); u.textContent = unitText(p.units); u.className = 'units';
    const f = p.suv && p.suv.factors && p.suv.factors.suvbwFactor;
    if (f > 0) { hi.textContent += ` (SUVbw ${(state.high * f).toFixed(1)})`; lo.textContent += ` (SUVbw ${(state.low * f).toFixed(1)})`; }
    cb.append(u, hi, c, lo);
  }

  // Window presets: [label, low, high] per modality/units; % of maximum for NM.
  function presets() {
    const p = state.primary;
    if (!p) return [];
    if (p.modality === 'CT') return [['soft tissue W400 L40', -160, 240], ['lung W1500 L−600', -1350, 150], ['bone W1800 L400', -500, 1300], ['brain W80 L40', 0, 80]];
    if (/SUV|\{SUVbw\}|g\/ml/i.test(p.units)) return [['SUV 0–5', 0, 5], ['SUV 0–10', 0, 10]];
    // PET in Bq/mL with SUV factors (the project's SUV code): SUVbw windows converted to the image's units.
    const f = p.suv && p.suv.factors && p.suv.factors.suvbwFactor;
    if (f > 0) return [['SUVbw 0–5', 0, 5 / f], ['SUVbw 0–10', 0, 10 / f], ['0–100 % of max', 0, p.max], ['0–50 % of max', 0, p.max * 0.5]];
    return [['0–100 % of max', 0, p.max], ['0–50 % of max', 0, p.max * 0.5], ['0–25 % of max', 0, p.max * 0.25], ['0–10 % of max', 0, p.max * 0.1]];
  }
  function presetMenu() {
    const s = $('preset');
    if (!s) return;
    s.innerHTML = '<option value="">window preset…</option>';
    presets().forEach(([l], n) => s.add(new Option(`${n + 1}: ${l}`, String(n))));
  }
  function applyPreset(n) {
    const q = presets()[n];
    if (!q) return;
    state.low = q[1]; state.high = q[2];
    $('low').value = +state.low.toPrecision(5); $('high').value = +state.high.toPrecision(5);
    redraw();
  }

  function init() {
    const h = document.querySelector('header'), who = $('who');
    const s = document.createElement('select'); s.id = 'preset'; s.title = 'window presets (keys 1–4)';
    s.onchange = () => { if (s.value !== '') applyPreset(+s.value); };
    const sm = document.createElement('label'); sm.innerHTML = '<input type="checkbox" id="smooth" checked> interpolate';
    sm.title = 'bilinear display (i); off: nearest neighbour, one block per pixel, for counting';
    const z = document.createElement('label'); z.innerHTML = 'zoom <select id="zoom"><option>1</option><option>1.5</option><option>2</option><option>3</option><option>4</option></select>×';
    const hp = document.createElement('label'); hp.innerHTML = '<input type="checkbox" id="hang" checked> hanging protocol';
    hp.title = 'open a study in the layout of its type (hanging.js; key h re-applies it)';
    h.insertBefore(s, who); h.insertBefore(sm, who); h.insertBefore(z, who); h.insertBefore(hp, who);
    $('smooth').onchange = () => { st.smooth = $('smooth').checked; redraw(); };
    $('zoom').onchange = () => { st.zoom = +$('zoom').value; document.documentElement.style.setProperty('--zoom', st.zoom); };
    document.addEventListener('keydown', (e) => {
      if (/INPUT|SELECT|TEXTAREA/.test(e.target.tagName || '') || e.ctrlKey || e.metaKey || e.altKey) return;
      if (RegReview.state.active) return;
      if (/^[1-9]$/.test(e.key) && presets()[+e.key - 1]) { applyPreset(+e.key - 1); e.preventDefault(); }
      else if (e.key === 'i') { $('smooth').checked = !$('smooth').checked; $('smooth').onchange(); }
      else if (e.key === ' ' && $('play')) { $('play').click(); e.preventDefault(); }
      else if ((e.key === ']' || e.key === '[') && $('fps')) { $('fps').value = Math.max(1, Math.min(60, (+$('fps').value || 8) + (e.key === ']' ? 2 : -2))); $('fps').onchange(); }
      else if (e.key === 'h' && state.study) Hanging.apply();
      else if (e.key === 'a') $('auto').click();
      else if (e.key === '?') help();
      else if (e.key === 'PageDown' || e.key === 'PageUp') {
        const p = state.primary;
        if (p && p.kind === 'frames') { state.frame = (state.frame + (e.key === 'PageDown' ? 1 : p.depth - 1)) % p.depth; if ($('frame')) $('frame').value = state.frame; drawFrames(); e.preventDefault(); }
        else if (p) { state.cross[2] = Math.max(0, Math.min(p.depth - 1, state.cross[2] + (e.key === 'PageUp' ? 1 : -1))); drawVolume(); e.preventDefault(); }
      } else if (e.key === 'z') { const o = [1, 1.5, 2, 3, 4], k = (o.indexOf(st.zoom) + 1) % o.length; $('zoom').value = String(o[k]); $('zoom').onchange(); }
    });
  }

  // The keyboard shortcuts, listed on `?`.
  const keys = [['1–9', 'window preset'], ['a', 'auto window'], ['i', 'interpolation on/off (off: nearest, for counting)'],
    ['z', 'zoom 1–4×'], ['space', 'cine play/stop'], ['[ / ]', 'cine slower/faster (±2 frames/s)'], ['PageUp/PageDown', 'frame or slice'],
    ['h', 'hanging protocol of the study'], ['?', 'this list']];
  function help() {
    let d = $('keyHelp');
    if (d) { d.remove(); return; }
    d = document.createElement('table'); d.id = 'keyHelp'; d.className = 'summary';
    for (const [k, v] of keys) { const tr = d.insertRow(); tr.insertCell().textContent = k; tr.insertCell().textContent = v; }
    $('view').insertBefore(d, $('stage'));
  }

  return { init, decorate, banner, presetMenu, applyPreset, keys, get smooth() { return st.smooth; }, presets };
})();
