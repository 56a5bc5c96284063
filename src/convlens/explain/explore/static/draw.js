// Drawing: maps as pixels (2-D) or lines (1-D), kernels, vectors and the input picture.
// Every canvas holds one pixel per unit; CSS scales it up without smoothing.

// Red for positive, blue for negative, near-white for zero (ColorBrewer RdBu).
CL.diverging = function (t) {
  const pos = [178, 24, 43], neg = [33, 102, 172], mid = [247, 247, 247];
  const end = t >= 0 ? pos : neg, a = Math.min(1, Math.abs(t));
  return mid.map((m, k) => Math.round(m + (end[k] - m) * a));
};

// Heat colours for attribution overlays (dark blue - cyan - yellow - red).
CL.heat = function (t) {
  const stops = [[0, [0, 0, 140]], [0.35, [0, 190, 230]], [0.65, [250, 230, 40]], [1, [220, 20, 20]]];
  for (let k = 1; k < stops.length; k++) {
    if (t <= stops[k][0]) {
      const [t0, c0] = stops[k - 1], [t1, c1] = stops[k], u = (t - t0) / (t1 - t0);
      return c0.map((c, m) => Math.round(c + (c1[m] - c) * u));
    }
  }
  return stops[stops.length - 1][1];
};

CL.peak = function (values) {
  let m = 0;
  for (let i = 0; i < values.length; i++) if (isFinite(values[i])) m = Math.max(m, Math.abs(values[i]));
  return m || 1;
};

// A map of h x w numbers; `scale` (default: the map's own largest |value|) maps to full colour.
// A filled(k) predicate leaves cells past the slider's position blank.
CL.drawMap = function (canvas, values, h, w, options) {
  const opts = options || {}, scale = opts.scale || CL.peak(values);
  if (h === 1 && !opts.strip) return CL.drawLine(canvas, values, opts);
  canvas.width = w; canvas.height = h;
  const ctx = canvas.getContext("2d"), img = ctx.createImageData(w, h);
  for (let k = 0; k < h * w; k++) {
    const shown = !opts.filled || opts.filled(k);
    const rgb = !shown ? [255, 255, 255] : isFinite(values[k]) ? CL.diverging(values[k] / scale) : [215, 215, 215];
    img.data.set([rgb[0], rgb[1], rgb[2], 255], 4 * k);
  }
  ctx.putImageData(img, 0, 0);
  canvas.dataset.kind = "map";
};

// A 1-D signal as a line over a faint zero line, `opts.width` x `opts.height` pixels.
CL.drawLine = function (canvas, values, opts) {
  const o = opts || {}, W = o.width || 120, H = o.height || 36, n = values.length;
  canvas.width = W; canvas.height = H;
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#fbfbfb"; ctx.fillRect(0, 0, W, H);
  let lo = Math.min(0, ...values), hi = Math.max(0, ...values);
  if (hi === lo) hi = lo + 1;
  const y = (v) => H - 2 - (v - lo) / (hi - lo) * (H - 4);
  const x = (k) => n === 1 ? W / 2 : 1 + k * (W - 2) / (n - 1);
  ctx.strokeStyle = "#ccc"; ctx.beginPath(); ctx.moveTo(0, y(0)); ctx.lineTo(W, y(0)); ctx.stroke();
  ctx.strokeStyle = o.color || "#b2182b"; ctx.lineWidth = 1.2; ctx.beginPath();
  for (let k = 0; k < n; k++) {
    if (o.filled && !o.filled(k)) break;
    if (k === 0) ctx.moveTo(x(k), y(values[k])); else ctx.lineTo(x(k), y(values[k]));
  }
  ctx.stroke();
  canvas.dataset.kind = "line";
  canvas.dataset.units = n;
};

// The input picture of example ex (grey or RGB), with an attribution overlay if one is on.
CL.drawPicture = function (canvas, ex, overlay) {
  const p = CL.data.picture, [, C, h, w] = p.shape, q = CL.unpack(p);
  if (h === 1) {
    const values = Array.from(q.subarray(ex * C * w, ex * C * w + w));
    CL.drawLine(canvas, values, { width: 160, height: 60, color: "#222" });
    if (overlay) CL.drawStrip(canvas, overlay);
    return;
  }
  canvas.width = w; canvas.height = h;
  const ctx = canvas.getContext("2d"), img = ctx.createImageData(w, h);
  for (let k = 0; k < h * w; k++) {
    let rgb = [0, 1, 2].map((m) => q[(ex * C + (C === 3 ? m : 0)) * h * w + k]);
    if (overlay) {
      const t = overlay[k] / 255, heat = CL.heat(t), a = 0.25 + 0.5 * t;
      rgb = rgb.map((v, m) => Math.round(v * (1 - a) + heat[m] * a));
    }
    img.data.set([rgb[0], rgb[1], rgb[2], 255], 4 * k);
  }
  ctx.putImageData(img, 0, 0);
};

