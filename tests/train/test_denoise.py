"""The denoising task: noise, PSNR, noisy/clean batches, training that raises PSNR, the CLI."""

import json
import math

import numpy as np
import pytest

import convlens as cl
from convlens import cli
from convlens.commands import _denoise_run
from convlens.train import denoise


def test_psnr_matches_a_hand_computation():
    output = np.array([[0.0, 0.5], [1.0, 0.25]])
    # squared errors 0, 0.25, 1, 0.0625 -> MSE 0.328125 -> 10 log10(1 / 0.328125)
    expected = 10 * math.log10(1 / 0.328125)
    assert denoise.psnr(output, np.zeros((2, 2))) == pytest.approx(expected, abs=1e-12)
    assert denoise.psnr(255 * output, np.zeros((2, 2)), data_range=255) == pytest.approx(
        expected, abs=1e-9)
    assert denoise.psnr(cl.tensor(np.full(3, 0.1)), np.zeros(3)) == pytest.approx(20.0)
    assert denoise.psnr(output, output) == math.inf


def test_psnr_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match=r"psnr needs input and target of the same shape; "
                                         r"got \(2,\) and \(3,\)"):
        denoise.psnr(np.zeros(2), np.zeros(3))


def test_gaussian_noise_has_the_requested_sigma_and_is_seeded():
    grey = np.full((10, 1, 50, 50), 0.5, np.float32)
    noisy = denoise.add_noise(grey, np.random.default_rng(0), "gaussian", 0.1)
    assert np.std(noisy - grey) == pytest.approx(0.1, rel=0.02)
    again = denoise.add_noise(grey, np.random.default_rng(0), "gaussian", 0.1)
    np.testing.assert_array_equal(noisy, again)
    assert noisy.dtype == np.float32
    strong = denoise.add_noise(grey, np.random.default_rng(1), "gaussian", 1.0)
    assert strong.min() == 0.0 and strong.max() == 1.0      # clipped to [0, 1]


def test_salt_and_pepper_hits_the_requested_share_of_pixels():
    grey = np.full((4, 1, 100, 100), 0.5, np.float32)
    noisy = denoise.add_noise(grey, np.random.default_rng(0), "salt-and-pepper", 0.2)
    hit = noisy != 0.5
    assert hit.mean() == pytest.approx(0.2, abs=0.01)
    assert set(np.unique(noisy[hit])) == {0.0, 1.0}
    assert (noisy[hit] == 1.0).mean() == pytest.approx(0.5, abs=0.03)


def test_bad_noise_arguments_are_clear_errors():
    with pytest.raises(ValueError, match=r"noise must be one of .*got 'speckle'"):
        denoise.add_noise(np.zeros(3), np.random.default_rng(0), "speckle")
    with pytest.raises(ValueError, match=r"level must be a finite number in \[0.0, 1.0\]; "
                                         r"got 1.5"):
        denoise.NoisyPairs(np.zeros((2, 1, 4, 4), np.float32), level=1.5)


def test_noisy_pairs_give_clean_targets_fresh_training_noise_and_fixed_test_noise():
    images = np.random.default_rng(0).random((10, 1, 6, 6)).astype(np.float32)
    train = denoise.NoisyPairs(images, batch_size=4, shuffle=True, seed=3)
    first = [(x.numpy(), y.numpy()) for x, y in train]
    second = [(x.numpy(), y.numpy()) for x, y in train]
    assert len(train) == 3 and sum(len(y) for _, y in first) == 10
    clean = np.concatenate([y for _, y in first])
    np.testing.assert_array_equal(clean, images[train.loader.order(0)])
    assert not np.array_equal(first[0][0], second[0][0])          # new noise, new epoch
    train.set_epoch(0)
    np.testing.assert_array_equal(next(iter(train))[0].numpy(), first[0][0])
    test = denoise.NoisyPairs(images, batch_size=4, fixed=True)
    a, b = list(test), list(test)
    np.testing.assert_array_equal(a[1][0].numpy(), b[1][0].numpy())
    np.testing.assert_array_equal(np.concatenate([y.numpy() for _, y in a]), images)


