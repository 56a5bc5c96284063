// The detail of one map: for a conv, the filter (one slice per input channel), each input
// channel's contribution, the bias and the map before and after its activation, with a slider
// that steps the kernel over the input; for a pool, the window that won; else before/after.

CL.bigCell = (h, w, target) => Math.max(1, Math.min(16, Math.floor((target || 168) / Math.max(h, w))));

// A canvas of a map drawn `cell` CSS pixels per unit; hovering it reports units of `node`.
CL.detailCanvas = function (values, h, w, cell, cls, hover) {
  const canvas = CL.el("canvas", { class: "map " + (cls || "") });
  // 1-D maps are line plots; 1-D kernels stay a strip of cells, like 2-D ones.
  CL.drawMap(canvas, values, h, w, h === 1 ? { width: 260, height: 60, strip: cls === "kernel" } : {});
  CL.scaleCanvas(canvas, cell);
  if (hover) {
    canvas.addEventListener("mousemove", (event) => hover(...CL.unitAt(canvas, event, h, w), canvas));
    canvas.addEventListener("mouseleave", () => CL.clearHover());
  }
  return canvas;
};

CL.figure = (canvas, caption) => CL.el("figure", {}, [CL.el("div", { class: "mapbox" }, [canvas]),
                                                     CL.el("figcaption", { text: caption })]);

CL.afterChain = function (node, c, cell) {
  return node.after.map((id) => {
    const next = CL.nodes[id], [h, w] = CL.hw(next);
    if (next.kind !== "map" || c >= next.shown) return CL.el("span", { class: "note", text: next.type + ": not stored" });
    const canvas = CL.detailCanvas(CL.nodeMap(next, CL.state.ex, c), h, w, cell, "after",
                                   (i, j, cv) => CL.hoverUnit(id, c, i, j, cv));
    return CL.el("span", { class: "chain" }, [CL.el("span", { class: "op", text: "\u2192" }),
                                               CL.figure(canvas, `after ${next.type} (${next.name})`)]);
  });
};

CL.convDetail = function (node, c, body) {
  const op = node.op, ex = CL.state.ex, [h, w] = CL.hw(node), [, perGroup, kh, kw] = op.weight.shape;
  const [x, C, Hp, Wp] = CL.opInput(op), weight = CL.unpack(op.weight);
  const bias = op.bias ? CL.unpack(op.bias)[c] : 0, cell = CL.bigCell(h, w, 110);
  body.appendChild(CL.el("p", { class: "note", text:
    `Filter ${c} has shape ${perGroup}\u00d7${CL.nd2(kh, kw)}: one ${CL.nd2(kh, kw)} slice for each of the ` +
    `${perGroup} input channels it reads, so it spans the full depth of its input. Stride ${op.stride[1]}, ` +
    `dilation ${op.dilation[1]}, padding ${op.pad[1]} (${op.padding_mode}), bias ${CL.fmt(bias)}. ` +
    `The same filter is used at every position (weight sharing).` }));
  const filter = CL.el("div", { class: "filter", id: "filter" });
  const kernels = [];
  for (let k = 0; k < perGroup; k++) {
    const slice = weight.subarray((c * perGroup + k) * kh * kw, (c * perGroup + k + 1) * kh * kw);
    const kc = CL.detailCanvas(slice, kh, kw, CL.bigCell(kh, kw, 44), "kernel");
    kc.dataset.cin = k; kc.dataset.kh = kh; kc.dataset.kw = kw;
    kernels.push(slice);
    filter.appendChild(CL.figure(kc, "in " + CL.convChannels(node, c)[k]));
  }
  body.appendChild(CL.el("h3", { text: "The filter, one slice per input channel" }));
  body.appendChild(filter);
  body.appendChild(CL.el("h3", { text: "Input channel \u2217 kernel slice = contribution (hover any map)" }));
  const rows = CL.el("div", { class: "rows" }), total = new Float64Array(h * w).fill(bias);
  const channels = CL.convChannels(node, c), inCell = CL.bigCell(Hp, Wp, 110);
  channels.forEach((cin, k) => {
    const part = CL.convContribution(node, ex, c, k);
    part.forEach((v, m) => { total[m] += v; });
    if (k >= 12) return;
    const xin = x.subarray((ex * C + cin) * Hp * Wp, (ex * C + cin + 1) * Hp * Wp);
    const inCanvas = CL.detailCanvas(xin, Hp, Wp, inCell, "slice");
    const hover = (i, j, cv) => CL.hoverUnit(node.id, c, i, j, cv);
    rows.appendChild(CL.el("div", { class: "row" }, [
      CL.figure(inCanvas, `input channel ${cin} (padded)`), CL.el("span", { class: "op", text: "\u2217" }),
      CL.figure(CL.detailCanvas(kernels[k], kh, kw, CL.bigCell(kh, kw, 44), "kernel"), "slice " + k),
      CL.el("span", { class: "op", text: "=" }),
      CL.figure(CL.detailCanvas(part, h, w, cell, "part", hover), "contribution"),
    ]));
  });
  if (channels.length > 12) rows.appendChild(CL.el("p", { class: "note", text:
    `${channels.length - 12} more input channels are not drawn; their contributions are in the sum.` }));
  body.appendChild(rows);
  CL.convSum(node, c, body, total, bias, cell);
};

