"""Five PyTorch-style training scripts run on convlens with only their imports aliased.

Each script in ``scripts/`` is written the way the official PyTorch examples and tutorials are
(MNIST with Adadelta and StepLR, the CIFAR classifier tutorial, LeNet with a hand-written
loop, a 1-D audio CNN with a ``collate_fn``, a ResNet with SGD and a cosine schedule). The
tests run each one in a fresh interpreter, in a temporary directory, and check from its own
printout that it trains: the loss falls and the accuracy rises.
"""

import ast
import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

import convlens

SCRIPTS = Path(__file__).parent / "scripts"
NAMES = ["mnist_adadelta", "cifar_tutorial", "lenet_loop", "audio_cnn", "resnet_cosine"]
# Imports a torch script may keep as they are; convlens.data stands in for the datasets
# that torchvision and torchaudio would download.
PLAIN_MODULES = {"argparse", "os", "time", "numpy"}
DATA_STAND_IN = "convlens.data"


def run_script(name, tmp_path, *args):
    env = {"PYTHONPATH": str(Path(convlens.__file__).parents[1]), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, str(SCRIPTS / f"{name}.py"), *args], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{name}.py failed:\n{done.stdout[-3000:]}\n{done.stderr[-6000:]}"
    return done.stdout


def numbers(pattern, text):
    return [tuple(float(g) for g in m) if isinstance(m, tuple) else float(m)
            for m in re.findall(pattern, text)]


def _imports(name):
    tree = ast.parse((SCRIPTS / f"{name}.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((a.name, a.asname) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            yield from ((f"{node.module}.{a.name}", a.asname) for a in node.names)


@pytest.mark.parametrize("name", NAMES)
def test_scripts_import_only_convlens_under_torch_names(name):
    """Every convlens import maps onto a real torch module or name, as aliased imports."""
    imports = list(_imports(name))
    assert ("convlens", "torch") in imports
    for module, _ in imports:
        root = module.split(".")[0]
        if root in PLAIN_MODULES or module.startswith(DATA_STAND_IN):
            continue
        assert root == "convlens", f"{name}.py imports {module}"
        pytest.importorskip("torch")
        torch_path = "torch" + module[len("convlens"):]
        try:
            importlib.import_module(torch_path)
        except ImportError:  # `from torch.x import Name`
            parent, _, leaf = torch_path.rpartition(".")
            assert hasattr(importlib.import_module(parent), leaf), torch_path


@pytest.mark.slow
def test_mnist_example_with_adadelta_and_steplr_trains(tmp_path):
    out = run_script("mnist_adadelta", tmp_path, "--save-model")
    tests = numbers(r"Test set: Average loss: ([\d.]+), Accuracy: (\d+)/(\d+)", out)
    assert len(tests) == 2
    (loss1, correct1, n), (loss2, correct2, _) = tests
    assert loss2 < loss1 and correct2 > correct1 and correct2 / n > 0.75
    train_losses = numbers(r"Loss: ([\d.]+)", out)
    assert train_losses[-1] < 0.6 * train_losses[0]
    assert (tmp_path / "mnist_cnn.pt").stat().st_size > 0


@pytest.mark.slow
def test_cifar_tutorial_trains_saves_and_reloads(tmp_path):
    out = run_script("cifar_tutorial", tmp_path)
    losses = numbers(r"\[\d+, +\d+\] loss: ([\d.]+)", out)
    assert len(losses) >= 4 and losses[-1] < 0.5 * losses[0]
    accuracy = numbers(r"Accuracy of the network on the \d+ test images: (\d+) %", out)
    assert accuracy and accuracy[0] >= 50  # chance is 10 %
    assert len(numbers(r"Accuracy for class: \w+ +is ([\d.]+) %", out)) == 10
    assert (tmp_path / "cifar_net.pth").stat().st_size > 0


@pytest.mark.slow
def test_lenet_with_a_hand_written_loop_trains(tmp_path):
    out = run_script("lenet_loop", tmp_path)
    assert "Linear output shape: \t (1, 10)" in out
    epochs = numbers(r"epoch \d+, loss ([\d.]+), train acc ([\d.]+), test acc ([\d.]+)", out)
    assert len(epochs) == 3
    assert epochs[-1][0] < 0.6 * epochs[0][0]
    assert epochs[-1][1] > epochs[0][1] and epochs[-1][2] > 0.5


@pytest.mark.slow
def test_audio_cnn_with_collate_fn_trains(tmp_path):
    out = run_script("audio_cnn", tmp_path)
    losses = numbers(r"\tLoss: ([\d.]+)", out)
    assert losses[-1] < 0.3 * losses[0]
    accuracy = numbers(r"Accuracy: (\d+)/(\d+)", out)
    assert accuracy[-1][0] / accuracy[-1][1] > 0.8


@pytest.mark.slow
def test_resnet_with_sgd_and_cosine_schedule_trains_and_resumes(tmp_path):
    out = run_script("resnet_cosine", tmp_path)
    train = numbers(r"Train \| Loss: ([\d.]+) \| Acc: ([\d.]+)% \(\d+/\d+\) \| lr ([\d.]+)", out)
    assert len(train) == 3
    assert train[-1][0] < 0.5 * train[0][0] and train[-1][1] > train[0][1]
    assert [lr for _, _, lr in train] == [0.1, 0.075, 0.025]  # cosine over T_max=3 epochs
    best = max(acc for _, acc in numbers(r"Test \| Loss: ([\d.]+) \| Acc: ([\d.]+)%", out))
    assert best > 60
    assert (tmp_path / "checkpoint" / "ckpt.pth").stat().st_size > 0
    resumed = run_script("resnet_cosine", tmp_path, "--resume", "--epochs", "1")
    assert "==> Resuming from checkpoint.." in resumed
    assert re.search(r"Epoch: [1-3]\n", resumed)  # starts after the checkpoint's epoch
