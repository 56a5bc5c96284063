"""``cl.explain.explore`` in a real browser: headless Chromium, driven over the DevTools protocol
(see cdp_pipe.py), opens the page from a file URL; the test clicks and hovers with real mouse
events and checks what the page shows against the model, recomputed here in Python.

Needs the ``chromium`` binary (Debian/Ubuntu: ``apt-get install -y chromium``).
"""

import numpy as np
import pytest
from cdp_pipe import INSTALL_HINT, Browser, find_chromium

import convlens as cl
from convlens import nn
from convlens.explain.hooks import layers

CHROMIUM = find_chromium()
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason=INSTALL_HINT)

MODELS = ("lenet5", "mnist1d_cnn", "resnet_small", "onnx_resnet", "from_torch")


def _model(name, tmp_path_factory):
    """(model, examples (N, C, ...), labels) for each model the page must handle."""
    cl.manual_seed(0)
    rng = np.random.default_rng(0)
    if name == "lenet5":
        test = cl.data.load_dataset("mnist-5k")[1]
        return cl.models.create("lenet5"), test.x[:8], [int(y) for y in test.y[:8]]
    if name == "mnist1d_cnn":
        x = rng.standard_normal((4, 1, 40)).astype(np.float32)
        return cl.models.create("mnist1d_cnn", channels=8), x, None
    if name == "from_torch":
        torch = pytest.importorskip("torch")
        torch.manual_seed(0)
        tnn = torch.nn
        module = tnn.Sequential(tnn.Conv2d(1, 4, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
                                tnn.Conv2d(4, 6, 3), tnn.ReLU(), tnn.Flatten(),
                                tnn.Linear(6 * 5 * 5, 10))
        x = rng.random((3, 1, 14, 14)).astype(np.float32)
        return cl.interop.from_torch(module), x, None
    model = cl.models.create("resnet_small", width=4)
    for module in model.modules():  # BatchNorm with statistics that are not the identity
        if isinstance(module, nn.BatchNorm2d):
            module.running_mean._data[:] = rng.normal(0, 0.1, module.num_features)
            module.running_var._data[:] = rng.uniform(0.5, 2, module.num_features)
    x = rng.random((3, 3, 32, 32)).astype(np.float32)
    if name == "onnx_resnet":
        path = tmp_path_factory.mktemp("onnx") / "resnet.onnx"
        cl.interop.to_onnx(model, str(path), input_shape=(3, 32, 32))
        model = cl.interop.from_onnx(str(path))
    return model, x, None


@pytest.fixture(scope="module")
def browser():
    with Browser(CHROMIUM, width=1400, height=950) as chromium:
        yield chromium


@pytest.fixture(scope="module", params=MODELS)
def page(request, tmp_path_factory):
    model, x, labels = _model(request.param, tmp_path_factory)
    path = tmp_path_factory.mktemp("explore") / f"{request.param}.html"
    cl.explain.explore(model, x, labels=labels).save(path)
    return {"name": request.param, "model": model, "x": x, "path": path}


def _open(browser, page):
    if browser.evaluate("location.href") != page["path"].as_uri():
        browser.open(page["path"].as_uri())
        assert browser.console_errors() == []
    browser.evaluate("CL.selectExample(0), document.getElementById('detail').hidden = true, "
                     "CL.state.detail = null, window.scrollTo(0, 0)")


def _first(model, kinds):
    return next((name, module) for name, module in layers(model) if isinstance(module, kinds))


def _node_id(browser, name):
    return browser.evaluate(f"CL.data.nodes.find(n => n.name === {name!r}).id")


def _unit_point(browser, selector, i, j):
    """Scroll the canvas into view; the viewport point at the centre of its unit (i, j)."""
    box = browser.evaluate(
        f"(() => {{ const c = document.querySelector({selector!r}); "
        "c.scrollIntoView({block: 'center', inline: 'center'}); "
        "const r = c.getBoundingClientRect(); "
        "return [r.left, r.top, r.width, r.height, c.width, c.height, c.dataset.kind]; })()")
    left, top, width, height, w, h, kind = box
    rows, cols = (1, int(browser.evaluate(f"document.querySelector({selector!r}).dataset.units"))
                  ) if kind == "line" else (h, w)
    return left + (j + 0.5) * width / cols, top + (i + 0.5) * height / rows


def _conv_input(model, x, module):
    """The input the conv layer saw for one example, captured with a forward hook."""
    seen = []
    handle = module.register_forward_hook(lambda m, inputs, output: seen.append(
        (inputs[0].numpy().copy(), output.numpy().copy())))
    model.eval()
    with cl.no_grad():
        model(cl.tensor(x[None]))
    handle.remove()
    return seen[0]


def test_page_loads_offline_and_draws_everything(browser, page):
    browser.open(page["path"].as_uri())
    assert browser.console_errors() == []
    assert [u for u in browser.requested_urls() if not u.startswith("data:")] == [
        page["path"].as_uri()]
    assert browser.evaluate("document.body.dataset.ready") == "1"
    blank = browser.evaluate(
        "Array.from(document.querySelectorAll('canvas')).filter(c => { if (!c.width || "
        "!c.height) return true; const d = c.getContext('2d').getImageData(0, 0, c.width, "
        "c.height).data; for (let k = 3; k < d.length; k += 4) if (d[k]) return false; "
        "return true; }).length")
    assert blank == 0
    assert browser.evaluate("document.querySelectorAll('#columns canvas.map').length") > 10
    if "resnet" in page["name"]:  # three residual blocks: each adds a branch that skips ahead
        skips = browser.evaluate("document.querySelectorAll('#edges path.edge.skip').length")
        assert skips >= 3


def test_click_a_conv_map_opens_its_filter(browser, page):
    _open(browser, page)
    model = page["model"]
    name, conv = list((n, m) for n, m in layers(model) if isinstance(m, nn.Conv1d | nn.Conv2d))[1]
    node, channel = _node_id(browser, name), 2
    browser.click(*_unit_point(browser, f'#columns canvas[data-node="{node}"]'
                               f'[data-channel="{channel}"]', 0, 0))
    title = browser.evaluate("document.getElementById('detail-title').textContent")
    assert title == (f"{name} ({type(conv).__name__}) \u00b7 map {channel} of "
                     f"{conv.out_channels}")
    slices = browser.evaluate("Array.from(document.querySelectorAll('#filter canvas.kernel'), "
                              "c => [Number(c.dataset.kh), Number(c.dataset.kw)])")
    kernel = tuple(conv.kernel_size) if isinstance(conv, nn.Conv2d) else (1, conv.kernel_size[0])
    assert len(slices) == conv.in_channels // conv.groups
    assert all(tuple(s) == kernel for s in slices)


@pytest.mark.parametrize("which", [0, 1])
def test_hover_shows_the_exact_dot_product(browser, page, which):
    _open(browser, page)
    model, x = page["model"], page["x"]
    convs = [(n, m) for n, m in layers(model) if isinstance(m, nn.Conv1d | nn.Conv2d)]
    name, conv = convs[which]
    node, channel = _node_id(browser, name), 1
    inputs, outputs = _conv_input(model, x[0], conv)
    spatial = outputs.shape[2:]
    i, j = (spatial[0] // 2, spatial[1] // 2 + 1) if len(spatial) == 2 else (0, spatial[0] // 2)
    browser.mouse("moved", *_unit_point(browser, f'#columns canvas[data-node="{node}"]'
                                        f'[data-channel="{channel}"]', i, j))
    shown = browser.evaluate(
        "(() => { const p = document.getElementById('hoverinfo'); return {i: p.dataset.i, "
        "j: p.dataset.j, channels: Array.from(p.querySelectorAll('.dp-channel'), d => ({cin: "
        "Number(d.dataset.cin), w: Array.from(d.querySelectorAll('td.w'), t => t.dataset.v), "
        "k: Array.from(d.querySelectorAll('td.k'), t => Number(t.dataset.v))})), bias: "
        "p.querySelector('.dp-bias').textContent, value: "
        "p.querySelector('.dp-value').textContent}; })()")
    assert (int(shown["i"]), int(shown["j"])) == (i, j)
    # recompute from the model's weights and the layer's input
    padded = np.pad(inputs[0].astype(np.float64), [(0, 0)] + [(p, p) for p in conv.padding])
    weight = conv.weight.numpy()[channel].astype(np.float64)
    k = weight.shape[1:]
    at = (i, j) if len(spatial) == 2 else (j,)
    window = padded[(slice(None), *(slice(a * s, a * s + kk) for a, s, kk in
                                     zip(at, conv.stride, k)))]
    assert len(shown["channels"]) == conv.in_channels
    for row in shown["channels"]:
        np.testing.assert_allclose([float(v) for v in row["w"]], window[row["cin"]].ravel(),
                                   atol=1e-6)
        np.testing.assert_allclose(row["k"], weight[row["cin"]].ravel(), atol=1e-6)
    bias = 0.0 if conv.bias is None else float(conv.bias.numpy()[channel])
    expected = float((window * weight).sum()) + bias
    assert float(shown["bias"]) == pytest.approx(bias, abs=1e-6)
    assert float(shown["value"]) == pytest.approx(expected, abs=1e-4)
    assert float(shown["value"]) == pytest.approx(float(outputs[(0, channel, *at)]), abs=1e-4)


def test_receptive_field_outline_has_explains_size(browser, page):
    _open(browser, page)
    model, x = page["model"], page["x"]
    table = cl.explain.receptive_field(model, tuple(x.shape[1:]))
    rows = [r for r in table if r["type"] in ("Conv2d", "Conv1d", "MaxPool2d")
            and isinstance(r["size"], tuple)]
    if not rows:
        pytest.skip("receptive_field gives no sizes for this model's graph")
    row = rows[min(2, len(rows) - 1)]
    node = _node_id(browser, row["layer"])
    shape = row["output"][1:]
    i, j = (shape[0] // 2, shape[1] // 2) if len(shape) == 2 else (0, shape[0] // 2)
    browser.mouse("moved", *_unit_point(browser, f'#columns canvas[data-node="{node}"]', i, j))
    box = browser.evaluate("(() => { const d = document.querySelector('#columns .outline.rf'); "
                           "return [Number(d.dataset.h), Number(d.dataset.w), d.hidden]; })()")
    size = row["size"] if len(row["size"]) == 2 else (1, row["size"][0])
    assert tuple(box[:2]) == tuple(size) and box[2] is False


def test_switching_the_example_changes_maps_and_probabilities(browser, page):
    _open(browser, page)
    model, x = page["model"], page["x"]
    canvas = "#columns canvas.map"
    before = browser.evaluate(f"document.querySelector({canvas!r}).toDataURL()")
    left, top = browser.evaluate("(() => { const b = document.querySelector("
                                 "'[data-example=\"1\"]'); const r = b.getBoundingClientRect(); "
                                 "return [r.left + r.width / 2, r.top + r.height / 2]; })()")
    browser.click(left, top)
    assert browser.evaluate(f"document.querySelector({canvas!r}).toDataURL()") != before
    shown = browser.evaluate("Array.from(document.querySelectorAll('.prob'), "
                             "r => Number(r.dataset.p))")
    model.eval()
    with cl.no_grad():
        expected = model(cl.tensor(x[1:2])).softmax(dim=1).numpy()[0]
    np.testing.assert_allclose(shown, expected, atol=1e-5)


def test_max_pool_hover_shows_the_winning_input(browser, tmp_path, tmp_path_factory):
    model, x, labels = _model("lenet5", tmp_path_factory)
    path = tmp_path / "lenet5.html"
    cl.explain.explore(model, x[:2], attribution=False).save(path)
    browser.open(path.as_uri())
    name, pool = _first(model, nn.MaxPool2d)
    seen = []
    handle = pool.register_forward_hook(lambda m, inputs, out: seen.append(inputs[0].numpy()))
    with cl.no_grad():
        model.eval()(cl.tensor(x[:1]))
    handle.remove()
    node = _node_id(browser, name)
    browser.mouse("moved", *_unit_point(browser, f'#columns canvas[data-node="{node}"]'
                                        '[data-channel="0"]', 6, 7))
    text = browser.evaluate("document.querySelector('#hoverinfo .pool-result').textContent")
    window = seen[0][0, 0, 12:14, 14:16]
    a, b = np.unravel_index(np.argmax(window), window.shape)
    assert f"won by input unit ({12 + a}, {14 + b})" in text
    assert browser.evaluate("document.querySelectorAll('#hoverinfo td.winner').length") == 1


def _odd_model():
    cl.manual_seed(1)
    return nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=2, dilation=2, groups=2, padding_mode="circular"),
        nn.ReLU(), nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True),
        nn.Conv2d(4, 3, (3, 2), stride=(2, 1), padding=1, bias=False),
        nn.AvgPool2d(2, padding=1, count_include_pad=False))