// A 1-D overlay: a heat strip along the bottom of a line plot.
CL.drawStrip = function (canvas, overlay) {
  const ctx = canvas.getContext("2d"), n = overlay.length, W = canvas.width, H = canvas.height;
  for (let k = 0; k < n; k++) {
    const rgb = CL.heat(overlay[k] / 255);
    ctx.fillStyle = `rgba(${rgb[0]},${rgb[1]},${rgb[2]},0.55)`;
    ctx.fillRect(k * W / n, 0, Math.ceil(W / n), H);
  }
};

// A vector (flattened or fully connected layer) as a line plot standing on end: unit k at
// height k, its value across, with a faint area down to zero.
CL.drawVector = function (canvas, values, opts) {
  const o = opts || {}, W = o.width || 64, H = o.height || 120, n = values.length;
  canvas.width = W; canvas.height = H;
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#fbfbfb"; ctx.fillRect(0, 0, W, H);
  const scale = CL.peak(values), mid = W / 2;
  const x = (k) => mid + values[k] / scale * (mid - 2), y = (k) => n === 1 ? H / 2 : 1 + k * (H - 2) / (n - 1);
  ctx.fillStyle = "rgba(178, 24, 43, 0.18)"; ctx.beginPath(); ctx.moveTo(mid, y(0));
  for (let k = 0; k < n; k++) ctx.lineTo(x(k), y(k));
  ctx.lineTo(mid, y(n - 1)); ctx.fill();
  ctx.strokeStyle = "#999"; ctx.beginPath(); ctx.moveTo(mid, 0); ctx.lineTo(mid, H); ctx.stroke();
  ctx.strokeStyle = "#b2182b"; ctx.lineWidth = 1; ctx.beginPath();
  for (let k = 0; k < n; k++) { if (k === 0) ctx.moveTo(x(k), y(k)); else ctx.lineTo(x(k), y(k)); }
  ctx.stroke();
  canvas.dataset.kind = "vector";
  canvas.dataset.units = n;
};

// Size a pixel canvas on screen: `cell` CSS pixels per unit.
CL.scaleCanvas = function (canvas, cell) {
  if (canvas.dataset.kind === "line" || canvas.dataset.kind === "vector") {
    canvas.style.width = canvas.width + "px"; canvas.style.height = canvas.height + "px";
  } else {
    canvas.style.width = canvas.width * cell + "px";
    canvas.style.height = canvas.height * cell + "px";
  }
  canvas.dataset.cell = cell;
};

// The unit (i, j) under a mouse event on a map canvas.
CL.unitAt = function (canvas, event, h, w) {
  const r = canvas.getBoundingClientRect();
  const i = Math.floor((event.clientY - r.top) / r.height * h);
  const j = Math.floor((event.clientX - r.left) / r.width * w);
  return [Math.max(0, Math.min(h - 1, i)), Math.max(0, Math.min(w - 1, j))];
};

// An outline over a canvas's units [y0, x0, h, w] (clipped to the canvas), kept in its box.
CL.outline = function (canvas, box, rows, cols, cls) {
  const holder = canvas.parentElement;
  let div = holder.querySelector(":scope > ." + cls);
  if (!box) { if (div) div.hidden = true; return null; }
  if (!div) { div = CL.el("div", { class: "outline " + cls }); holder.appendChild(div); }
  const y0 = Math.max(0, box[0]), x0 = Math.max(0, box[1]);
  const y1 = Math.min(rows, box[0] + box[2]), x1 = Math.min(cols, box[1] + box[3]);
  const cw = canvas.clientWidth / cols, ch = canvas.clientHeight / rows;
  Object.assign(div.style, { top: canvas.offsetTop + y0 * ch + "px", left: canvas.offsetLeft + x0 * cw + "px",
                             width: Math.max(0, x1 - x0) * cw + "px", height: Math.max(0, y1 - y0) * ch + "px" });
  div.dataset.y0 = box[0]; div.dataset.x0 = box[1]; div.dataset.h = box[2]; div.dataset.w = box[3];
  div.hidden = false;
  return div;
};
