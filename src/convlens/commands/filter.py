"""``convlens filter IMAGE_OR_DIR... --kernel sobel-x --out DIR``: convolve many image files.

One :class:`convlens.image.Filter` serves every file, so when the FFT method runs the kernel is
transformed once per image size and its spectrum reused: the amortisation that makes FFT pay
off. A file that cannot be read is reported and skipped; the exit code is then 1.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter

from ..image import filtering, io, kernels


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "filter", help="convolve image files with a kernel (blur, edges, ...)",
        description="Convolve each image (true convolution, per channel) with a named kernel, "
                    "a literal or a kernel file, and write the results as PNG files. Edge "
                    "kernels (weights summing to 0) are stretched to the full 0..255 range; "
                    "others are clipped to it.")
    parser.add_argument("inputs", metavar="IMAGE_OR_DIR", nargs="+",
                        help="image files, or folders whose image files are all filtered")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--kernel", help=f"one of {', '.join(kernels.KERNELS)}, or a literal "
                                         f"such as '1 0 -1; 2 0 -2; 1 0 -1'")
    source.add_argument("--kernel-file", metavar="K.txt",
                        help="text file of rows of numbers (spaces or commas; ';' or newlines)")
    parser.add_argument("--sigma", type=float, default=None, help="sigma of --kernel gaussian")
    parser.add_argument("--size", type=int, default=None,
                        help="side length of --kernel box or gaussian")
    parser.add_argument("--mode", choices=filtering.BOUNDARY_MODES, default="reflect",
                        help="boundary mode, as in scipy.ndimage (default: reflect)")
    parser.add_argument("--cval", type=float, default=0.0, help="fill value for --mode constant")
    parser.add_argument("--method", choices=filtering.METHODS, default="auto",
                        help="direct or FFT convolution (default: auto, by estimated cost)")
    parser.add_argument("--range", dest="scaling", choices=("auto", *io.SCALINGS),
                        default="auto", help="8-bit mapping: normalize (edge kernels) or clip "
                                             "(blurs); auto picks by the kernel's weight sum")
    parser.add_argument("--out", required=True, metavar="DIR", help="folder for the results")
    parser.add_argument("--scheduler", default=None, metavar="local|ADDRESS",
                        help="filter on Dask (pip install 'convlens[dask]'): 'local' starts a "
                             "LocalCluster on this machine, an address such as "
                             "tcp://host:8786 joins a running scheduler (default: in-process)")
    parser.set_defaults(run=run)


def build_kernel(args: argparse.Namespace) -> tuple[str, object]:
    """(description, kernel array) from --kernel/--kernel-file and --sigma/--size."""
    params = {key: value for key, value in (("sigma", args.sigma), ("size", args.size))
              if value is not None}
    if args.kernel_file is not None:
        if params:
            raise ValueError("--sigma and --size apply only to --kernel box or gaussian")
        return os.path.basename(args.kernel_file), kernels.load_kernel(args.kernel_file)
    name = kernels._canonical_name(args.kernel)
    if name is not None:
        return name, kernels.kernel(name, **params)
    if params:
        raise ValueError("--sigma and --size apply only to --kernel box or gaussian")
    return "literal", kernels.as_kernel(args.kernel, name="--kernel")


def expand_inputs(inputs: list[str]) -> list[str]:
    """Files as given, and each folder's image files (by extension, sorted, not recursive)."""
    files = []
    for entry in inputs:
        if os.path.isdir(entry):
            found = sorted(os.path.join(entry, name) for name in os.listdir(entry)
                           if name.lower().endswith(io.IMAGE_EXTENSIONS)
                           and os.path.isfile(os.path.join(entry, name)))
            if not found:
                raise ValueError(f"folder {entry!r} holds no image files "
                                 f"({', '.join(io.IMAGE_EXTENSIONS)})")
            files.extend(found)
        elif os.path.isfile(entry):
            files.append(entry)
        else:
            raise FileNotFoundError(f"no image file or folder at {entry!r}")
    return files


def output_paths(files: list[str], out: str) -> list[str]:
    """``out/<stem>.png`` per file; refuse two inputs with one output, or overwriting an input."""
    targets = [os.path.join(out, os.path.splitext(os.path.basename(f))[0] + ".png")
               for f in files]
    seen: dict[str, str] = {}
    inputs = {os.path.realpath(f) for f in files}
    for source, target in zip(files, targets):
        key = os.path.realpath(target)
        if key in seen:
            raise ValueError(f"{seen[key]!r} and {source!r} would both be written to "
                             f"{target!r}; filter them into different --out folders")
        if key in inputs:
            raise ValueError(f"writing {target!r} would overwrite an input; choose another --out")
        seen[key] = source
    return targets


def _progress(files: list[str]):
    """tqdm's bar on a terminal when tqdm is installed; otherwise the plain list."""
    if sys.stdout.isatty():
        try:
            from tqdm import tqdm
        except ImportError:
            return files, False
        return tqdm(files, unit="image"), True
    return files, False


def run(args: argparse.Namespace) -> int:
    label, weights = build_kernel(args)
    image_filter = filtering.Filter(weights, mode=args.mode, cval=args.cval, method=args.method)
    scaling = io.range_rule(weights) if args.scaling == "auto" else args.scaling
    files = expand_inputs(args.inputs)
    os.makedirs(args.out, exist_ok=True)
    targets = dict(zip(files, output_paths(files, args.out)))
    if args.scheduler:
        return _run_on_dask(args, files, label, weights, scaling)
    methods: Counter[str] = Counter()
    failed = 0
    bar, has_bar = _progress(files)
    for path in bar:
        try:
            result = image_filter(io.read_image(path))
            io.write_image(targets[path], result, scaling=scaling)
        except (OSError, ValueError) as error:
            failed += 1
            print(f"skipped: {error}", file=sys.stderr)
            continue
        methods[image_filter.last_method] += 1
        if not has_bar:
            print(f"{path} -> {targets[path]}")
    kh, kw = image_filter.kernel.shape
    used = ", ".join(f"{method} x{count}" for method, count in sorted(methods.items()))
    transforms = image_filter.kernel_transforms
    print(f"filtered {len(files) - failed} of {len(files)} images with {label} ({kh}x{kw}, "
          f"mode {args.mode}, {scaling}; {used or 'none'}; kernel transformed {transforms} "
          f"time{'' if transforms == 1 else 's'}) into {args.out}")
    return 1 if failed else 0


def _run_on_dask(args: argparse.Namespace, files: list[str], label: str, weights,
                 scaling: str) -> int:
    """The same files, filtered block by block on a Dask cluster (docs/scale.md)."""
    import convlens as cl

    from ._dask_progress import follow

    with cl.dask.connect(args.scheduler) as client:
        table = cl.dask.filter(files, weights, mode=args.mode, cval=args.cval,
                               method=args.method, out_dir=args.out, scaling=scaling)
        table = follow(client, table).compute()
    failed = 0
    methods: Counter[str] = Counter()
    for record in table.to_dict("records"):
        if record["error"]:
            failed += 1
            print(f"skipped: {record['path']}: {record['error']}", file=sys.stderr)
            continue
        methods[record["method"]] += 1
        print(f"{record['path']} -> {record['output']}")
    kh, kw = weights.shape
    used = ", ".join(f"{method} x{count}" for method, count in sorted(methods.items()))
    print(f"filtered {len(files) - failed} of {len(files)} images with {label} ({kh}x{kw}, "
          f"mode {args.mode}, {scaling}; {used or 'none'}; on Dask, kernel transformed once "
          f"per worker and image size) into {args.out}")
    return 1 if failed else 0
