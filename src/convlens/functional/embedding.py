"""Index lookups: ``one_hot`` and ``embedding``, as in ``torch.nn.functional``."""

from __future__ import annotations

import numpy as np

from .. import _validate
from ..tensor import Tensor


def _indices(input, op: str) -> np.ndarray:  # noqa: A002
    x = _validate.as_tensor(input, "input", op)
    if x.dtype.kind not in "iu":
        raise TypeError(f"{op} expects input of an integer dtype (indices); got {x.dtype}")
    return x._data.astype(np.int64)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """(*,) class indices -> (*, num_classes) int64 rows of zeros with a one, as torch.

    Parameters
    ----------
    tensor : Tensor
        Non-negative integer class indices, any shape.
    num_classes : int, default -1
        -1 uses ``max(tensor) + 1``.

    Raises
    ------
    ValueError
        Negative indices, or indices not smaller than ``num_classes``.
    TypeError
        A non-integer ``tensor``.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import functional as F
    >>> F.one_hot(cl.tensor([0, 2]), 3).tolist()
    [[1, 0, 0], [0, 0, 1]]
    """
    t = _indices(tensor, "one_hot")
    num_classes = _validate.positive_int(num_classes, "num_classes", minimum=-1)
    if t.size and t.min() < 0:
        raise ValueError(f"one_hot expects non-negative class values; got {int(t.min())}")
    if num_classes == -1:
        if not t.size:
            raise ValueError("one_hot cannot infer num_classes from an empty tensor; pass it")
        num_classes = int(t.max()) + 1
    if t.size and t.max() >= num_classes:
        raise ValueError(f"one_hot expects class values smaller than num_classes "
                         f"(={num_classes}); got {int(t.max())}")
    return Tensor(np.eye(num_classes, dtype=np.int64)[t])


def _renorm_(weight: Tensor, rows: np.ndarray, max_norm: float, norm_type: float) -> None:
    """torch's ``embedding_renorm_``: rescale the looked-up rows whose norm exceeds max_norm.

    It writes the weight in place, outside the graph, as torch does.
    """
    rows = np.unique(rows)
    norms = np.linalg.norm(weight._data[rows], ord=norm_type, axis=1)
    big = norms > max_norm
    if big.any():
        scale = (max_norm / (norms[big] + 1e-7)).astype(weight.dtype)
        weight._data[rows[big]] *= scale[:, None]
        weight._version += 1


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,  # noqa: A002
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Look up rows of ``weight`` (num_embeddings, dim) at the integer ``input``, as torch.

    Parameters
    ----------
    input : Tensor
        Integer indices of any shape, each in ``[0, num_embeddings)``.
    weight : Tensor
        (num_embeddings, embedding_dim).
    padding_idx : int, optional
        This row gets no gradient (negative counts from the end).
    max_norm : float, optional
        Looked-up rows with a ``norm_type``-norm above it are rescaled in place first.
    norm_type : float, default 2.0
    scale_grad_by_freq : bool, default False
        Divide each row's gradient by how often its index occurs in ``input``.
    sparse : bool, default False
        True is refused: convlens has no sparse gradients.

    Returns
    -------
    Tensor
        ``input.shape + (embedding_dim,)``.

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> from convlens import functional as F
    >>> F.embedding(cl.tensor([2, 0]), cl.tensor(np.arange(6.0).reshape(3, 2))).tolist()
    [[4.0, 5.0], [0.0, 1.0]]
    """
    index = _indices(input, "embedding")
    w = _validate.float_tensor(weight, "weight", "embedding")
    _validate.rank(w.shape, {2: "(num_embeddings, embedding_dim)"}, "weight", "embedding")
    rows = w.shape[0]
    if index.size and (index.min() < 0 or index.max() >= rows):
        raise IndexError(f"embedding expects indices in [0, {rows}); got "
                         f"{int(index.min()) if index.min() < 0 else int(index.max())}")
    if sparse:
        raise ValueError("embedding does not support sparse=True (no sparse gradients)")
    pad = None
    if padding_idx is not None:
        pad = _validate.positive_int(padding_idx, "padding_idx", minimum=-rows)
        if pad >= rows:
            raise ValueError(f"padding_idx must be within num_embeddings (={rows}); got {pad}")
        pad %= rows
    if max_norm is not None:
        _renorm_(w, index.ravel(), _validate.real_number(max_norm, "max_norm", low=0.0),
                 _validate.real_number(norm_type, "norm_type"))

    def backward(g):
        flat, grad_rows = index.ravel(), g.reshape(-1, w.shape[1])
        if scale_grad_by_freq:
            counts = np.bincount(flat, minlength=rows)
            grad_rows = grad_rows / counts[flat][:, None]
        grad = np.zeros(w.shape, dtype=w.dtype)
        np.add.at(grad, flat, grad_rows)
        if pad is not None:
            grad[pad] = 0
        return (grad,)

    return Tensor._from_op(w._data[index], (w,), backward, "Gather")
