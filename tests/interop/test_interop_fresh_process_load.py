"""A saved ONNX-imported graph loads in a fresh process that never imported convlens.interop."""

import subprocess
import sys

import pytest

import convlens as cl


def test_imported_graph_loads_in_a_fresh_process(tmp_path):
    pytest.importorskip("onnx")
    from convlens import interop

    model = cl.models.create("resnet_small", width=4)
    model.eval()
    interop.to_onnx(model, tmp_path / "r.onnx", (3, 16, 16))
    graph = interop.from_onnx(tmp_path / "r.onnx")
    assert type(graph).__module__.startswith("convlens.interop")
    cl.save(graph, tmp_path / "g.convlens")
    script = ("import sys, numpy as np, convlens as cl\n"
              f"m = cl.load({str(tmp_path / 'g.convlens')!r})\n"
              "x = cl.tensor(np.ones((1, 3, 16, 16), np.float32))\n"
              "print(type(m).__name__, m(x).shape)\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Graph (1, 10)"
