"""``convlens explain RUN_DIR``: write a self-contained HTML report that opens up a trained run.

    convlens train --out runs/lenet5
    convlens explain runs/lenet5 --out lenet5.html
"""

from __future__ import annotations

import argparse
import os


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "explain", help="write an HTML report: filters, activations, saliency, probes",
        description="Write one self-contained HTML page (images embedded, no network fetches) "
                    "with the model summary, training curves, confusion matrix and most "
                    "confidently misclassified test images, filters, activation maps, "
                    "saliency and Grad-CAM for one input, the equivariance and "
                    "pooling-invariance tables and the conv algorithm choices.")
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a run folder (convlens train --out)")
    parser.add_argument("--image", default=None, metavar="FILE",
                        help="the input to explain: an image file or a .npy sample "
                             "(default: the first test sample)")
    parser.add_argument("--out", default="report.html", help="the page to write "
                        "(default report.html)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..explain import report

    path = report(args.run_dir, image=args.image, out=args.out)
    print(f"wrote {path} ({os.path.getsize(path) / 1e6:.1f} MB)")
    return 0
