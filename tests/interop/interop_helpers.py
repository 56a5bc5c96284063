"""Helpers shared by the interop tests: ONNX Runtime sessions and model preparation."""

from __future__ import annotations

import numpy as np

import convlens as cl
from convlens import nn


def run_ort(path, x: np.ndarray) -> np.ndarray:
    """Run the ONNX file at ``path`` on ``x`` with ONNX Runtime (CPU)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3  # keep ORT's info/warning chatter out of test output
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x})[0]


def run_convlens(model, x: np.ndarray) -> np.ndarray:
    with cl.no_grad():
        return model(cl.tensor(x)).numpy()


def randomize_batch_norm(model, seed: int = 1):
    """Give every BatchNorm non-trivial running statistics and affine parameters."""
    rng = np.random.default_rng(seed)
    for module in model.modules():
        if isinstance(module, nn.BatchNorm1d | nn.BatchNorm2d):
            n, dtype = module.num_features, module.running_mean.dtype
            module.running_mean.data = rng.normal(0, 0.5, n).astype(dtype)
            module.running_var.data = rng.uniform(0.5, 2.0, n).astype(dtype)
            module.weight.data = rng.normal(1, 0.3, n).astype(dtype)
            module.bias.data = rng.normal(0, 0.3, n).astype(dtype)
    return model


def assert_close(actual: np.ndarray, expected: np.ndarray, rtol: float = 1e-4) -> None:
    """float32 agreement: relative to the output's scale, so near-zero entries do not fail."""
    scale = max(float(np.abs(expected).max()), 1e-6)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale)
