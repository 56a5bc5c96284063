"""Huge numeric arguments are refused before any work, with a message naming the argument.

``padding=10**9`` used to hang in the FFT length search and then try to allocate exabytes.
Every case runs in one subprocess with a time limit and a 4 GiB address-space limit, so a
regression fails these tests instead of hanging or exhausting the machine.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap

import pytest

CASES = {
    "conv2d-padding": ("F.conv2d(x2, w2, padding=10**9)",
                       r"conv2d: padding=1000000000 is too large: the padded input would have "
                       r"shape \(1, 2, 2000000008, 2000000008\), 3\.2e\+19 bytes, more than "
                       r"this machine's memory"),
    "conv1d-padding-pairs": ("F.conv1d(x1, w1, padding=((0, 10**18),))",
                             r"conv1d: padding=\(\(0, 1000000000000000000\),\) is too large"),
    "conv2d-replicate": ("F.conv2d(x2, w2, padding=10**9, padding_mode='replicate')",
                         r"conv2d: padding=1000000000 is too large"),
    "conv1d-full-dilation": ("F.conv1d(x1, w1, padding='full', dilation=10**17)",
                             r"conv1d: padding='full' with dilation=100000000000000000 is too "
                             r"large: the padded input"),
    "conv2d-fft": ("F.conv2d(x2, w2, padding=10**9, algorithm='fft')",
                   r"conv2d: padding=1000000000 is too large"),
    "module-kernel": ("nn.Conv2d(1, 2, 10**6)",
                      r"Conv2d: kernel_size=1000000 with in_channels=1 and out_channels=2 is "
                      r"too large: the weight would have shape \(2, 1, 1000000, 1000000\)"),
    "transpose-kernel": ("nn.ConvTranspose1d(10**6, 10**6, 10**6)",
                         r"ConvTranspose1d: kernel_size=1000000 with in_channels=1000000 and "
                         r"out_channels=1000000 is too large: the weight would have shape"),
    "transpose-stride": ("F.conv_transpose2d(x2, w2.transpose(0, 1), stride=10**9)",
                         r"conv_transpose2d: stride=1000000000 is too large: the output"),
    "module": ("nn.Conv2d(2, 3, 3, padding=10**9)(x2)",
               r"conv2d: padding=\(1000000000, 1000000000\) is too large"),
}

SCRIPT = textwrap.dedent("""
    import json, resource, sys, time
    import numpy as np
    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))
    import convlens as cl
    from convlens import functional as F, nn
    x2 = cl.tensor(np.ones((1, 2, 8, 8), np.float32))
    w2 = cl.tensor(np.ones((3, 2, 3, 3), np.float32))
    x1 = cl.tensor(np.ones((1, 2, 8), np.float32))
    w1 = cl.tensor(np.ones((3, 2, 3), np.float32))
    results = {}
    for name, code in json.loads(sys.argv[1]).items():
        start = time.perf_counter()
        try:
            eval(code)
            results[name] = ["no error", "", time.perf_counter() - start]
        except Exception as error:
            results[name] = [type(error).__name__, str(error), time.perf_counter() - start]
    print(json.dumps(results))
""")


@pytest.fixture(scope="module")
def outcomes():
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    cases = json.dumps({name: code for name, (code, _) in CASES.items()})
    done = subprocess.run([sys.executable, "-c", SCRIPT, cases], capture_output=True,
                          text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.splitlines()[-1])


@pytest.mark.parametrize("case", list(CASES))
def test_refused_quickly_with_the_argument_named(outcomes, case):
    kind, message, seconds = outcomes[case]
    assert kind == "ValueError", (kind, message)
    assert re.search(CASES[case][1], message), message
    assert seconds < 2.0


def test_explain_and_fft_plan_stay_fast_for_huge_sizes():
    """Pricing a huge convolution allocates nothing; the FFT length search visits only
    7-smooth lengths."""
    import time

    from convlens import conv
    from convlens.conv._fft_plan import good_size

    start = time.perf_counter()
    assert good_size(2 * 10**9 + 10) == 2013265920          # 2^27 * 3 * 5
    explanation = conv.explain((1, 2, 8, 8), (3, 2, 3, 3), padding=10**9)
    assert explanation.x_shape == (1, 2, 8, 8)
    assert time.perf_counter() - start < 2.0
