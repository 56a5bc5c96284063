// The explorer's data: the JSON blob, its packed arrays, and the arithmetic the page redoes
// (a conv unit's dot product, a pool unit's window) from the float32 numbers it carries.
const CL = {};

CL.data = JSON.parse(document.getElementById("explore-data").textContent);
CL.nodes = {};
CL.data.nodes.forEach((node) => { CL.nodes[node.id] = node; });
CL.state = { ex: 0, cls: 0, detail: null, saliency: false, gradcam: false };

// A packed array {dtype, shape, b64} as a typed array (decoded once, then cached).
CL.unpack = function (packed) {
  if (!packed._array) {
    const text = atob(packed.b64);
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    const kinds = { uint8: Uint8Array, float32: Float32Array, int32: Int32Array };
    packed._array = new kinds[packed.dtype](bytes.buffer);
  }
  return packed._array;
};

// Spatial size [H, W] of a map node (1-D signals have H = 1).
CL.hw = function (node) {
  const shape = node.shape;
  return shape.length === 2 ? [1, shape[1]] : [shape[1], shape[2]];
};

// One map (example ex, channel c) as numbers, from its uint8 codes and per-map scale.
CL.mapValues = function (quant, ex, c, channels, size) {
  const q = CL.unpack(quant.q), low = CL.unpack(quant.low), high = CL.unpack(quant.high);
  const k = ex * channels + c, n = size, out = new Float64Array(n);
  const lo = low[k], step = (high[k] - lo) / 255;
  for (let i = 0; i < n; i++) out[i] = lo + q[k * n + i] * step;
  return out;
};

CL.nodeMap = function (node, ex, c) {
  const [h, w] = CL.hw(node);
  return CL.mapValues(node.maps, ex, c, node.shown, h * w);
};

CL.nodeVector = function (node, ex) {
  return CL.mapValues(node.vector, ex, 0, 1, node.shape[0]);
};

// The padded float32 input a conv or pool op slides over: [values, C, Hp, Wp].
CL.opInput = function (op) {
  const [, C, Hp, Wp] = op.x.shape;
  return [CL.unpack(op.x), C, Hp, Wp];
};

// The input channels filter `co` of a conv reads (groups split them evenly).
CL.convChannels = function (node, co) {
  const op = node.op, cin = op.x.shape[1], perGroup = cin / op.groups;
  const group = Math.floor(co / (node.channels / op.groups));
  const list = [];
  for (let k = 0; k < perGroup; k++) list.push(group * perGroup + k);
  return list;
};

// The exact dot product behind conv unit (co, i, j) of example ex: per input channel the
// window and kernel numbers and their partial sum, then the bias and the total.
CL.convDot = function (node, ex, co, i, j) {
  const op = node.op, [x, C, Hp, Wp] = CL.opInput(op);
  const weight = CL.unpack(op.weight), [, perGroup, kh, kw] = op.weight.shape;
  const bias = op.bias ? CL.unpack(op.bias)[co] : 0;
  const channels = CL.convChannels(node, co).map((cin, local) => {
    const window = [], kernel = [];
    let partial = 0;
    for (let a = 0; a < kh; a++) {
      for (let b = 0; b < kw; b++) {
        const y = i * op.stride[0] + a * op.dilation[0], xx = j * op.stride[1] + b * op.dilation[1];
        const v = x[((ex * C + cin) * Hp + y) * Wp + xx];
        const k = weight[((co * perGroup + local) * kh + a) * kw + b];
        window.push(v); kernel.push(k); partial += v * k;
      }
    }
    return { cin: cin, window: window, kernel: kernel, partial: partial };
  });
  const sum = channels.reduce((s, ch) => s + ch.partial, 0);
  return { channels: channels, kh: kh, kw: kw, bias: bias, hasBias: !!op.bias, sum: sum,
           value: sum + bias };
};

// One input channel's contribution to conv map `co`, at every output position.
CL.convContribution = function (node, ex, co, local) {
  const [h, w] = CL.hw(node), out = new Float64Array(h * w);
  const op = node.op, [x, C, Hp, Wp] = CL.opInput(op);
  const weight = CL.unpack(op.weight), [, perGroup, kh, kw] = op.weight.shape;
  const cin = CL.convChannels(node, co)[local];
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) {
      let s = 0;
      for (let a = 0; a < kh; a++) {
        for (let b = 0; b < kw; b++) {
          const y = i * op.stride[0] + a * op.dilation[0];
          const xx = j * op.stride[1] + b * op.dilation[1];
          s += x[((ex * C + cin) * Hp + y) * Wp + xx] * weight[((co * perGroup + local) * kh + a) * kw + b];
        }
      }
      out[i * w + j] = s;
    }
  }
  return out;
};

