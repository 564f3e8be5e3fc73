// Scinti viewer: region tools on planar frames (docs/review.md). Draw circles, ellipses, rectangles, freehand polygons
// and threshold-from-seed regions; move (drag, arrow keys), resize (shift-drag, + / -), delete; copy to every frame of
// a cine or to the other view (mirrored left–right); live statistics under each region on each frame shown. A
// result's regions can be taken over for editing and the analysis re-run with them (job field `regions`).
//
// Pixel rule (the same as Analysis.PlanarROI.disc): pixel (column c, row r) belongs to a shape when its centre
// (c, r) lies inside; coordinates are 0-based pixel indices with pixel centres at integers.
'use strict';

const RegionTools = (() => {
  const st = { tool: 'select', regions: [], selected: -1, drag: null, next: 1, editingResult: false, geom: null };
  const palette = ['#e62828', '#2f6fe6', '#2bb04a', '#f09614', '#b03ad0', '#00bed2', '#808b96'];

  // ---- rasterising (Uint8Array over rows × columns)
  function raster(r, w, h) {
    if (r.shape === 'mask') return r.mask;
    const m = new Uint8Array(w * h);
    const x0 = Math.max(0, Math.floor(bbox(r)[0])), x1 = Math.min(w - 1, Math.ceil(bbox(r)[2]));
    const y0 = Math.max(0, Math.floor(bbox(r)[1])), y1 = Math.min(h - 1, Math.ceil(bbox(r)[3]));
    for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) if (contains(r, x, y)) m[y * w + x] = 1;
    return m;
  }
  function bbox(r) {
    if (r.shape === 'polygon') {
      const xs = r.pts.map((p) => p[0]), ys = r.pts.map((p) => p[1]);
      return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
    }
    return [r.cx - r.rx, r.cy - r.ry, r.cx + r.rx, r.cy + r.ry];
  }
  function contains(r, x, y) {
    if (r.shape === 'circle' || r.shape === 'ellipse') {
      // Written as in PlanarROI.disc for circles: dc² + dr² ≤ radius².
      if (r.shape === 'circle') return (x - r.cx) ** 2 + (y - r.cy) ** 2 <= r.rx * r.rx;
      return ((x - r.cx) / r.rx) ** 2 + ((y - r.cy) / r.ry) ** 2 <= 1;
    }
    if (r.shape === 'rect') return Math.abs(x - r.cx) <= r.rx && Math.abs(y - r.cy) <= r.ry;
    if (r.shape === 'polygon') {  // even–odd rule at the pixel centre
      let inside = false;
      for (let i = 0, j = r.pts.length - 1; i < r.pts.length; j = i++) {
        const [xi, yi] = r.pts[i], [xj, yj] = r.pts[j];
        if ((yi > y) !== (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) inside = !inside;
      }
      return inside;
    }
    return false;
  }
  function maskCentroid(m, w) {
    let sx = 0, sy = 0, n = 0;
    for (let i = 0; i < m.length; i++) if (m[i]) { sx += i % w; sy += Math.floor(i / w); n++; }
    return n ? [sx / n, sy / n] : [0, 0];
  }

  // ---- statistics of a region on one frame: pixels, counts (sum), mean, max, area (cm²)
  function stats(r, f) {
    const p = state.primary, w = p.width, h = p.height, n = w * h;
    const m = raster(r, w, h), v = p.values.subarray(f * n, (f + 1) * n);
    let k = 0, sum = 0, max = -Infinity;
    for (let i = 0; i < n; i++) if (m[i]) { k++; sum += v[i]; if (v[i] > max) max = v[i]; }
    return { pixels: k, sum, mean: k ? sum / k : NaN, max: k ? max : NaN, areaCM2: k * p.spacing[0] * p.spacing[1] / 100 };
  }

  // ---- threshold from a seed: climb to the local maximum (8 neighbours), keep the 4-connected pixels ≥ pct % of it
  function thresholdRegion(f, sx, sy, pct) {
    const p = state.primary, w = p.width, h = p.height, n = w * h, v = p.values.subarray(f * n, (f + 1) * n);
    let at = sy * w + sx;
    for (;;) {
      let best = at;
      const x = at % w, y = Math.floor(at / w);
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
        const xx = x + dx, yy = y + dy;
        if (xx >= 0 && yy >= 0 && xx < w && yy < h && v[yy * w + xx] > v[best]) best = yy * w + xx;
      }
      if (best === at) break;
      at = best;
    }
    const thr = pct / 100 * v[at], m = new Uint8Array(n), stack = [at];
    m[at] = 1;
    while (stack.length) {
      const i = stack.pop(), x = i % w, y = Math.floor(i / w);
      for (const [xx, yy] of [[x - 1, y], [x + 1, y], [x, y - 1], [x, y + 1]]) {
        if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
        const j = yy * w + xx;
        if (!m[j] && v[j] >= thr) { m[j] = 1; stack.push(j); }
      }
    }
    return { mask: m, seed: [at % w, Math.floor(at / w)], threshold: thr };
  }

  // ---- editing operations
  function add(r) {
    r.colour = r.colour || palette[(st.next - 1) % palette.length];
    r.label = r.label || `region ${st.next}`;
    st.next++;
    st.regions.push(r); st.selected = st.regions.length - 1;
    changed();
  }
  function move(r, dx, dy, from) {
    const o = from || r;
    if (r.shape === 'mask') {
      const p = state.primary, w = p.width, h = p.height, ix = Math.round(dx), iy = Math.round(dy);
      const m = new Uint8Array(w * h);
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
        const xs = x - ix, ys = y - iy;
        if (xs >= 0 && ys >= 0 && xs < w && ys < h && o.mask[ys * w + xs]) m[y * w + x] = 1;
      }
      r.mask = m;
    } else if (r.shape === 'polygon') r.pts = o.pts.map(([x, y]) => [x + dx, y + dy]);
    else { r.cx = o.cx + dx; r.cy = o.cy + dy; }
  }
  function resize(r, k, from) {
    const o = from || r;
    if (r.shape === 'mask') {  // nearest-neighbour scaling about the centroid
      const p = state.primary, w = p.width, h = p.height, [cx, cy] = maskCentroid(o.mask, w), m = new Uint8Array(w * h);
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
        const xs = Math.round(cx + (x - cx) / k), ys = Math.round(cy + (y - cy) / k);
        if (xs >= 0 && ys >= 0 && xs < w && ys < h && o.mask[ys * w + xs]) m[y * w + x] = 1;
      }
      r.mask = m;
    } else if (r.shape === 'polygon') {
      const cx = o.pts.reduce((s, q) => s + q[0], 0) / o.pts.length, cy = o.pts.reduce((s, q) => s + q[1], 0) / o.pts.length;
      r.pts = o.pts.map(([x, y]) => [cx + (x - cx) * k, cy + (y - cy) * k]);
    } else { r.rx = Math.max(0.5, o.rx * k); r.ry = Math.max(0.5, o.ry * k); }
  }
  const copyOf = (r) => Object.assign({}, r, { frames: r.frames.slice(), pts: r.pts ? r.pts.map((q) => q.slice()) : undefined, mask: r.mask ? r.mask.slice() : undefined });
  function mirrored(r) {
    const w = state.primary.width, h = state.primary.height, c = copyOf(r);
    if (r.shape === 'mask') {
      c.mask = new Uint8Array(w * h);
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) c.mask[y * w + x] = r.mask[y * w + (w - 1 - x)];
    } else if (r.shape === 'polygon') c.pts = r.pts.map(([x, y]) => [w - 1 - x, y]);
    else c.cx = w - 1 - r.cx;
    return c;
  }
  function changed(r) {
    if (r) r.edited = true;
    drawFrames();
  }

  // ---- JSON as in a result's display.regions (ResultDisplay.Region): circles stay circles, other shapes are masks
  function toDisplay(r) {
    const p = state.primary;
    const base = { label: r.label, colour: r.colour, frames: r.frames.slice() };
    if (r.shape === 'circle') return Object.assign(base, { shape: 'circle', column: r.cx, row: r.cy, radius: r.rx });
    // A result's square (MIBG mediastinum) moved or resized about its centre stays a square.
    if (r.shape === 'rect' && r.square && Math.abs(r.rx - r.ry) < 1e-9) return Object.assign(base, { shape: 'square', column: r.cx, row: r.cy, radius: r.rx });
    return Object.assign(base, { shape: 'mask', runs: runsOf(raster(r, p.width, p.height)) });
  }
  function runsOf(m) {
    const out = [];
    for (let i = 0; i < m.length;) {
      if (!m[i]) { i++; continue; }
      const s = i; while (i < m.length && m[i]) i++;
      out.push(s, i - s);
    }
    return out;
  }
  function fromDisplay(d) {
    const p = state.primary, w = p.width, h = p.height;
    const r = { label: d.label, colour: d.colour, frames: (d.frames && d.frames.length) ? d.frames.slice() : [...Array(p.depth).keys()], edited: false, fromResult: true };
    if (d.shape === 'circle') Object.assign(r, { shape: 'circle', cx: d.column, cy: d.row, rx: d.radius, ry: d.radius });
    else if (d.shape === 'square') Object.assign(r, { shape: 'rect', square: true, cx: d.column, cy: d.row, rx: d.radius, ry: d.radius });
    else Object.assign(r, { shape: 'mask', mask: decodeRuns(d.runs || [], w * h) });
    return r;
  }

  // ---- canvas geometry: canvas pixel → (tile k, image x, image y), continuous pixel coordinates
  function toImage(e) {
    const g = st.geom, c = g.canvas, b = c.getBoundingClientRect();
    const X = (e.clientX - b.left) / b.width * c.width, Y = (e.clientY - b.top) / b.height * c.height;
    const u = X / g.scale, k = Math.floor(u / (g.w + 4));
    return { k, x: u - k * (g.w + 4) - 0.5, y: Y / (g.scale * g.aspect) - 0.5 };
  }
  function hit(f, x, y) {
    const p = state.primary;
    for (let i = st.regions.length - 1; i >= 0; i--) {
      const r = st.regions[i];
      if (!r.frames.includes(f)) continue;
      const xi = Math.round(x), yi = Math.round(y);
      if (xi < 0 || yi < 0 || xi >= p.width || yi >= p.height) continue;
      if (raster(r, p.width, p.height)[yi * p.width + xi]) return i;
    }
    return -1;
  }

  function onDown(e) {
    const g = st.geom, q = toImage(e);
    if (q.k < 0 || q.k >= g.frames.length) return;
    const f = g.frames[q.k];
    e.preventDefault();
    if (st.tool === 'select') {
      // The selected region keeps the selection where it contains the point (regions may overlap).
      const sel = st.regions[st.selected], xi = Math.round(q.x), yi = Math.round(q.y), p = state.primary;
      const keep = sel && sel.frames.includes(f) && xi >= 0 && yi >= 0 && xi < p.width && yi < p.height && raster(sel, p.width, p.height)[yi * p.width + xi];
      if (!keep) st.selected = hit(f, q.x, q.y);
      if (st.selected >= 0) {
        const r = st.regions[st.selected];
        const c = r.shape === 'mask' ? maskCentroid(r.mask, state.primary.width) : r.shape === 'polygon'
          ? [r.pts.reduce((s, p) => s + p[0], 0) / r.pts.length, r.pts.reduce((s, p) => s + p[1], 0) / r.pts.length] : [r.cx, r.cy];
        st.drag = { mode: e.shiftKey ? 'resize' : 'move', q, orig: copyOf(r), centre: c };
      }
      drawFrames();
      return;
    }
    if (st.tool === 'threshold') {
      const p = state.primary;
      const xi = Math.round(q.x), yi = Math.round(q.y);
      if (xi < 0 || yi < 0 || xi >= p.width || yi >= p.height) return;
      const pct = +$('thrPct').value || 40;
      const t = thresholdRegion(f, xi, yi, pct);
      add({ shape: 'mask', mask: t.mask, frames: [f], method: `threshold ${pct} % of the local maximum at (${t.seed.join(', ')}), ${fmt(t.threshold)} ${unitText(p.units)}` });
      return;
    }
    st.drag = { mode: 'draw', q, f, pts: [[q.x, q.y]] };
  }
  function onMove(e) {
    const d = st.drag;
    if (!d) return;
    const q = toImage(e);
    if (d.mode === 'move') { const r = st.regions[st.selected]; move(r, q.x - d.q.x, q.y - d.q.y, d.orig); r.edited = true; drawFrames(); }
    else if (d.mode === 'resize') {
      const r = st.regions[st.selected], [cx, cy] = d.centre;
      const k = Math.hypot(q.x - cx, q.y - cy) / Math.max(0.5, Math.hypot(d.q.x - cx, d.q.y - cy));
      resize(r, k, d.orig); r.edited = true; drawFrames();
    } else if (d.mode === 'draw') { d.pts.push([q.x, q.y]); d.last = q; drawFrames(); }
  }
  function onUp(e) {
    const d = st.drag;
    st.drag = null;
    if (!d || d.mode !== 'draw') { if (d) changed(); return; }
    const q = toImage(e), a = d.q;
    const r = shapeFrom(st.tool, a, q, d.pts);
    if (r) { r.frames = [d.f]; add(r); } else drawFrames();
  }
  // The region a drag from a to b draws with a tool (circle: centre a, radius |b − a|; ellipse and rectangle:
  // the box spanned by a and b; freehand: the polygon of the path).
  function shapeFrom(tool, a, b, pts) {
    const dx = Math.abs(b.x - a.x), dy = Math.abs(b.y - a.y);
    if (tool === 'circle') { const rr = Math.hypot(b.x - a.x, b.y - a.y); return rr >= 0.5 ? { shape: 'circle', cx: a.x, cy: a.y, rx: rr, ry: rr } : null; }
    if (tool === 'ellipse' || tool === 'rect') {
      return dx >= 0.5 && dy >= 0.5 ? { shape: tool, cx: (a.x + b.x) / 2, cy: (a.y + b.y) / 2, rx: dx / 2, ry: dy / 2 } : null;
    }
    if (tool === 'freehand') return pts.length >= 3 ? { shape: 'polygon', pts: pts.slice() } : null;
    return null;
  }

  function onKey(e) {
    const tag = e.target.tagName || '';
    if (!st.geom || st.selected < 0 || /SELECT|TEXTAREA/.test(tag) || (tag === 'INPUT' && !/checkbox|radio|button/.test(e.target.type))) return;
    const r = st.regions[st.selected];
    const moves = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    if (moves[e.key]) { move(r, ...moves[e.key]); changed(r); }
    else if (e.key === '+' || e.key === '=') { resize(r, 1.1); changed(r); }
    else if (e.key === '-') { resize(r, 1 / 1.1); changed(r); }
    else if (e.key === 'Delete' || e.key === 'Backspace') { remove(); }
    else return;
    e.preventDefault();
  }
  function remove() {
    if (st.selected < 0) return;
    st.regions.splice(st.selected, 1); st.selected = -1; drawFrames();
  }

  // ---- toolbar (built with the frames view)
  function toolbar(tb) {
    const d = document.createElement('div'); d.id = 'regionTools';
    d.innerHTML = `Regions: ${['select', 'circle', 'ellipse', 'rect', 'freehand', 'threshold'].map((t) =>
      `<button data-tool="${t}" class="tool${st.tool === t ? ' on' : ''}">${t === 'rect' ? 'rectangle' : t}</button>`).join('')}
      <label>at <input id="thrPct" type="number" value="40" min="1" max="99" style="width:42px"> % of max</label>
      <label>label <input id="regLabel" placeholder="selected region" style="width:110px" title="renames the selected region (e.g. liver, spleen, lesion 1 for the Krenning score)"></label>
      <button id="regDelete">delete</button> <button id="regAllFrames">copy to all frames</button>
      <button id="regOtherView">copy to other view</button>
      <button id="regRerun" hidden>re-run with edited regions</button>`;
    tb.appendChild(d);
    for (const b of d.querySelectorAll('button.tool')) b.onclick = () => {
      st.tool = b.dataset.tool;
      for (const o of d.querySelectorAll('button.tool')) o.classList.toggle('on', o === b);
    };
    $('regDelete').onclick = remove;
    $('regLabel').onchange = () => { const r = st.regions[st.selected]; if (r && $('regLabel').value.trim()) { r.label = $('regLabel').value.trim(); changed(r); } };
    $('regAllFrames').onclick = () => {
      const r = st.regions[st.selected];
      if (r) { r.frames = [...Array(state.primary.depth).keys()]; changed(r); }
    };
    $('regOtherView').onclick = () => {
      const r = st.regions[st.selected];
      if (!r) return;
      const others = [...Array(state.primary.depth).keys()].filter((f) => !r.frames.includes(f));
      if (!others.length) return;
      const c = mirrored(r);
      c.frames = others; c.label = `${r.label} (mirrored)`; c.colour = undefined; c.edited = true;
      add(c);
    };
    $('regRerun').onclick = rerun;
    $('regRerun').hidden = !st.editingResult;
  }

  // Takes over the regions of the shown result (on this series) for editing.
  function editResult() {
    const d = state.result, p = state.primary;
    if (!d || !p || d.series !== p.seriesUID) return false;
    st.regions = d.regions.map(fromDisplay); st.selected = -1; st.editingResult = true;
    buildView();
    return true;
  }
  // Re-runs the shown result's job with the edited regions (only those changed; the others stay automatic).
  async function rerun() {
    const j = state.resultJob;
    if (!j) return;
    const body = JSON.parse(j.request);
    delete body.regions;
    const edited = st.regions.filter((r) => r.edited && r.fromResult).map(toDisplay);
    body.regions = edited;
    status(`re-running ${body.analysis || body.type} with ${edited.length} edited region(s)…`);
    st.editingResult = false; st.regions = [];
    await startJob(body);
  }

  // ---- drawing and the statistics table, called by drawFrames
  function draw(ctx, g) {
    st.geom = g;
    const p = state.primary, w = p.width, h = p.height;
    ctx.save();
    g.frames.forEach((f, k) => {
      const ox = k * (w + 4);
      st.regions.forEach((r, i) => {
        if (!r.frames.includes(f)) return;
        ctx.strokeStyle = r.colour; ctx.fillStyle = r.colour; ctx.lineWidth = i === st.selected ? 3 : 1.5;
        ctx.setLineDash(i === st.selected ? [5, 3] : []);
        const X = (x) => (ox + x + 0.5) * g.scale, Y = (y) => (y + 0.5) * g.scale * g.aspect;
        ctx.beginPath();
        if (r.shape === 'mask') {
          // Pixel-edge outline of the mask.
          const m = r.mask;
          for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
            if (!m[y * w + x]) continue;
            const L = (ox + x) * g.scale, T = y * g.scale * g.aspect, R = L + g.scale, B = T + g.scale * g.aspect;
            if (x === 0 || !m[y * w + x - 1]) { ctx.moveTo(L, T); ctx.lineTo(L, B); }
            if (x === w - 1 || !m[y * w + x + 1]) { ctx.moveTo(R, T); ctx.lineTo(R, B); }
            if (y === 0 || !m[(y - 1) * w + x]) { ctx.moveTo(L, T); ctx.lineTo(R, T); }
            if (y === h - 1 || !m[(y + 1) * w + x]) { ctx.moveTo(L, B); ctx.lineTo(R, B); }
          }
        } else if (r.shape === 'polygon') {
          r.pts.forEach(([x, y], n) => (n ? ctx.lineTo(X(x), Y(y)) : ctx.moveTo(X(x), Y(y))));
          ctx.closePath();
        } else if (r.shape === 'rect') ctx.rect(X(r.cx - r.rx), Y(r.cy - r.ry), 2 * r.rx * g.scale, 2 * r.ry * g.scale * g.aspect);
        else ctx.ellipse(X(r.cx), Y(r.cy), r.rx * g.scale, r.ry * g.scale * g.aspect, 0, 0, 2 * Math.PI);
        ctx.stroke();
      });
    });
    // The path being drawn.
    const d = st.drag;
    if (d && d.mode === 'draw' && d.last) {
      const k = g.frames.indexOf(d.f), ox = k * (w + 4);
      const r = shapeFrom(st.tool, d.q, d.last, d.pts);
      if (r && k >= 0) {
        ctx.setLineDash([3, 3]); ctx.strokeStyle = '#ff0'; ctx.lineWidth = 1;
        const X = (x) => (ox + x + 0.5) * g.scale, Y = (y) => (y + 0.5) * g.scale * g.aspect;
        ctx.beginPath();
        if (r.shape === 'polygon') r.pts.forEach(([x, y], n) => (n ? ctx.lineTo(X(x), Y(y)) : ctx.moveTo(X(x), Y(y))));
        else if (r.shape === 'rect') ctx.rect(X(r.cx - r.rx), Y(r.cy - r.ry), 2 * r.rx * g.scale, 2 * r.ry * g.scale * g.aspect);
        else ctx.ellipse(X(r.cx), Y(r.cy), r.rx * g.scale, r.ry * g.scale * g.aspect, 0, 0, 2 * Math.PI);
        ctx.stroke();
      }
    }
    ctx.restore();
    const c = g.canvas;
    c.onmousedown = onDown; c.onmouseup = onUp;
    const readout = c.onmousemove;
    c.onmousemove = (e) => { if (readout) readout(e); onMove(e); };
    table(g);
  }

  function table(g) {
    let t = $('regionStats');
    if (!t) {
      t = document.createElement('table'); t.id = 'regionStats'; t.className = 'summary';
      $('view').insertBefore(t, $('readout'));
    }
    const p = state.primary, u = unitText(p.units);
    t.innerHTML = st.regions.length ? `<tr><th>region</th><th>shape</th><th>frame</th><th>pixels</th><th>area (cm²)</th><th>sum (${u})</th><th>mean (${u}/pixel)</th><th>max (${u})</th></tr>` : '';
    st.regions.forEach((r, i) => {
      for (const f of g.frames) {
        if (!r.frames.includes(f)) continue;
        const s = stats(r, f), tr = t.insertRow();
        tr.className = 'regionRow' + (i === st.selected ? ' sel' : '');
        Object.assign(tr.dataset, { index: i, label: r.label, frame: f, pixels: s.pixels, sum: s.sum, mean: s.mean, max: s.max, area: s.areaCM2, shape: r.shape,
                                    geometry: JSON.stringify(r.shape === 'polygon' ? { pts: r.pts } : r.shape === 'mask' ? { runs: runsOf(r.mask) } : { cx: r.cx, cy: r.cy, rx: r.rx, ry: r.ry }) });
        for (const v of [r.label + (r.edited ? ' (edited)' : ''), r.shape, f + 1, s.pixels, s.areaCM2.toFixed(2), fmt(s.sum), fmt(s.mean), fmt(s.max)]) tr.insertCell().textContent = v;
        tr.cells[0].style.color = r.colour;
        tr.onclick = () => { st.selected = i; drawFrames(); };
      }
    });
  }

  function reset() { st.regions = []; st.selected = -1; st.editingResult = false; st.next = 1; const t = $('regionStats'); if (t) t.innerHTML = ''; }
  document.addEventListener('keydown', onKey);
  // The regions drawn on the open series, in the JSON of display.regions (the regions of a Krenning job).
  const drawn = () => st.regions.map(toDisplay);
  return { draw, toolbar, editResult, reset, stats, toDisplay, drawn, state: st, get editing() { return st.editingResult; } };
})();

