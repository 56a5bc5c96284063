"""``convlens explore RUN``: write one interactive, self-contained page that opens up a model.

    convlens train --out runs/lenet5
    convlens explore runs/lenet5 --out explore.html
"""

from __future__ import annotations

import argparse
import os


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "explore", help="write an interactive HTML page: click maps, hover units, step convs",
        description="Write one self-contained interactive page (no server, no network "
                    "fetches): the network drawn left to right for a strip of example "
                    "inputs; click a map for its filter and per-channel contributions, hover "
                    "a unit for its receptive field and exact dot product, step a "
                    "convolution, overlay saliency or Grad-CAM.")
    parser.add_argument("run_dir", metavar="RUN", help="a run folder (convlens train --out)")
    parser.add_argument("--images", nargs="+", default=None, metavar="FILE",
                        help="example inputs: image files or .npy samples (default: 8 test "
                             "samples, including misclassified ones)")
    parser.add_argument("--count", type=int, default=8,
                        help="how many test samples to show without --images (default 8)")
    parser.add_argument("--layers", nargs="+", default=None, metavar="NAME",
                        help="store maps only for these layers (names as in convlens "
                             "summary); the page lists what it left out")
    parser.add_argument("--max-maps", type=int, default=64, metavar="N",
                        help="at most N maps per layer (default 64)")
    parser.add_argument("--no-attribution", action="store_true",
                        help="skip the saliency and Grad-CAM overlays (faster, smaller)")
    parser.add_argument("--out", default="explore.html",
                        help="the page to write (default explore.html)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from .._validate import positive_int
    from ..explain.explore._run import explore_run

    count = positive_int(args.count, "--count")
    page = explore_run(args.run_dir, images=args.images, layers=args.layers,
                       max_maps=args.max_maps, count=count,
                       attribution=not args.no_attribution)
    path = page.save(args.out)
    print(f"wrote {path} ({os.path.getsize(path) / 1e6:.2f} MB)")
    return 0