@pytest.mark.parametrize("rank", [1, 2])
def test_every_unit_of_odd_layers_is_recomputed_exactly(browser, tmp_path, rank):
    """The page's arithmetic, for every unit of every conv and pool layer, equals the layers'
    own outputs: strides, dilation, groups, circular padding, ceil_mode and pool padding."""
    if rank == 2:
        model = _odd_model()
        x = np.random.default_rng(2).standard_normal((2, 2, 11, 9)).astype(np.float32)
    else:
        cl.manual_seed(3)
        model = nn.Sequential(nn.Conv1d(2, 4, 3, stride=2, dilation=2, padding=3, groups=2,
                                        padding_mode="reflect"), nn.MaxPool1d(2, padding=1),
                              nn.Conv1d(4, 2, 1))
        x = np.random.default_rng(4).standard_normal((2, 2, 23)).astype(np.float32)
    seen = {}
    handles = [m.register_forward_hook(lambda m, i, o, name=name: seen.__setitem__(
        name, o.numpy().copy())) for name, m in layers(model)]
    model.eval()
    with cl.no_grad():
        model(cl.tensor(x))
    for handle in handles:
        handle.remove()
    path = tmp_path / "odd.html"
    cl.explain.explore(model, x, attribution=False).save(path)
    browser.open(path.as_uri())
    assert browser.console_errors() == []
    computed = browser.evaluate(
        "CL.data.nodes.filter(n => n.op).map(n => { const [h, w] = CL.hw(n), out = []; "
        "for (let ex = 0; ex < CL.data.examples.length; ex++) for (let c = 0; c < n.shown; c++)"
        " for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) out.push(n.op.op === 'conv'"
        " ? CL.convDot(n, ex, c, i, j).value : CL.poolWindow(n, ex, c, i, j).value); "
        "return [n.name, out]; })")
    assert {name for name, _ in computed} == {name for name, m in layers(model) if isinstance(
        m, nn.Conv1d | nn.Conv2d | nn.MaxPool1d | nn.MaxPool2d | nn.AvgPool2d)}
    for name, values in computed:
        np.testing.assert_allclose(values, seen[name].ravel(), atol=1e-5, err_msg=name)