// The window of pool unit (c, i, j): its numbers, the winner (max pool) and the result.
CL.poolWindow = function (node, ex, c, i, j) {
  const op = node.op, [x, C, Hp, Wp] = CL.opInput(op), [kh, kw] = op.kernel;
  const values = [], positions = [];
  let best = -Infinity, winner = -1, sum = 0, count = 0;
  for (let a = 0; a < kh; a++) {
    for (let b = 0; b < kw; b++) {
      const y = i * op.stride[0] + a * op.dilation[0], xx = j * op.stride[1] + b * op.dilation[1];
      const v = x[((ex * C + c) * Hp + y) * Wp + xx];
      const inside = y >= op.pad[0] && y < op.pad[0] + op.in_size[0] &&
                     xx >= op.pad[1] && xx < op.pad[1] + op.in_size[1];
      values.push(inside ? v : null);
      positions.push([y - op.pad[0], xx - op.pad[1]]);
      if (inside && v > best) { best = v; winner = values.length - 1; }
      if (inside) { sum += v; count += 1; }
    }
  }
  const value = op.op === "maxpool" ? best : sum / (op.count_include_pad ? kh * kw : count);
  return { values: values, positions: positions, winner: op.op === "maxpool" ? winner : -1,
           kh: kh, kw: kw, value: value };
};

// The input pixels (unclipped box [y0, x0, h, w]) unit (i, j) of a node sees.
CL.receptiveBox = function (node, i, j) {
  const g = node.geometry;
  if (!g) return null;
  const cy = g.start[0] + i * g.jump[0], cx = g.start[1] + j * g.jump[1];
  return [Math.round(cy - (g.size[0] - 1) / 2), Math.round(cx - (g.size[1] - 1) / 2),
          g.size[0], g.size[1]];
};

// The units of the layer before (node `prev`) that unit (i, j) reads: [y0, x0, h, w].
CL.previousBox = function (node, prev, i, j) {
  const op = node.op;
  if (op && (op.op === "conv" || op.op === "maxpool" || op.op === "avgpool")) {
    const k = op.op === "conv" ? op.weight.shape.slice(2) : op.kernel;
    return [i * op.stride[0] - op.pad[0], j * op.stride[1] - op.pad[1],
            op.dilation[0] * (k[0] - 1) + 1, op.dilation[1] * (k[1] - 1) + 1];
  }
  const g = node.geometry, p = prev.geometry;
  if (!g || !p) return null;
  const box = [0, 0, 0, 0];
  for (let axis = 0; axis < 2; axis++) {
    const centre = (g.start[axis] + [i, j][axis] * g.jump[axis] - p.start[axis]) / p.jump[axis];
    const extent = (g.size[axis] - p.size[axis]) / p.jump[axis] + 1;
    box[axis] = Math.round(centre - (extent - 1) / 2);
    box[axis + 2] = Math.round(extent);
  }
  return box;
};

CL.fmt = function (v) {
  if (v === null || v === undefined) return "pad";
  if (!isFinite(v)) return v > 0 ? "inf" : "-inf";
  if (v === 0) return "0";
  return Number(v.toPrecision(6)).toString();
};

// Numbers in the dot-product grids: 3 significant digits (the full value is the cell's title).
CL.cellText = function (v) {
  if (v === null || v === undefined) return "pad";
  if (!isFinite(v)) return v > 0 ? "inf" : "-inf";
  if (v === 0) return "0";
  return Math.abs(v) >= 1000 ? v.toExponential(1) : Number(v.toPrecision(3)).toString().replace(/^(-?)0\./, "$1.");
};

CL.el = function (tag, attrs, children) {
  const e = document.createElement(tag);
  Object.entries(attrs || {}).forEach(([k, v]) => {
    if (k === "text") e.textContent = v;
    else if (k === "class") e.className = v;
    else e.setAttribute(k, v);
  });
  (children || []).forEach((c) => e.appendChild(typeof c === "string" ? document.createTextNode(c) : c));
  return e;
};
