"""ONNX's own backend node test cases (``onnx.backend.test.case.node``) through ``from_onnx``.

Every case whose node is an operator convlens imports runs here: the model is written to a
file, imported, run on the case's inputs and compared with the case's expected outputs at
the case's own tolerances (``rtol``/``atol``, as ONNX's backend runner does). A case that
convlens cannot honour is listed in :data:`EXPECTED_FAILURES` with its reason (and in
docs/interop.md); a listed case that starts passing fails the test, so the list stays true.
The ``*_expanded`` variants (a function op spelled out in other ops) are left out: they test
those other ops.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np
import pytest

import convlens as cl
from convlens.interop import from_onnx
from convlens.interop.errors import ModelFileError, UnsupportedError
from convlens.interop.onnx_import import SUPPORTED_OPS

onnx = pytest.importorskip("onnx")
pytestmark = pytest.mark.slow

_TRAINING = "training mode is not supported: convlens imports for inference"
_BFLOAT16 = "bfloat16 tensors: NumPy (and so convlens) has no bfloat16 dtype"
_CORNERS = ("Resize align_corners with scales below 1: ONNX divides by the unrounded output "
            "length (in * scale - 1), torch by the rounded size")
_PT_HALF = ("Resize pytorch_half_pixel to a size-1 output reads source 0; torch's "
            "align_corners=False reads the centre")
_EXCLUDE = "Resize exclude_outside=1 (and cubic_coeff_a=-0.5): torch's bicubic has neither"
_CUBIC_ASYM = "cubic Resize in asymmetric coordinates: torch's bicubic has no such mode"
_CROP = "Resize tf_crop_and_resize (a region of interest): torch has no such mode"
_ANTIALIAS = "Resize antialias=1: not implemented (torch's antialias is bilinear/bicubic only)"
_ASPECT = "Resize keep_aspect_ratio_policy other than 'stretch' is not supported"
_SYMMETRIC = "linear Resize in half_pixel_symmetric coordinates: torch has no such mode"
EXPECTED_FAILURES: dict[str, str] = {
    "test_maxpool_2d_uint8": "integer inputs: convlens pools float tensors only",
    "test_training_dropout": _TRAINING,
    "test_training_dropout_default": _TRAINING,
    "test_training_dropout_default_mask": _TRAINING,
    "test_training_dropout_mask": _TRAINING,
    "test_training_dropout_zero_ratio": _TRAINING,
    "test_training_dropout_zero_ratio_mask": _TRAINING,
    "test_batchnorm_epsilon_training_mode": _TRAINING,
    "test_batchnorm_example_training_mode": _TRAINING,
    "test_constant": "the graph has no input; from_onnx builds a model called on its inputs",
    "test_identity_sequence": "sequence values: convlens graphs carry tensors only",
    "test_identity_opt": "optional values: convlens graphs carry tensors only",
    "test_celu_bfloat16": _BFLOAT16,
    "test_resize_downsample_scales_linear_align_corners": _CORNERS,
    "test_resize_downsample_scales_cubic_align_corners": _CORNERS,
    "test_resize_upsample_scales_cubic_A_n0p5_exclude_outside": _EXCLUDE,
    "test_resize_downsample_scales_cubic_A_n0p5_exclude_outside": _EXCLUDE,
    "test_resize_upsample_scales_cubic_asymmetric": _CUBIC_ASYM,
    "test_resize_tf_crop_and_resize": _CROP,
    "test_resize_tf_crop_and_resize_extrapolation_value": _CROP,
    "test_resize_tf_crop_and_resize_axes_2_3": _CROP,
    "test_resize_tf_crop_and_resize_axes_3_2": _CROP,
    "test_resize_downsample_sizes_linear_pytorch_half_pixel": _PT_HALF,
    "test_resize_downsample_scales_linear_antialias": _ANTIALIAS,
    "test_resize_downsample_sizes_linear_antialias": _ANTIALIAS,
    "test_resize_downsample_scales_cubic_antialias": _ANTIALIAS,
    "test_resize_downsample_sizes_cubic_antialias": _ANTIALIAS,
    "test_resize_upsample_sizes_nearest_not_larger": _ASPECT,
    "test_resize_upsample_sizes_nearest_not_smaller": _ASPECT,
    "test_resize_downsample_sizes_nearest_not_larger": _ASPECT,
    "test_resize_downsample_sizes_nearest_not_smaller": _ASPECT,
    "test_resize_downsample_scales_linear_half_pixel_symmetric": _SYMMETRIC,
    "test_resize_upsample_scales_linear_half_pixel_symmetric": _SYMMETRIC,
}


class _OneOf(frozenset):
    """Makes ONNX's single-op filter (``op_type != target``) accept a set of op types."""

    def __ne__(self, other: object) -> bool:
        return other not in self

    __hash__ = frozenset.__hash__


@functools.cache
def _cases() -> dict[str, list]:
    """ONNX's node test cases for the ops convlens imports, grouped by op type (once)."""
    from onnx.backend.test.case import node

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cases = node.collect_testcases(_OneOf(SUPPORTED_OPS))
    by_op: dict[str, list] = {}
    for case in cases:
        if case.name.endswith("_expanded") or "_expanded_ver" in case.name:
            continue
        ops = {n.op_type for n in case.model.graph.node}
        if len(ops) == 1 and ops <= set(SUPPORTED_OPS):
            by_op.setdefault(ops.pop(), []).append(case)
    return by_op


def run_case(case, path) -> str | None:
    """Run one case; the reason it fails, or None when every output matches."""
    path.write_bytes(case.model.SerializeToString())
    try:
        model = from_onnx(path)
    except (UnsupportedError, ModelFileError) as error:
        return f"import: {error}"
    for inputs, outputs in case.data_sets:
        try:
            with cl.no_grad():
                got = model(*(cl.tensor(np.asarray(x)) for x in inputs))
        except (ValueError, TypeError) as error:
            return f"run: {error}"
        got = got if isinstance(got, tuple) else (got,)
        if len(got) != len(outputs):
            return f"{len(got)} outputs for {len(outputs)} expected"
        for actual, expected in zip(got, outputs):
            expected = np.asarray(expected) if isinstance(expected, np.generic) else expected
            if not isinstance(expected, np.ndarray):
                return f"expects a {type(expected).__name__}, not a tensor"
            actual = np.asarray(actual.numpy())
            if actual.shape != expected.shape:
                return f"shape {actual.shape}, expected {expected.shape}"
            if not np.allclose(actual, expected, rtol=case.rtol, atol=case.atol,
                               equal_nan=True):
                return f"values differ by up to {np.nanmax(np.abs(actual - expected))}"
    return None


@pytest.mark.parametrize("op_type", SUPPORTED_OPS)
def test_onnx_node_cases(op_type, tmp_path, record_property):
    cases = _cases().get(op_type, [])
    failures = {case.name: run_case(case, tmp_path / f"{case.name}.onnx") for case in cases}
    failures = {name: why for name, why in failures.items() if why is not None}
    unexpected = {n: w for n, w in failures.items() if n not in EXPECTED_FAILURES}
    fixed = [n for n in EXPECTED_FAILURES if n in {c.name for c in cases} and n not in failures]
    record_property("passed", f"{len(cases) - len(failures)} of {len(cases)}")
    print(f"{op_type}: {len(cases) - len(failures)} of {len(cases)} pass")
    assert not unexpected, unexpected
    assert not fixed, f"listed as failing but pass now: {fixed}"
