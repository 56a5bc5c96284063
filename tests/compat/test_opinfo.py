"""PyTorch's own OpInfo sample inputs, run through convlens: forward and gradient, float64.

For every entry of ``torch.testing._internal.common_methods_invocations.op_db`` that convlens
has (a ``torch.nn.functional`` op in ``convlens.functional``, a torch function in
``convlens``, or a Tensor method), every float64 sample input goes through both libraries.
Outputs must agree (values, shapes, dtypes), and so must the gradients of
``sum(output * r)`` for a fixed random ``r`` with respect to every float input.

A sample convlens refuses (raises on) while torch accepts it is a *refusal*. Each one must
match an entry of ``REFUSALS`` below, with its reason; ``docs/functional.md`` mirrors the list.
The test fails on any mismatch and on any refusal the list does not explain.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

import convlens as cl
from convlens import functional as F

torch = pytest.importorskip("torch")
pytest.importorskip("expecttest")  # torch's testing internals import it

RTOL, ATOL = 1e-6, 1e-7
MAX_SAMPLES = 40  # per op: the first ones torch yields (deterministic, seeded)

# Ops whose output is random or uninitialised: only shape and dtype are compared.
UNCHECKED_VALUES = {"rand_like", "randn_like", "randn", "randint", "empty", "empty_like",
                    "new_empty", "nn.functional.dropout", "nn.functional.dropout1d",
                    "nn.functional.dropout2d", "nn.functional.dropout3d",
                    "nn.functional.alpha_dropout", "nn.functional.feature_alpha_dropout",
                    "nn.functional.rrelu", "nn.functional.fractional_max_pool2d"}
# op_db entries left out, and why.
SKIPPED = {
    "to": "its samples move tensors between devices and memory formats",
    "half": "float16 arithmetic is outside convlens's float32/float64 promise",
    "bmm:triton_optimized": "a GPU kernel variant of bmm",
}

# (op key, message pattern, reason): refusals of inputs torch accepts, each with its reason.
# Empty: every refusal found by the first run (unbatched nll_loss, negative padding, 1-tuple pool
# padding, batch_norm's momentum check and (0,) input, softmax's dtype= and empty axes) is fixed.
REFUSALS: list[tuple[str, str, str]] = []
# (op key, what differs, reason): known value mismatches. Empty: the ReLU gradient at NaN
# now passes NaN through, as torch's does.
MISMATCHES_BEING_FIXED: list[tuple[str, str]] = []


@dataclass
class Tally:
    samples: int = 0
    refused: list[str] = field(default_factory=list)
    unexplained: list[str] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)
    known: list[str] = field(default_factory=list)


def _key(op) -> str:
    return op.name + (f":{op.variant_test_name}" if op.variant_test_name else "")


def _matches(pattern_key: str, key: str) -> bool:
    return pattern_key == key or (pattern_key.endswith(":*")
                                  and key.split(":")[0] == pattern_key[:-2])


def _convlens_callable(op) -> Callable[..., Any] | None:
    """The convlens function that plays ``op``: F.<name>, cl.<name>, or the Tensor method."""
    name = op.name
    if name == "nn.functional.embedding":  # op_db's samples put the weight first
        return lambda weight, indices, **kwargs: F.embedding(indices, weight, **kwargs)
    if name.startswith("nn.functional."):
        return getattr(F, name.rpartition(".")[2], None)
    if name in ("softmax", "log_softmax"):
        return getattr(F, name)
    if name == "T":
        return lambda x: x.T
    function = getattr(torch, name, None)
    if function is op.op and callable(getattr(cl, name, None)) and not name.startswith("_"):
        return getattr(cl, name)
    if name.endswith("_") and hasattr(cl.Tensor, name):  # torch runs in-place ops on a clone
        return lambda x, *args, **kwargs: getattr(x.clone(), name)(*args, **kwargs)
    if hasattr(cl.Tensor, name):
        return lambda x, *args, **kwargs: getattr(x, name)(*args, **kwargs)
    return None


def selected_ops() -> list:
    from torch.testing._internal.common_methods_invocations import op_db

    ops = []
    for op in op_db:
        key = _key(op)
        if key in SKIPPED or op.name in SKIPPED or _convlens_callable(op) is None:
            continue
        if torch.float64 in op.supported_dtypes("cpu"):
            ops.append(op)
    return ops


def _to_cl(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        array = value.detach().numpy().copy()
        return cl.tensor(array, requires_grad=value.requires_grad)
    if isinstance(value, torch.dtype):
        return np.dtype(str(value).replace("torch.", ""))
    if isinstance(value, torch.device):
        return str(value)
    if isinstance(value, torch.Size):
        return tuple(value)
    if isinstance(value, list | tuple):
        return type(value)(_to_cl(v) for v in value)
    if isinstance(value, dict):
        return {k: _to_cl(v) for k, v in value.items()}
    return value


def _leaves(value: Any, found: list) -> list:
    if isinstance(value, torch.Tensor | cl.Tensor):
        if value.requires_grad:
            found.append(value)
    elif isinstance(value, list | tuple):
        for v in value:
            _leaves(v, found)
    elif isinstance(value, dict):
        for v in value.values():
            _leaves(v, found)
    return found


def _flat(out: Any) -> list:
    return [o for part in out for o in _flat(part)] if isinstance(out, list | tuple) else [out]


def _compare(name: str, expected: Any, got: Any) -> str | None:
    """None if ``got`` (convlens) equals ``expected`` (torch), else what differs."""
    if isinstance(expected, torch.Tensor):
        if not isinstance(got, cl.Tensor):
            return f"{name}: expected a tensor, got {type(got).__name__}"
        want = expected.detach().numpy()
        if tuple(want.shape) != tuple(got.shape):
            return f"{name}: shape {tuple(got.shape)} != torch {tuple(want.shape)}"
        if want.dtype != got.dtype:
            return f"{name}: dtype {got.dtype} != torch {want.dtype}"
        if not np.allclose(got.numpy(), want, rtol=RTOL, atol=ATOL, equal_nan=True):
            worst = np.nanmax(np.abs(got.numpy().astype(float) - want.astype(float)))
            return f"{name}: values differ (max abs diff {worst:.3g})"
        return None
    if isinstance(got, cl.Tensor):
        return f"{name}: expected {type(expected).__name__}, got a tensor"
    if expected != got:
        return f"{name}: {got!r} != torch {expected!r}"
    return None


def _gradients(t_out: list, c_out: list, t_leaves: list, c_leaves: list, seed: int) -> list:
    """Differences between the gradients of sum(out * r) in both libraries."""
    pairs = [(t, c) for t, c in zip(t_out, c_out)
             if isinstance(t, torch.Tensor) and t.requires_grad and t.dtype.is_floating_point]
    if not pairs or not t_leaves:
        return []
    if any(not (isinstance(c, cl.Tensor) and c.requires_grad) for _, c in pairs):
        return ["gradient: convlens output does not require grad"]
    rng = np.random.default_rng(seed)
    weights = [rng.standard_normal(tuple(t.shape)) for t, _ in pairs]
    expected = torch.autograd.grad([t for t, _ in pairs], t_leaves,
                                   [torch.tensor(w) for w in weights], allow_unused=True)
    got = cl.autograd.grad([c for _, c in pairs], c_leaves, [cl.tensor(w) for w in weights],
                           allow_unused=True)
    problems = []
    for i, (want, have) in enumerate(zip(expected, got)):
        want = torch.zeros_like(t_leaves[i]) if want is None else want
        have = cl.zeros_like(c_leaves[i]) if have is None else have
        problem = _compare(f"grad[{i}]", want, have)
        if problem:
            problems.append(problem)
    return problems


def run_sample(op, fn, sample, seed: int) -> tuple[str, str | None]:
    """("ok" | "refused" | "mismatch" | "torch-refused", detail) for one sample."""
    args = (sample.input, *sample.args)
    try:
        expected = op.op(*args, **sample.kwargs)
    except Exception as error:  # noqa: BLE001 - torch refusing its own sample: not ours
        return "torch-refused", f"{type(error).__name__}: {error}"
    c_args, c_kwargs = _to_cl(args), _to_cl(sample.kwargs)
    try:
        got = fn(*c_args, **c_kwargs)
    except Exception as error:  # noqa: BLE001 - any convlens refusal is recorded
        return "refused", f"{type(error).__name__}: {error}"
    t_out, c_out = _flat(expected), _flat(got)
    if len(t_out) != len(c_out):
        return "mismatch", f"{len(c_out)} outputs != torch {len(t_out)}"
    key = _key(op)
    problems = []
    for i, (t, c) in enumerate(zip(t_out, c_out)):
        if key in UNCHECKED_VALUES or op.name in UNCHECKED_VALUES:
            if isinstance(t, torch.Tensor) and (tuple(t.shape) != tuple(c.shape)):
                problems.append(f"out[{i}]: shape {tuple(c.shape)} != {tuple(t.shape)}")
            continue
        problem = _compare(f"out[{i}]", t, c)
        if problem:
            problems.append(problem)
    if not problems and key not in UNCHECKED_VALUES and op.name not in UNCHECKED_VALUES:
        try:
            problems = _gradients(t_out, c_out, _leaves(args, []) + _leaves(sample.kwargs, []),
                                  _leaves(c_args, []) + _leaves(c_kwargs, []), seed)
        except Exception as error:  # noqa: BLE001 - a failing backward is a refusal
            return "refused", f"backward: {type(error).__name__}: {error}"
    return ("mismatch", "; ".join(problems)) if problems else ("ok", None)


def _describe(sample) -> str:
    shape = tuple(sample.input.shape) if isinstance(sample.input, torch.Tensor) else sample.input
    return f"input {shape}, args {sample.args!r:.80}, kwargs {sample.kwargs!r:.80}"


def _allowed(key: str, detail: str, table) -> bool:
    return any(_matches(k, key) and re.search(pattern, detail)
               for k, pattern, _ in table)


def run_op(op, tally: Tally) -> None:
    fn = _convlens_callable(op)
    key = _key(op)
    torch.manual_seed(0)
    samples = itertools.islice(op.sample_inputs("cpu", torch.float64, requires_grad=True),
                               MAX_SAMPLES)
    for n, sample in enumerate(samples):
        outcome, detail = run_sample(op, fn, sample, seed=n)
        if outcome == "torch-refused":
            continue
        tally.samples += 1
        where = f"{key} [{_describe(sample)}]: {detail}"
        if outcome == "refused":
            (tally.refused if _allowed(key, detail, REFUSALS) else tally.unexplained
             ).append(where)
        elif outcome == "mismatch":
            known = any(_matches(k, key) for k, _ in MISMATCHES_BEING_FIXED)
            (tally.known if known else tally.mismatches).append(where)


def test_the_harness_reports_a_wrong_op_and_a_refusal():
    from torch.testing._internal.common_methods_invocations import op_db

    op = next(o for o in op_db if o.name == "exp")
    sample = next(iter(op.sample_inputs("cpu", torch.float64, requires_grad=True)))
    assert run_sample(op, cl.exp, sample, seed=0) == ("ok", None)
    outcome, detail = run_sample(op, lambda x: x.exp() * 1.001, sample, seed=0)
    assert outcome == "mismatch" and "values differ" in detail
    outcome, detail = run_sample(op, lambda x: x.detach().exp() + 0 * x, sample, seed=0)
    assert outcome == "mismatch" and detail.startswith("grad[0]: values differ")

    def refuse(x):
        raise ValueError("no")

    assert run_sample(op, refuse, sample, seed=0) == ("refused", "ValueError: no")
    assert all(reason for _, _, reason in REFUSALS)
    assert not MISMATCHES_BEING_FIXED


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:Using padding='same'")
def test_opinfo_samples_agree_with_torch_in_float64():
    tally = Tally()
    ops = selected_ops()
    for op in ops:
        run_op(op, tally)
    assert len(ops) > 80 and tally.samples > 1000
    assert not tally.mismatches, "\n".join(tally.mismatches[:40])
    assert not tally.unexplained, "\n".join(tally.unexplained[:40])
    assert not tally.known, "\n".join(tally.known[:40])


if __name__ == "__main__":  # python tests/compat/test_opinfo.py: print every outcome
    summary = Tally()
    for entry in selected_ops():
        run_op(entry, summary)
    print(f"{summary.samples} samples; {len(summary.mismatches)} mismatches; "
          f"{len(summary.refused)} allowed refusals; {len(summary.unexplained)} unexplained; "
          f"{len(summary.known)} known mismatches")
    for line in summary.mismatches + summary.unexplained + summary.known + summary.refused:
        print(line[:300])
