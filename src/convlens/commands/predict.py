"""``convlens predict RUN_OR_MODEL FILE...``: the predicted class and its probability per file.

Image files (PNG, JPEG, ... through Pillow) are converted to the model's channels and size;
``.npy`` files must already hold one sample of the model's input shape.
"""

from __future__ import annotations

import argparse
import os

import numpy as np

from . import _runs


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "predict", help="classify image or .npy files",
        description="Print the predicted class and its probability for each input file.")
    parser.add_argument("source", metavar="RUN_OR_MODEL")
    parser.add_argument("files", metavar="FILE", nargs="+")
    parser.add_argument("--input-shape", default=None,
                        help="C,H,W (or C,L) of the model input; read from the run if omitted")
    parser.add_argument("--invert", action="store_true",
                        help="invert grey levels (for dark digits on a light background)")
    parser.set_defaults(run=run)


def load_input(path: str, shape: tuple[int, ...], invert: bool = False) -> np.ndarray:
    """One sample of ``shape`` from an image or .npy file, float32 in [0, 1] for images."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no input file at {path!r}")
    if path.lower().endswith(".npy"):
        sample = np.load(path, allow_pickle=False).astype(np.float32)
        if sample.shape == shape[1:] and shape[0] == 1:
            sample = sample[None]                      # a (H, W) or (L,) single-channel sample
        if sample.shape != shape:
            raise ValueError(f"{path!r} holds an array of shape {sample.shape}; the model "
                             f"expects {shape}")
        return sample
    if len(shape) != 3 or shape[0] not in (1, 3):
        raise ValueError(f"image files need a model with a (1 or 3, H, W) input; got {shape}")
    from ..data.image_folder import load_image

    pixels = load_image(path, image_size=shape[1:], grayscale=shape[0] == 1)
    return 1.0 - pixels if invert else pixels


def run(args: argparse.Namespace) -> int:
    import convlens as cl
    from convlens import functional as F

    model_path, config = _runs.resolve(args.source)
    if args.input_shape:
        shape = _runs.parse_shape(args.input_shape)
    elif "input_shape" in config:
        shape = tuple(config["input_shape"])
    else:
        raise ValueError("--input-shape is required for a bare model file")
    classes = config.get("classes")
    model = cl.load(model_path)
    model.eval()
    batch = np.stack([load_input(path, shape, args.invert) for path in args.files])
    with cl.no_grad():
        probabilities = F.softmax(model(cl.tensor(batch)), dim=1).numpy()
    for path, row in zip(args.files, probabilities):
        best = int(row.argmax())
        name = classes[best] if classes and best < len(classes) else str(best)
        print(f"{path}\t{name}\t{row[best]:.4f}")
    return 0
