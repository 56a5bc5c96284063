"""``convlens train --task denoise``: noisy-to-clean training, PSNR and a before/after figure.

    convlens train --model autoencoder --task denoise          # Gaussian noise, sigma 0.3

``commands/train.py`` adds the options with :func:`add_arguments` and hands a denoise run to
:func:`run`; ``convlens evaluate`` hands a denoise run folder to :func:`evaluate_run`.
"""

from __future__ import annotations

import argparse
import os
import time

from ..explain.denoise_figure import FIGURE_FILE
from . import _runs


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--task``, ``--noise`` and ``--noise-level`` on the train parser."""
    from ..train.denoise import DEFAULT_LEVEL, DEFAULT_NOISE, NOISES

    parser.add_argument("--task", choices=("classify", "denoise"), default="classify",
                        help="denoise learns noisy -> clean images with MSE and reports PSNR "
                             "(default model: autoencoder) (choices: classify, denoise; "
                             "default: classify)")
    parser.add_argument("--noise", choices=NOISES, default=DEFAULT_NOISE,
                        help="denoise: the noise added to the inputs (choices: "
                             f"{', '.join(NOISES)}; default: {DEFAULT_NOISE})")
    parser.add_argument("--noise-level", type=float, default=DEFAULT_LEVEL,
                        help="denoise: Gaussian sigma, or the share of salt-and-pepper pixels "
                             f"(default: {DEFAULT_LEVEL})")


def run(args: argparse.Namespace) -> int:
    """Train an image-to-image model on a noisy copy of ``--dataset``; write the run folder."""
    import convlens as cl

    from ..train import denoise
    from .train import check_arguments, check_out

    for flag, value, plain in (("--resume", getattr(args, "resume", None), None),
                               ("--engine", getattr(args, "engine", "convlens"), "convlens")):
        if value != plain:
            raise ValueError(f"{flag} is not supported with --task denoise; got {value!r}")
    check_arguments(args)
    denoise.check_noise(args.noise, args.noise_level, "--noise", "--noise-level")
    args.model = args.model or "autoencoder"
    out = args.out or os.path.join(
        "runs", f"{args.dataset}-{args.model}-denoise-{time.strftime('%Y%m%d-%H%M%S')}")
    check_out(out, args.overwrite)
    train, test = cl.data.load_dataset(args.dataset, data_dir=args.data_dir)
    train_x = train.x if args.limit is None else train.x[:args.limit]
    cl.manual_seed(args.seed)
    model = cl.models.create(args.model, input_shape=train.input_shape)
    _check_image_to_image(model, args.model, train.x[:1])
    os.makedirs(out, exist_ok=True)
    _runs.write_json(os.path.join(out, _runs.CONFIG_FILE), _config(args, train.input_shape))
    if not args.quiet:
        print(f"denoising with {args.model} on {args.dataset} ({args.noise} noise, level "
              f"{args.noise_level}): {len(train_x)} train / {len(test)} test images, "
              f"{args.epochs} epochs")
    started = time.perf_counter()
    history = denoise.fit_denoiser(
        model, train_x, test.x, epochs=args.epochs, optimizer=_optimizer(args, model),
        batch_size=args.batch_size, seed=args.seed, noise=args.noise, level=args.noise_level,
        progress=not args.quiet)
    seconds = time.perf_counter() - started
    metrics = _write_outputs(out, model, history, test.x, args, seconds)
    print(f"test PSNR: noisy {metrics['psnr_noisy']:.2f} dB -> denoised "
          f"{metrics['psnr_denoised']:.2f} dB  (MSE {metrics['test_loss']:.4f}, {seconds:.1f} s)")
    print(f"wrote {out}/ ({_runs.MODEL_FILE}, config.json, history.csv, metrics.json, "
          f"{FIGURE_FILE})")
    return 0


def _check_image_to_image(model, name: str, sample) -> None:
    """Refuse a model whose output shape differs from its input's (a classifier, say)."""
    from ..autograd import no_grad
    from ..tensor import tensor

    model.eval()
    with no_grad():
        shape = tuple(model(tensor(sample)).shape)
    model.train()
    if shape != sample.shape:
        raise ValueError(f"--task denoise needs an image-to-image model such as autoencoder or "
                         f"unet_small; --model {name} maps {sample.shape[1:]} to {shape[1:]}")


def _optimizer(args: argparse.Namespace, model):
    from .train import _optimizer as classify_optimizer

    return classify_optimizer(args.optimizer, model, args.lr)


def _config(args: argparse.Namespace, input_shape) -> dict:
    config = {key: getattr(args, key) for key in
              ("task", "dataset", "model", "epochs", "batch_size", "lr", "optimizer", "seed",
               "data_dir", "limit", "noise", "noise_level")}
    config["input_shape"] = list(input_shape)
    return config


def _write_outputs(out: str, model, history, test_images, args, seconds: float) -> dict:
    import convlens as cl

    from ..train import denoise

    pairs = denoise.NoisyPairs(test_images, 256, seed=args.seed, noise=args.noise,
                               level=args.noise_level, fixed=True)
    result = denoise.evaluate_denoiser(model, pairs)
    cl.save(model, os.path.join(out, _runs.MODEL_FILE))
    history.to_csv(os.path.join(out, "history.csv"))
    metrics = {
        "task": "denoise", "psnr_noisy": round(result["psnr_noisy"], 4),
        "psnr_denoised": round(result["psnr_denoised"], 4), "test_loss": result["loss"],
        "noise": args.noise, "noise_level": args.noise_level, "epochs": len(history),
        "train_seconds": round(seconds, 3), "seed": args.seed, "dataset": args.dataset,
        "model": args.model, "parameters": int(sum(p.numel() for p in model.parameters())),
    }
    _runs.write_json(os.path.join(out, "metrics.json"), metrics)
    figure(model, pairs, os.path.join(out, FIGURE_FILE), result)
    return metrics


def figure(model, pairs, path: str, result: dict | None = None, count: int = 8) -> bool:
    """The before/after PNG for the first ``count`` images of ``pairs``."""
    from ..explain.denoise_figure import before_after_figure
    from ..train import denoise

    noisy = pairs.noisy[:count]
    psnr = None if result is None else (result["psnr_noisy"], result["psnr_denoised"])
    return before_after_figure(noisy, denoise.denoise(model, noisy), pairs.images[:count],
                               path, count=count, psnr=psnr)


def evaluate_run(model_path: str, config: dict, dataset: str,
                 data_dir: str | None = None) -> int:
    """``convlens evaluate`` for a denoise run: PSNR of the noisy input and of the output."""
    import convlens as cl

    from ..train import denoise

    _, test = cl.data.load_dataset(dataset, data_dir=data_dir)
    noise = config.get("noise", denoise.DEFAULT_NOISE)
    level = config.get("noise_level", denoise.DEFAULT_LEVEL)
    pairs = denoise.NoisyPairs(test.x, 256, seed=int(config.get("seed", 0)), noise=noise,
                               level=level, fixed=True)
    result = denoise.evaluate_denoiser(cl.load(model_path), pairs)
    print(f"{model_path} on the {dataset} test split ({len(test)} images, {noise} noise, "
          f"level {level})")
    print(f"PSNR noisy input  {result['psnr_noisy']:.2f} dB")
    print(f"PSNR denoised     {result['psnr_denoised']:.2f} dB  "
          f"({result['psnr_denoised'] - result['psnr_noisy']:+.2f} dB)")
    print(f"MSE               {result['loss']:.5f}")
    return 0
