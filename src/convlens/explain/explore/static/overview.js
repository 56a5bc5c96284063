// The overview: one column per layer, left to right, with the edges between them, the strip
// of examples above and the class probabilities at the end.

CL.shapeText = (shape) => shape.join("\u00d7");

// CSS pixels per unit for a column of `count` maps of h x w units.
CL.cellFor = function (count, h, w) {
  const target = count <= 8 ? 56 : count <= 16 ? 38 : 26;
  return Math.max(1, Math.min(12, Math.floor(target / Math.max(h, w))));
};

CL.columnHeader = function (node) {
  const merge = node.inputs.length > 1 ? (node.type.match(/cat/i) ? "stacks " : "adds ") +
    node.inputs.length + " inputs" : "";
  return CL.el("div", { class: "col-head", title: `${node.name} (${node.type}), output ${CL.shapeText(node.shape)}` }, [
    CL.el("div", { class: "col-name", text: node.id === 0 ? "input" : node.name }),
    CL.el("div", { class: "col-type", text: node.type + (merge ? " \u00b7 " + merge : "") }),
    CL.el("div", { class: "col-shape", text: CL.shapeText(node.shape) }),
  ]);
};

CL.mapCanvas = function (node, c, cell) {
  const canvas = CL.el("canvas", { class: "map", "data-node": node.id, "data-channel": c,
                                   title: `${node.name}: map ${c}` });
  canvas.dataset.cell = cell;
  canvas.addEventListener("click", () => CL.openDetail(node.id, c));
  canvas.addEventListener("mousemove", (event) => {
    const [h, w] = CL.hw(node), [i, j] = CL.unitAt(canvas, event, h, w);
    CL.hoverUnit(node.id, c, i, j, canvas);
  });
  canvas.addEventListener("mouseleave", () => CL.clearHover());
  return CL.el("div", { class: "mapbox" }, [canvas]);
};

CL.inputColumn = function (col) {
  const canvas = CL.el("canvas", { class: "picture", "data-node": 0, title: "input" });
  col.appendChild(CL.el("div", { class: "mapbox picture-box" }, [canvas]));
  canvas.addEventListener("mousemove", (event) => {
    const [h, w] = CL.hw(CL.nodes[0]), [i, j] = CL.unitAt(canvas, event, h, w);
    CL.hoverUnit(0, 0, i, j, canvas);
  });
  canvas.addEventListener("mouseleave", () => CL.clearHover());
};

CL.outputColumn = function (col) {
  const list = CL.el("div", { class: "probs" });
  CL.data.classes.forEach((name, k) => {
    const row = CL.el("div", { class: "prob", "data-class": k, title: "show attribution for " + name }, [
      CL.el("span", { class: "prob-name", text: name }),
      CL.el("span", { class: "prob-bar" }, [CL.el("span", { class: "prob-fill" })]),
      CL.el("span", { class: "prob-value" }),
    ]);
    row.addEventListener("click", () => { CL.state.cls = k; CL.drawAll(); });
    list.appendChild(row);
  });
  col.appendChild(CL.el("div", { class: "col-sub", text: "class probabilities" }));
  col.appendChild(list);
};

CL.buildColumn = function (node) {
  const col = CL.el("div", { class: "col", id: "col-" + node.id, "data-node": node.id });
  col.appendChild(CL.columnHeader(node));
  if (node.id === 0) CL.inputColumn(col);
  else if (node.kind === "map") {
    const [h, w] = CL.hw(node), cell = CL.cellFor(node.shown, h, w);
    const grid = CL.el("div", { class: "maps" });
    grid.style.gridTemplateColumns = `repeat(${node.shown > 48 ? 4 : node.shown > 16 ? 2 : 1}, auto)`;
    for (let c = 0; c < node.shown; c++) grid.appendChild(CL.mapCanvas(node, c, cell));
    col.appendChild(grid);
    if (node.shown < node.channels) {
      col.appendChild(CL.el("div", { class: "note", text: `${node.shown} of ${node.channels} maps` }));
    }
  } else if (node.kind === "vector" && node.id !== CL.data.output) {
    const canvas = CL.el("canvas", { class: "vector", "data-node": node.id, title: node.name });
    canvas.addEventListener("click", () => CL.openDetail(node.id, 0));
    col.appendChild(CL.el("div", { class: "mapbox" }, [canvas]));
  } else if (node.id !== CL.data.output) {
    col.appendChild(CL.el("div", { class: "note", text: "not stored" }));
  }
  if (node.id === CL.data.output) { CL.outputColumn(col); col.dataset.wide = "1"; }
  return col;
};

CL.buildOverview = function () {
  const columns = document.getElementById("columns");
  CL.data.nodes.forEach((node) => columns.appendChild(CL.buildColumn(node)));
  const list = document.getElementById("left-out");
  CL.data.left_out.forEach((text) => list.appendChild(CL.el("li", { text: "Left out: " + text })));
};

// Edges between columns: a short arrow to the next column, an arc over the columns for a
// skip connection or a branch that joins later.
CL.drawEdges = function () {
  const svg = document.getElementById("edges"), net = document.getElementById("network");
  const box = net.getBoundingClientRect(), order = CL.data.nodes.map((n) => n.id);
  svg.setAttribute("width", net.scrollWidth); svg.setAttribute("height", net.scrollHeight);
  svg.innerHTML = "";
  const ns = "http://www.w3.org/2000/svg";
  CL.data.nodes.forEach((node) => {
    node.inputs.forEach((src) => {
      const a = document.getElementById("col-" + src), b = document.getElementById("col-" + node.id);
      if (!a || !b) return;
      const ha = a.querySelector(".col-head").getBoundingClientRect();
      const hb = b.querySelector(".col-head").getBoundingClientRect();
      const x1 = ha.right - box.left + net.scrollLeft, x2 = hb.left - box.left + net.scrollLeft;
      const y = ha.top - box.top + 6;
      const skip = order.indexOf(node.id) - order.indexOf(src) > 1;
      const path = document.createElementNS(ns, "path");
      const lift = Math.min(34, 12 + 3 * (order.indexOf(node.id) - order.indexOf(src)));
      path.setAttribute("d", skip
        ? `M${x1 - 14},${y} C${x1 - 14},${y - lift} ${x2 + 10},${y - lift} ${x2 + 10},${y}`
        : `M${x1},${ha.top - box.top + ha.height / 2} L${x2},${hb.top - box.top + hb.height / 2}`);
      path.setAttribute("class", skip ? "edge skip" : "edge");
      path.dataset.from = src; path.dataset.to = node.id;
      svg.appendChild(path);
    });
  });
};

CL.buildStrip = function () {
  const strip = document.getElementById("strip");
  CL.data.examples.forEach((example, ex) => {
    const canvas = CL.el("canvas", { class: "thumb" });
    CL.drawPicture(canvas, ex, null);
    if (CL.data.nd === 1) canvas.classList.add("line");
    const cls = CL.data.classes, wrong = example.label !== null && example.pred !== null && example.label !== example.pred;
    const text = (example.pred === null ? "" : "predicted " + cls[example.pred] + " (" +
      example.probs[example.pred].toFixed(2) + ")") +
      (example.label === null ? "" : (wrong ? ", true " : ", correct: ") + cls[example.label]);
    const item = CL.el("button", { class: "example" + (wrong ? " wrong" : ""), "data-example": ex, title: text },
      [canvas, CL.el("span", { class: "example-text", text: text })]);
    item.addEventListener("click", () => CL.selectExample(ex));
    strip.appendChild(item);
  });
};
