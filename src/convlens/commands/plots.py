"""Plots written by the subcommands (matplotlib is optional: without it, nothing is drawn)."""

from __future__ import annotations


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_curves(history, path: str) -> bool:
    """Loss and accuracy per epoch (train and test) side by side; False without matplotlib."""
    plt = _pyplot()
    if plt is None:
        return False
    epochs = [e + 1 for e in history["epoch"]]
    figure, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(9, 3.5))
    for ax, metric in ((loss_ax, "loss"), (acc_ax, "accuracy")):
        ax.plot(epochs, history[f"train_{metric}"], marker="o", label="train")
        if any(v is not None for v in history[f"val_{metric}"]):
            ax.plot(epochs, history[f"val_{metric}"], marker="o", label="test")
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
        ax.legend()
    figure.tight_layout()
    save_figure(figure, path)
    plt.close(figure)
    return True


def save_figure(figure, path: str) -> None:
    """Write a matplotlib figure as PNG, atomically (readers never see half a picture)."""
    from .._atomic import atomic_write

    with atomic_write(path) as stream:
        figure.savefig(stream, format="png", dpi=100)
