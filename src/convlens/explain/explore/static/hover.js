// Hovering a unit: its receptive field outlined on the input and on the layer before, and in
// the side panel the numbers behind it (a conv's dot product, a pool's window).

CL.grid = function (values, rows, cols, cls, winner) {
  const table = CL.el("table", { class: "grid " + cls });
  for (let a = 0; a < rows; a++) {
    const tr = CL.el("tr");
    for (let b = 0; b < cols; b++) {
      const k = a * cols + b;
      const v = values[k], td = CL.el("td", { class: cls + (k === winner ? " winner" : ""), text: CL.cellText(v),
                                              title: CL.fmt(v) });
      td.dataset.v = v === null ? "pad" : String(v);
      tr.appendChild(td);
    }
    table.appendChild(tr);
  }
  return table;
};

CL.convPanel = function (node, c, i, j, panel) {
  const dot = CL.convDot(node, CL.state.ex, c, i, j), shown = 4;
  const channels = dot.channels.map((ch) => CL.el("div", { class: "dp-channel", "data-cin": ch.cin }, [
    CL.el("div", { class: "dp-label" }, [`input channel ${ch.cin}: window \u00b7 kernel = `,
                                         CL.el("span", { class: "dp-partial", text: CL.fmt(ch.partial) })]),
    CL.el("div", { class: "dp-grids" }, [CL.grid(ch.window, dot.kh, dot.kw, "w"),
                                         CL.el("span", { class: "op", text: "\u00b7" }), CL.grid(ch.kernel, dot.kh, dot.kw, "k")]),
  ]));
  const list = CL.el("div", { class: "dp" }, channels.slice(0, shown));
  if (channels.length > shown) {
    list.appendChild(CL.el("details", {}, [CL.el("summary", { text: `${channels.length - shown} more input channels` }),
                                           ...channels.slice(shown)]));
  }
  panel.appendChild(CL.el("p", { class: "note", text: "window of the input (padded) \u00b7 kernel slice, summed over " +
                                 dot.channels.length + " input channel(s):" }));
  panel.appendChild(list);
  panel.appendChild(CL.el("p", { class: "dp-total" }, [
    "\u03a3 = ", CL.el("span", { class: "dp-sum", text: CL.fmt(dot.sum) }),
    dot.hasBias ? " + bias " : " (no bias) + ", CL.el("span", { class: "dp-bias", text: CL.fmt(dot.bias) }),
    " = value ", CL.el("b", { class: "dp-value", text: CL.fmt(dot.value) })]));
};

CL.poolPanel = function (node, c, i, j, panel) {
  const win = CL.poolWindow(node, CL.state.ex, c, i, j);
  panel.appendChild(CL.grid(win.values, win.kh, win.kw, "w", win.winner));
  const text = win.winner >= 0
    ? `max = ${CL.fmt(win.value)}, won by input unit (${win.positions[win.winner].join(", ")})`
    : `mean = ${CL.fmt(win.value)}`;
  panel.appendChild(CL.el("p", { class: "pool-result", text: text }));
};

CL.valueOf = function (node, c, i, j) {
  if (node.id === 0 || node.kind !== "map") return null;
  const [, w] = CL.hw(node);
  return CL.nodeMap(node, CL.state.ex, c)[i * w + j];
};

// Outline unit (i, j)'s receptive field on the input picture and its window on the maps of
// the layer before (in the overview), and on the padded input slices of an open detail.
CL.drawOutlines = function (node, i, j) {
  const picture = document.querySelector("#columns canvas.picture"), [H, W] = CL.hw(CL.nodes[0]);
  const rf = CL.receptiveBox(node, i, j);
  CL.outline(picture, node.id === 0 ? [i, j, 1, 1] : rf, H, W, "rf");
  const prev = node.inputs.length ? CL.nodes[node.inputs[0]] : null;
  if (prev && prev.kind === "map") {
    const box = CL.previousBox(node, prev, i, j), [h, w] = CL.hw(prev);
    document.querySelectorAll(`#columns canvas[data-node="${prev.id}"]`).forEach((cv) => CL.outline(cv, box, h, w, "prev"));
  }
  if (node.op && CL.state.detail && CL.state.detail.id === node.id) {
    const [, , Hp, Wp] = CL.opInput(node.op), k = node.op.op === "conv" ? node.op.weight.shape.slice(2) : node.op.kernel;
    const box = [i * node.op.stride[0], j * node.op.stride[1], node.op.dilation[0] * (k[0] - 1) + 1,
                 node.op.dilation[1] * (k[1] - 1) + 1];
    document.querySelectorAll("#detail canvas.slice").forEach((cv) => CL.outline(cv, box, Hp, Wp, "win"));
  }
  return rf;
};

CL.hoverUnit = function (id, c, i, j, canvas) {
  const node = CL.nodes[id], panel = document.getElementById("hoverinfo");
  const where = CL.data.nd === 1 ? `position ${j}` : `unit (${i}, ${j})`;
  panel.innerHTML = "";
  panel.dataset.node = id; panel.dataset.channel = c; panel.dataset.i = i; panel.dataset.j = j;
  panel.appendChild(CL.el("h3", { text: `${id === 0 ? "input" : node.name} (${node.type}), map ${c}, ${where}` }));
  const value = CL.valueOf(node, c, i, j), exact = !!node.op;
  if (value !== null && !exact) {
    panel.appendChild(CL.el("p", { class: "stored", text: "value \u2248 " + CL.fmt(value) + " (maps are stored with 8 bits)" }));
  }
  const rf = CL.drawOutlines(node, i, j);
  if (id !== 0) {
    panel.appendChild(CL.el("p", { class: "rf-text", text: rf
      ? `Receptive field: ${CL.nd2(rf[2], rf[3])} input pixels (outlined on the input); the window it reads is outlined on the layer before.`
      : "Receptive field: not known for this layer." }));
  }
  if (node.op && node.op.op === "conv") CL.convPanel(node, c, i, j, panel);
  else if (node.op) CL.poolPanel(node, c, i, j, panel);
  if (canvas) CL.outline(canvas, [i, j, 1, 1], ...CL.hw(node), "cursor");
  panel.hidden = false;
};

CL.clearHover = function () {
  document.querySelectorAll(".outline.rf, .outline.prev, .outline.cursor, .outline.win").forEach((d) => { d.hidden = true; });
};
