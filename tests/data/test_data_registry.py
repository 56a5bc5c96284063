"""load_dataset's name and keyword checks, and that ``import convlens.data`` stays light."""

import subprocess
import sys

import pytest

import convlens as cl
from convlens.data import DATASETS, load_dataset


def test_known_names():
    assert DATASETS == ("mnist-5k", "digits", "mnist1d", "mnist", "fashion-mnist", "cifar10",
                        "image-folder")
    assert cl.data.load_dataset is load_dataset


@pytest.mark.parametrize("name", ["MNIST", "cifar-10", "", None])
def test_unknown_name_lists_the_known_ones(name):
    with pytest.raises(ValueError, match=f"unknown dataset {name!r}; known datasets: mnist-5k, "
                                         "digits, mnist1d, mnist, fashion-mnist, cifar10, "
                                         "image-folder"):
        load_dataset(name)


def test_unknown_keywords_are_named():
    with pytest.raises(TypeError, match=r"load_dataset\('mnist-5k'\) got unexpected keyword "
                                        r"argument\(s\) image_size; it accepts: no options"):
        load_dataset("mnist-5k", image_size=(8, 8))
    with pytest.raises(TypeError, match=r"load_dataset\('image-folder'\) got unexpected keyword "
                                        r"argument\(s\) size; it accepts: image_size, grayscale, "
                                        "test_fraction, seed"):
        load_dataset("image-folder", data_dir=".", size=3)


def test_data_dir_type_is_checked():
    with pytest.raises(TypeError, match="data_dir must be a str or os.PathLike; got int"):
        load_dataset("cifar10", data_dir=3)


def test_import_is_light():
    code = ("import sys, convlens.data; heavy = ['sklearn', 'PIL', 'mnist1d', 'matplotlib', "
            "'torch', 'tarfile', 'gzip']; print([m for m in heavy if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
