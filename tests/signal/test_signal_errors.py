"""Bad input to convlens.signal: every error message, pinned."""

import re

import numpy as np
import pytest

from convlens import signal

FUNCTIONS = (signal.convolve, signal.correlate)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_unknown_mode_and_method(function):
    with pytest.raises(ValueError, match="mode must be one of 'full', 'same', 'valid'; got 'Same'"):
        function([1.0, 2.0], [1.0], mode="Same")
    with pytest.raises(ValueError, match="mode must be one of 'full', 'same', 'valid'; got 1"):
        function([1.0, 2.0], [1.0], mode=1)
    with pytest.raises(ValueError,
                       match="method must be one of 'auto', 'direct', 'fft'; got 'gemm'"):
        function([1.0, 2.0], [1.0], method="gemm")


@pytest.mark.parametrize("function", FUNCTIONS)
def test_mismatched_dimensions(function):
    name = function.__name__
    message = (f"{name} expects in1 and in2 to have the same number of dimensions; "
               "got in1 with shape (3,) and in2 with shape (1, 1)")
    with pytest.raises(ValueError, match=re.escape(message)):
        function(np.ones(3), np.ones((1, 1)))
    with pytest.raises(ValueError, match="same number of dimensions"):
        function(2.0, [1.0])


@pytest.mark.parametrize("function", FUNCTIONS)
def test_valid_mode_needs_one_input_at_least_as_large_in_every_axis(function):
    message = (f"{function.__name__} with mode='valid' needs one input at least as large as "
               "the other along every axis; got in1 with shape (3, 2) and in2 with shape (2, 3)")
    with pytest.raises(ValueError, match=re.escape(message)):
        function(np.ones((3, 2)), np.ones((2, 3)), mode="valid")
    # the same shapes are fine in the other modes
    assert function(np.ones((3, 2)), np.ones((2, 3)), mode="same").shape == (3, 2)


@pytest.mark.parametrize("mode", ("full", "same", "valid"))
@pytest.mark.parametrize("function", FUNCTIONS)
def test_empty_inputs(function, mode):
    message = (f"{function.__name__} expects non-empty inputs (in1 may be empty only with "
               "mode='same'); got in1 with shape (3,) and in2 with shape (0,)")
    with pytest.raises(ValueError, match=re.escape(message)):
        function(np.ones(3), np.ones(0), mode=mode)
    if mode != "same":
        with pytest.raises(ValueError, match=r"got in1 with shape \(0, 2\) and in2 with"):
            function(np.ones((0, 2)), np.ones((1, 1)), mode=mode)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_non_numeric_input(function):
    name = function.__name__
    with pytest.raises(TypeError, match=f"{name} expects in1 to hold bools, integers, floats "
                                        "or complex numbers; got an array of dtype <U1"):
        function(["a", "b"], [1.0])
    with pytest.raises(TypeError, match="expects in2 to hold .* got an array of dtype object"):
        function([1.0, 2.0], np.array([1, None], dtype=object))
    with pytest.raises(TypeError, match="got an array of dtype datetime64"):
        function(np.array(["2024-01-01"], dtype="datetime64[D]"), [1])
    with pytest.raises(TypeError, match=f"{name} expects in1 to be an array of numbers; got "
                                        "list that NumPy cannot turn into one"):
        function([[1.0, 2.0], [3.0]], [[1.0]])


def test_choose_method_validates_like_convolve():
    with pytest.raises(ValueError, match="mode must be one of 'full', 'same', 'valid'"):
        signal.choose_method([1.0], [1.0], mode="circular")
    with pytest.raises(ValueError, match=r"choose_method with mode='valid' needs one input"):
        signal.choose_method(np.ones((3, 2)), np.ones((2, 3)), mode="valid")
    with pytest.raises(TypeError, match="choose_method expects in2 to hold bools"):
        signal.choose_method([1.0], ["x"])