// Volume tools on SPECT/PET/CT (docs/review.md): a sphere (radius in mm, physical distance between voxel centres) or
// threshold region growing (6-connected voxels ≥ p % of the local maximum reached from the seed, or ≥ an absolute
// value in the image's units) placed by clicking a view; statistics in the image's units (voxels, volume, mean, max,
// peak = mean of the 1 mL sphere around the hottest voxel, total activity in MBq for Bq/mL); saved as DICOM SEG.
const VolumeTools = (() => {
  const st = { mode: 'none', vois: [], next: 1 };
  const palette = ['#2f6fe6', '#2bb04a', '#f09614', '#b03ad0', '#00bed2', '#e62828'];
  const idx = (p, i, j, k) => i + p.width * (j + p.height * k);

  function sphere(p, c, rmm) {
    const m = new Uint8Array(p.width * p.height * p.depth), [sx, sy, sz] = p.spacing;
    const ri = Math.ceil(rmm / sx), rj = Math.ceil(rmm / sy), rk = Math.ceil(rmm / sz);
    for (let k = Math.max(0, c[2] - rk); k <= Math.min(p.depth - 1, c[2] + rk); k++)
      for (let j = Math.max(0, c[1] - rj); j <= Math.min(p.height - 1, c[1] + rj); j++)
        for (let i = Math.max(0, c[0] - ri); i <= Math.min(p.width - 1, c[0] + ri); i++)
          if (((i - c[0]) * sx) ** 2 + ((j - c[1]) * sy) ** 2 + ((k - c[2]) * sz) ** 2 <= rmm * rmm) m[idx(p, i, j, k)] = 1;
    return m;
  }
  function grow(p, c, pct, absolute) {
    const v = p.values, W = p.width, H = p.height, D = p.depth;
    let at = idx(p, ...c);
    if (absolute === null) for (;;) {  // climb to the local maximum (26 neighbours)
      let best = at;
      const i = at % W, j = Math.floor(at / W) % H, k = Math.floor(at / (W * H));
      for (let dk = -1; dk <= 1; dk++) for (let dj = -1; dj <= 1; dj++) for (let di = -1; di <= 1; di++) {
        const a = i + di, b = j + dj, e = k + dk;
        if (a >= 0 && b >= 0 && e >= 0 && a < W && b < H && e < D && v[idx(p, a, b, e)] > v[best]) best = idx(p, a, b, e);
      }
      if (best === at) break;
      at = best;
    }
    const thr = absolute !== null ? absolute : pct / 100 * v[at];
    const m = new Uint8Array(W * H * D);
    if (!(v[at] >= thr)) return { mask: m, thr };
    const stack = [at]; m[at] = 1;
    while (stack.length) {
      const n = stack.pop(), i = n % W, j = Math.floor(n / W) % H, k = Math.floor(n / (W * H));
      for (const [a, b, e] of [[i - 1, j, k], [i + 1, j, k], [i, j - 1, k], [i, j + 1, k], [i, j, k - 1], [i, j, k + 1]]) {
        if (a < 0 || b < 0 || e < 0 || a >= W || b >= H || e >= D) continue;
        const q = idx(p, a, b, e);
        if (!m[q] && v[q] >= thr) { m[q] = 1; stack.push(q); }
      }
    }
    return { mask: m, thr };
  }
  function stats(p, m) {
    const v = p.values, ml = p.spacing[0] * p.spacing[1] * p.spacing[2] / 1000;
    let n = 0, sum = 0, max = -Infinity, at = -1;
    for (let q = 0; q < m.length; q++) if (m[q]) { n++; sum += v[q]; if (v[q] > max) { max = v[q]; at = q; } }
    let peak = NaN;
    if (at >= 0) {  // mean of the 1 mL sphere (radius 6.2 mm) centred on the hottest voxel
      const c = [at % p.width, Math.floor(at / p.width) % p.height, Math.floor(at / (p.width * p.height))];
      const s = sphere(p, c, Math.cbrt(3000 / (4 * Math.PI)));
      let a = 0, k = 0;
      for (let q = 0; q < s.length; q++) if (s[q]) { a += v[q]; k++; }
      peak = a / k;
    }
    const u = unitText(p.units);
    const total = /^Bq\/ml$/i.test(u) ? sum * ml / 1e6 : null;
    const f = p.suv && p.suv.factors;
    const suv = f ? { suvMean: (n ? sum / n : NaN) * f.suvbwFactor, suvMax: max * f.suvbwFactor, suvPeak: peak * f.suvbwFactor,
                      sulPeak: f.suvlbmFactor ? peak * f.suvlbmFactor : null } : null;
    return { voxels: n, volumeML: n * ml, sum, mean: n ? sum / n : NaN, max: n ? max : NaN, peak, totalMBq: total, suv };
  }
  function toolbar(tb) {
    const d = document.createElement('div'); d.id = 'voiTools';
    d.innerHTML = `VOI: <select id="voiMode"><option value="none">(click moves the crosshair)</option><option value="sphere">sphere</option>
      <option value="grow">threshold region growing</option></select>
      <label>radius <input id="voiRadius" type="number" value="15" min="1" style="width:45px"> mm</label>
      <label>threshold <input id="voiPct" type="number" value="40" min="1" max="99" style="width:42px"> % of max</label>
      <label>or ≥ <input id="voiAbs" type="number" step="any" placeholder="value" style="width:70px"> ${unitText(state.primary.units)}</label>
      <button id="voiDelete">delete last</button> <button id="voiSave">save VOIs as SEG</button>`;
    tb.appendChild(d);
    $('voiMode').value = st.mode;
    $('voiMode').onchange = () => { st.mode = $('voiMode').value; };
    $('voiDelete').onclick = () => { st.vois.pop(); sync(); };
    $('voiSave').onclick = save;
  }
  // Places a VOI at voxel c (called by a click on a view).
  function place(c) {
    const p = state.primary;
    if (st.mode === 'none') return false;
    let m, how;
    if (st.mode === 'sphere') { const r = +$('voiRadius').value || 15; m = sphere(p, c, r); how = `sphere ${r} mm at (${c.join(', ')})`; }
    else {
      const a = $('voiAbs').value.trim() === '' ? null : +$('voiAbs').value, pct = +$('voiPct').value || 40;
      const g = grow(p, c, pct, a); m = g.mask;
      how = a === null ? `grown from (${c.join(', ')}) at ${pct} % of the local maximum (${fmt(g.thr)} ${unitText(p.units)})` : `grown from (${c.join(', ')}) at ≥ ${fmt(a)} ${unitText(p.units)}`;
    }
    add(m, how);
    sync();
    return true;
  }
  // A new VOI `VOI n` with the next colour (also made by the slice tools, contours.js).
  function add(m, how, label, colour0) {
    const colour = colour0 || palette[(st.next - 1) % palette.length];
    const v = { label: label || `VOI ${st.next}`, colour, rgb: hexRGB(colour), mask: m, how };
    st.vois.push(v);
    st.next++;
    return v;
  }
  function sync() {
    state.masks = (state.masks || []).filter((x) => !x.voi).concat(st.vois.map((v) => ({ label: v.label, rgb: v.rgb, mask: v.mask, voi: true })));
    drawVolume();
    table();
  }
  function table() {
    let t = $('voiStats');
    if (!t) { t = document.createElement('table'); t.id = 'voiStats'; t.className = 'summary'; $('view').insertBefore(t, $('readout')); }
    const p = state.primary, u = unitText(p.units);
    t.innerHTML = st.vois.length ? `<tr><th>VOI</th><th>voxels</th><th>volume (mL)</th><th>mean (${u})</th><th>max (${u})</th><th>peak 1 mL (${u})</th><th>total (MBq)</th><th>SUV</th><th>how</th></tr>` : '';
    for (const v of st.vois) {
      const s = stats(p, v.mask), tr = t.insertRow();
      tr.className = 'voiRow';
      Object.assign(tr.dataset, { label: v.label, voxels: s.voxels, volume: s.volumeML, mean: s.mean, max: s.max, peak: s.peak, total: s.totalMBq === null ? '' : s.totalMBq, runs: JSON.stringify(runsOfMask(v.mask)) });
      if (s.suv) Object.assign(tr.dataset, { suvMean: s.suv.suvMean, suvMax: s.suv.suvMax, suvPeak: s.suv.suvPeak, sulPeak: s.suv.sulPeak === null ? '' : s.suv.sulPeak });
      const suvText = s.suv ? `SUVbw mean ${s.suv.suvMean.toFixed(2)}, max ${s.suv.suvMax.toFixed(2)}, peak ${s.suv.suvPeak.toFixed(2)}${s.suv.sulPeak === null ? '' : `, SULpeak ${s.suv.sulPeak.toFixed(2)}`} g/mL` : '—';
      for (const x of [v.label, s.voxels, s.volumeML.toFixed(2), fmt(s.mean), fmt(s.max), fmt(s.peak), s.totalMBq === null ? '—' : fmt(s.totalMBq), suvText, v.how]) tr.insertCell().textContent = x;
      tr.cells[0].style.color = v.colour;
    }
    SliceTools.targets();
  }
  function runsOfMask(m) {
    const out = [];
    for (let i = 0; i < m.length;) { if (!m[i]) { i++; continue; } const s = i; while (i < m.length && m[i]) i++; out.push(s, i - s); }
    return out;
  }
  async function save() {
    const p = state.primary;
    if (!st.vois.length) { status('no VOI to save'); return; }
    try {
      const r = await getJSON('/api/seg', { method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ series: p.seriesUID, volumeMasks: st.vois.map((v) => ({ label: v.label, runs: runsOfMask(v.mask) })) }) });
      document.body.dataset.savedSeg = r.seriesUID;
      status(`saved ${r.segments.length} VOI(s) as SEG series ${r.seriesUID}`);
      await selectStudy(state.study);
    } catch (e) { status(String(e.message)); }
  }
  function reset() { st.vois = []; st.next = 1; const t = $('voiStats'); if (t) t.innerHTML = ''; }
  return { toolbar, place, reset, stats, add, sync, runsOfMask, state: st };
})();
