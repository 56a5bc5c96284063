"""cl.load takes run folders; cl.save into a missing folder names that folder."""

import numpy as np
import pytest

import convlens as cl
from convlens import nn


def test_load_accepts_a_run_folder(tmp_path):
    model = nn.Sequential(nn.Linear(3, 2))
    cl.save(model, tmp_path / "model.convlens")
    loaded = cl.load(tmp_path)
    np.testing.assert_array_equal(loaded[0].weight.numpy(), model[0].weight.numpy())
    with pytest.raises(FileNotFoundError, match="is not a convlens run folder: expected the "
                                                "model file"):
        cl.load((tmp_path / "empty").mkdir() or tmp_path / "empty")


def test_load_of_a_run_folder_does_not_need_its_config(tmp_path):
    cl.save(nn.Sequential(nn.Linear(3, 2)), tmp_path / "model.convlens")
    (tmp_path / "config.json").write_text("{ not json")
    assert isinstance(cl.load(tmp_path), nn.Sequential)


def test_save_into_a_missing_folder_names_the_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"the folder '.*nodir' does not exist"):
        cl.save(nn.Linear(2, 2), tmp_path / "nodir" / "x.convlens")