CL.nd2 = (kh, kw) => CL.data.nd === 1 ? String(kw) : `${kh}\u00d7${kw}`;

CL.convSum = function (node, c, body, total, bias, cell) {
  const [h, w] = CL.hw(node), hover = (i, j, cv) => CL.hoverUnit(node.id, c, i, j, cv);
  const main = CL.detailCanvas(total, h, w, cell, "main", hover);
  main.id = "detail-main";
  body.appendChild(CL.el("h3", { text: "Sum of the contributions plus the bias, then the activation" }));
  body.appendChild(CL.el("div", { class: "row" }, [
    CL.el("span", { class: "op", text: `\u03a3 + ${CL.fmt(bias)} =` }),
    CL.figure(main, "map before activation"), ...CL.afterChain(node, c, cell)]));
  const steps = h * w, slider = CL.el("input", { type: "range", id: "step", min: 0, max: steps - 1, value: steps - 1 });
  const label = CL.el("span", { id: "step-text" });
  slider.addEventListener("input", () => CL.step(node, c, total, Number(slider.value), main, label));
  body.appendChild(CL.el("div", { class: "stepper" }, [
    CL.el("span", { text: "Step the convolution: " }), slider, label]));
};

// Slider position k: the kernel at output unit k (row by row), the output filled up to it.
CL.step = function (node, c, total, k, main, label) {
  const [h, w] = CL.hw(node), i = Math.floor(k / w), j = k % w;
  CL.drawMap(main, total, h, w, { filled: (m) => m <= k, scale: CL.peak(total), width: 260, height: 60 });
  CL.scaleCanvas(main, Number(main.dataset.cell));
  label.textContent = `position ${k + 1} of ${h * w}: output unit ${CL.data.nd === 1 ? j : `(${i}, ${j})`}`;
  CL.hoverUnit(node.id, c, i, j, main);
};

