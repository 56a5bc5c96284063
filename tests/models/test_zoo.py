"""The model zoo: every model builds, runs, and has the parameter count of its definition."""

import numpy as np
import pytest

import convlens as cl

SHAPES = {"lenet5": (1, 28, 28), "mnist1d_cnn": (1, 40), "mlp": (1, 40), "logistic": (1, 40),
          "vgg_small": (3, 32, 32), "resnet_small": (3, 32, 32)}


def count(model):
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_every_model_maps_a_batch_to_class_logits(name):
    model = cl.models.create(name, input_shape=SHAPES[name])
    x = cl.tensor(np.random.default_rng(0).random((2, *SHAPES[name]), dtype=np.float32))
    model.eval()
    assert model(x).shape == (2, 10)


def test_lenet5_parameter_count_is_the_hand_count():
    # conv1 6*1*25+6, conv2 16*6*25+16, fc 400*120+120, 120*84+84, 84*10+10
    assert count(cl.models.create("lenet5")) == 156 + 2416 + 48120 + 10164 + 850


def test_mnist1d_cnn_parameter_count_is_the_hand_count():
    # conv 25*1*5+25, 25*25*3+25 twice, linear (25 channels * 5 positions)*10+10
    assert count(cl.models.create("mnist1d_cnn")) == 150 + 1900 + 1900 + 1260


def test_mlp_has_a_residual_block_and_the_stated_widths():
    model = cl.models.create("mlp")
    assert count(model) == (40 * 100 + 100) + (100 * 100 + 100) + (100 * 10 + 10)
    assert any(type(m).__name__ == "Residual" for m in model.modules())


def test_same_seed_gives_the_same_model():
    cl.manual_seed(3)
    a = cl.models.create("lenet5").state_dict()
    cl.manual_seed(3)
    b = cl.models.create("lenet5").state_dict()
    for key in a:
        np.testing.assert_array_equal(np.asarray(a[key]), np.asarray(b[key]))


def test_unknown_model_and_bad_shapes_are_clear_errors():
    with pytest.raises(ValueError, match="name must be one of .*'lenet5'.*got 'alexnet'"):
        cl.models.create("alexnet")
    with pytest.raises(ValueError, match="lenet5 needs images of at least 10x10 pixels"):
        cl.models.create("lenet5", input_shape=(1, 8, 8))
    with pytest.raises(ValueError, match=r"mnist1d_cnn expects input_shape \(C, L\)"):
        cl.models.create("mnist1d_cnn", input_shape=(1, 28, 28))
