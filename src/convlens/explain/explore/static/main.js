// Start-up and redrawing: pick an example, draw every map for it, keep the detail in step.

CL.overlayFor = function () {
  const a = CL.data.attribution, ex = CL.state.ex, k = CL.state.cls;
  if (!a) return null;
  const pick = CL.state.gradcam ? a.gradcam : CL.state.saliency ? a.saliency : null;
  if (!pick || !pick[ex] || !pick[ex][k]) return null;
  return CL.unpack(pick[ex][k]);
};

CL.drawAll = function () {
  const ex = CL.state.ex;
  document.querySelectorAll("#columns canvas.map").forEach((canvas) => {
    const node = CL.nodes[canvas.dataset.node], [h, w] = CL.hw(node);
    CL.drawMap(canvas, CL.nodeMap(node, ex, Number(canvas.dataset.channel)), h, w,
               { width: 84, height: node.shown <= 8 ? 34 : 22 });
    CL.scaleCanvas(canvas, Number(canvas.dataset.cell));
  });
  document.querySelectorAll("#columns canvas.vector").forEach((canvas) => {
    CL.drawVector(canvas, CL.nodeVector(CL.nodes[canvas.dataset.node], ex), { width: 56, height: 150 });
  });
  const picture = document.querySelector("#columns canvas.picture"), [H, W] = CL.hw(CL.nodes[0]);
  CL.drawPicture(picture, ex, CL.overlayFor());
  CL.scaleCanvas(picture, H === 1 ? 1 : Math.max(1, Math.floor(96 / Math.max(H, W))));
  CL.drawProbabilities();
  const a = CL.data.attribution, note = document.getElementById("attribution-note");
  note.textContent = !a ? "(not computed for this page)" :
    (CL.state.gradcam && !a.layer ? "(Grad-CAM needs a conv layer)" :
      CL.state.gradcam ? `(Grad-CAM at layer ${a.layer})` : "");
  document.querySelectorAll(".example").forEach((b) => b.classList.toggle("current", Number(b.dataset.example) === ex));
};

CL.drawProbabilities = function () {
  const example = CL.data.examples[CL.state.ex], names = CL.data.classes;
  document.getElementById("selected-class").textContent = names[CL.state.cls] === undefined ? "-" : names[CL.state.cls];
  document.querySelectorAll(".prob").forEach((row) => {
    const k = Number(row.dataset.class), p = example.probs ? example.probs[k] : 0;
    row.dataset.p = p;
    row.querySelector(".prob-fill").style.width = (100 * p).toFixed(1) + "%";
    row.querySelector(".prob-value").textContent = p.toFixed(3);
    row.classList.toggle("predicted", k === example.pred);
    row.classList.toggle("true-class", k === example.label);
    row.classList.toggle("selected", k === CL.state.cls);
  });
};

CL.selectExample = function (ex) {
  CL.state.ex = ex;
  const example = CL.data.examples[ex];
  CL.state.cls = example.pred === null ? 0 : example.pred;
  CL.drawAll();
  if (CL.state.detail) CL.openDetail(CL.state.detail.id, CL.state.detail.c);
};

CL.start = function () {
  document.getElementById("title").textContent = CL.data.title;
  CL.buildStrip();
  CL.buildOverview();
  ["saliency", "gradcam"].forEach((kind) => {
    const box = document.getElementById("show-" + kind);
    box.addEventListener("change", () => {
      CL.state[kind] = box.checked;
      const other = document.getElementById("show-" + (kind === "saliency" ? "gradcam" : "saliency"));
      if (box.checked && other.checked) { other.checked = false; CL.state[other.id.slice(5)] = false; }
      CL.drawAll();
    });
  });
  CL.selectExample(0);
  CL.drawEdges();
  window.addEventListener("resize", CL.drawEdges);
  document.body.dataset.ready = "1";
};

CL.start();