CL.poolDetail = function (node, c, body) {
  const op = node.op, ex = CL.state.ex, [h, w] = CL.hw(node), [x, C, Hp, Wp] = CL.opInput(op);
  const xin = x.subarray((ex * C + c) * Hp * Wp, (ex * C + c + 1) * Hp * Wp), winners = [];
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) {
      const win = CL.poolWindow(node, ex, c, i, j);
      const real = win.values.filter((v) => v !== null);
      if (win.winner >= 0 && Math.max(...real) > Math.min(...real)) {  // a tie has no winner
        const [y, xx] = win.positions[win.winner];
        winners.push((y + op.pad[0]) * Wp + xx + op.pad[1]);
      }
    }
  }
  const kind = op.op === "maxpool" ? "the largest" : "the mean";
  body.appendChild(CL.el("p", { class: "note", text:
    `Each output unit is ${kind} of a ${CL.nd2(...op.kernel)} window (stride ${op.stride[1]}) of input ` +
    `channel ${c}; each channel is pooled on its own.` + (op.op === "maxpool" ? " Outlined: the input that won each window (not drawn where all its numbers are equal)." : "") +
    " Move the input by a pixel and most winners stay in their windows: the output hardly changes." }));
  const cellIn = CL.bigCell(Hp, Wp, 200), input = CL.detailCanvas(xin, Hp, Wp, cellIn, "slice");
  input.id = "pool-input";
  const holder = CL.figure(input, "input channel " + c);
  const hover = (i, j, cv) => CL.hoverUnit(node.id, c, i, j, cv);
  const main = CL.detailCanvas(CL.nodeMap(node, ex, c), h, w, CL.bigCell(h, w, 200), "main", hover);
  main.id = "detail-main";
  body.appendChild(CL.el("div", { class: "row" }, [holder, CL.el("span", { class: "op", text: "\u2192" }),
                                                  CL.figure(main, "pooled map")]));
  requestAnimationFrame(() => winners.forEach((m, k) => {
    CL.outline(input, [Math.floor(m / Wp), m % Wp, 1, 1], Hp, Wp, "winner w" + k);
  }));
};

CL.plainDetail = function (node, c, body) {
  const ex = CL.state.ex, parts = [];
  node.inputs.forEach((id, k) => {
    const src = CL.nodes[id];
    if (k > 0) parts.push(CL.el("span", { class: "op", text: node.type.match(/cat/i) ? "," : "+" }));
    if (src.kind === "map" && c < src.shown && src.shown === node.shown) {
      const [h, w] = CL.hw(src);
      parts.push(CL.figure(CL.detailCanvas(CL.nodeMap(src, ex, c), h, w, CL.bigCell(h, w), "slice"),
                           `input: ${src.name} (${src.type}), map ${c}`));
    } else if (src.kind === "vector") {
      const canvas = CL.el("canvas", { class: "vector" });
      CL.drawVector(canvas, CL.nodeVector(src, ex), { width: 90, height: 200 });
      parts.push(CL.figure(canvas, `input: ${src.name} (${src.shape[0]} units)`));
    }
  });
  let out;
  if (node.kind === "map") {
    const [h, w] = CL.hw(node);
    out = CL.detailCanvas(CL.nodeMap(node, ex, c), h, w, CL.bigCell(h, w), "main",
                          (i, j, cv) => CL.hoverUnit(node.id, c, i, j, cv));
  } else {
    out = CL.el("canvas", { class: "vector" });
    CL.drawVector(out, CL.nodeVector(node, ex), { width: 90, height: 200 });
  }
  out.id = "detail-main";
  if (parts.length) parts.push(CL.el("span", { class: "op", text: "\u2192" }));
  parts.push(CL.figure(out, "output"));
  body.appendChild(CL.el("div", { class: "row" }, parts));
};

CL.openDetail = function (id, c) {
  const node = CL.nodes[id], section = document.getElementById("detail");
  CL.state.detail = { id: id, c: c };
  section.innerHTML = "";
  const what = node.kind === "map" ? `map ${c} of ${node.channels}` : `${node.shape[0]} units`;
  const close = CL.el("button", { class: "close", text: "close" });
  close.addEventListener("click", () => { section.hidden = true; CL.state.detail = null; });
  section.appendChild(CL.el("div", { class: "detail-head" }, [
    CL.el("h2", { id: "detail-title", text: `${node.name} (${node.type}) \u00b7 ${what}` }), close]));
  const body = CL.el("div", { class: "detail-body" });
  section.appendChild(body);
  section.hidden = false;
  if (node.op && node.op.op === "conv") CL.convDetail(node, c, body);
  else if (node.op) CL.poolDetail(node, c, body);
  else CL.plainDetail(node, c, body);
  document.querySelectorAll(".map.selected").forEach((m) => m.classList.remove("selected"));
  const picked = document.querySelector(`#columns canvas[data-node="${id}"][data-channel="${c}"]`);
  if (picked) picked.classList.add("selected");
};
