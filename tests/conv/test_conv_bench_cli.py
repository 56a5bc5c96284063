"""``convlens bench``: registered on a fresh parser, run in-process."""

from __future__ import annotations

import argparse
import json

import pytest

from convlens.commands import bench


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="convlens")
    bench.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.run(args)


def test_explain_prints_the_reasoning_for_every_layer(capsys):
    assert _run(["bench", "--explain"]) == 0
    out = capsys.readouterr().out
    for name, *_ in bench.LAYERS:
        assert f"[{name}]" in out
    assert out.count("choice: ") == len(bench.LAYERS)
    assert "winograd  unsupported: stride (2, 2)" in out


def test_layers_match_the_benchmark_configs():
    from pathlib import Path

    path = Path(__file__).parents[2] / "benchmarks" / "conv_configs.json"
    data = json.loads(path.read_text())
    configs = {c["name"]: c for key in ("conv2d", "conv1d") for c in data[key]}
    assert [name for name, *_ in bench.LAYERS] == list(configs)
    for name, x, w, stride, padding, groups in bench.LAYERS:
        c = configs[name]
        assert (list(x), list(w)) == (c["x"], c["w"])
        assert (stride, padding, groups) == (c.get("stride", 1), c.get("padding", 0),
                                             c.get("groups", 1))


def test_shape_and_configs_options(capsys, tmp_path):
    assert _run(["bench", "--explain", "--training", "--shape", "8,16,128,128",
                 "16,16,15,15", "--padding", "7"]) == 0
    out = capsys.readouterr().out
    assert "(forward + backward)" in out and "choice: fft" in out
    configs = tmp_path / "layers.json"
    configs.write_text(json.dumps({"conv1d": [{"name": "tiny", "x": [2, 1, 20],
                                               "w": [3, 1, 3], "padding": 1}]}))
    assert _run(["bench", "--configs", str(configs), "--repeats", "1"]) == 0
    assert capsys.readouterr().out.startswith("tiny         auto=")


def test_bad_arguments_are_reported():
    with pytest.raises(ValueError, match=r"--only names unknown layers \['nope'\]"):
        _run(["bench", "--explain", "--only", "nope"])
    with pytest.raises(ValueError, match=r"a shape must be comma-separated ints such as "
                                         r"8,16,128,128; got '8x16'"):
        _run(["bench", "--explain", "--shape", "8x16", "1,2,3"])