@pytest.mark.slow
def test_one_short_epoch_raises_psnr_well_above_the_noisy_input():
    # Measured with seeds 0, 1 and 2: 13.30 dB noisy -> 19.5 to 19.7 dB after one epoch on
    # 1000 digits (+6.2 dB or more).
    train, test = cl.data.load_dataset("mnist-5k")
    cl.manual_seed(0)
    model = cl.models.create("autoencoder")
    history = denoise.fit_denoiser(model, train.x[:1000], None, epochs=1, lr=1e-2,
                                   batch_size=16, progress=False)
    result = denoise.evaluate_denoiser(model, denoise.NoisyPairs(test.x[:500], fixed=True))
    assert result["psnr_denoised"] > result["psnr_noisy"] + 4.0
    assert history.last["train_accuracy"] is None and history.last["val_loss"] is None


def test_cli_denoise_run_writes_the_run_folder_and_evaluate_reports_psnr(tmp_path, capsys):
    out = tmp_path / "run"
    code = cli.main(["train", "--task", "denoise", "--limit", "64", "--epochs", "2",
                     "--batch-size", "32", "--out", str(out), "--quiet"])
    assert code == 0
    metrics = json.loads((out / "metrics.json").read_text())
    config = json.loads((out / "config.json").read_text())
    assert config["task"] == "denoise" and config["model"] == "autoencoder"
    assert (config["noise"], config["noise_level"]) == ("gaussian", 0.3)
    assert metrics["psnr_noisy"] == pytest.approx(
        10 * math.log10(1 / metrics_noisy_mse(config)), abs=1e-3)
    assert metrics["psnr_denoised"] == pytest.approx(10 * math.log10(1 / metrics["test_loss"]),
                                                     abs=1e-3)
    assert len((out / "history.csv").read_text().splitlines()) == 3
    from PIL import Image

    with Image.open(out / _denoise_run.FIGURE_FILE) as picture:
        assert picture.format == "PNG" and picture.width > picture.height
    capsys.readouterr()
    assert cli.main(["evaluate", str(out)]) == 0        # the command finds the task itself
    text = capsys.readouterr().out
    assert f"PSNR denoised     {metrics['psnr_denoised']:.2f} dB" in text
    assert f"PSNR noisy input  {metrics['psnr_noisy']:.2f} dB" in text


def metrics_noisy_mse(config):
    _, test = cl.data.load_dataset("mnist-5k")
    noisy = denoise.add_noise(test.x, np.random.default_rng(config["seed"]), config["noise"],
                              config["noise_level"])
    return float(np.mean((noisy.astype(np.float64) - test.x) ** 2))


def test_cli_rejects_a_noise_level_outside_zero_one(tmp_path, capsys):
    code = cli.main(["train", "--task", "denoise", "--noise-level", "2", "--out",
                     str(tmp_path / "run")])
    assert code == 2
    assert "--noise-level must be a finite number in [0.0, 1.0]; got 2.0" in (
        capsys.readouterr().err)
    assert not (tmp_path / "run").exists()
    code = cli.main(["train", "--task", "denoise", "--engine", "torch-ddp", "--out",
                     str(tmp_path / "run")])
    assert code == 2
    assert "--engine is not supported with --task denoise; got 'torch-ddp'" in (
        capsys.readouterr().err)
    code = cli.main(["train", "--task", "denoise", "--model", "lenet5", "--out",
                     str(tmp_path / "run")])
    assert code == 2
    assert ("--task denoise needs an image-to-image model such as autoencoder or unet_small; "
            "--model lenet5 maps (1, 28, 28) to (10,)") in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_the_report_of_a_denoise_run_shows_before_and_after_not_a_confusion_matrix(tmp_path):
    out = tmp_path / "run"
    assert cli.main(["train", "--task", "denoise", "--limit", "64", "--epochs", "1",
                     "--out", str(out), "--quiet"]) == 0
    page = cl.explain.report(out, out=tmp_path / "r.html",
                             sections=["training", "denoising", "confusion", "misclassified"])
    text = open(page).read()
    metrics = json.loads((out / "metrics.json").read_text())
    assert '<section id="denoising">' in text and '<section id="confusion">' not in text
    assert f"denoised {metrics['psnr_denoised']:.2f} dB" in text
    assert text.count("data:image/png;base64,") >= 2      # curves and the before/after figure
