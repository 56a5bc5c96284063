"""``Embedding``: a lookup table of learnt vectors indexed by integers, as torch's."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _validate
from ..functional.embedding import embedding
from ..random import as_generator
from ..tensor import Tensor
from . import _args, _budget
from .module import Module
from .parameter import Parameter
from .registry import builtin


@builtin
class Embedding(Module):
    """Map integer indices to rows of ``weight`` (num_embeddings, embedding_dim), as torch.

    Parameters
    ----------
    num_embeddings, embedding_dim : int
    padding_idx : int, optional
        This row starts at zero and gets no gradient (negative counts from the end).
    max_norm : float, optional
        Rows looked up with a larger ``norm_type``-norm are rescaled in place, as torch does.
    norm_type : float, default 2.0
    scale_grad_by_freq : bool, default False
    sparse : bool, default False
        True is refused (no sparse gradients).
    dtype : {np.float32, np.float64}, default np.float32
    generator : numpy.random.Generator or int, optional
        Source of the initial weights, drawn from N(0, 1) as in torch.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import nn
    >>> table = nn.Embedding(10, 3, padding_idx=0)
    >>> table, table(cl.tensor([[0, 4]])).shape, table.weight[0].tolist()
    (Embedding(10, 3, padding_idx=0), (1, 2, 3), [0.0, 0.0, 0.0])
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, norm_type: float = 2.0,
                 scale_grad_by_freq: bool = False, sparse: bool = False, *,
                 dtype: Any = np.float32,
                 generator: np.random.Generator | int | None = None) -> None:
        super().__init__()
        self.num_embeddings = _validate.positive_int(num_embeddings, "num_embeddings")
        self.embedding_dim = _validate.positive_int(embedding_dim, "embedding_dim")
        if padding_idx is not None:
            padding_idx = _validate.positive_int(padding_idx, "padding_idx",
                                                 minimum=-self.num_embeddings)
            if padding_idx >= self.num_embeddings:
                raise ValueError(f"padding_idx must be within num_embeddings "
                                 f"(={self.num_embeddings}); got {padding_idx}")
            padding_idx %= self.num_embeddings
        self.padding_idx = padding_idx
        self.max_norm = None if max_norm is None else _validate.real_number(max_norm, "max_norm")
        self.norm_type = _validate.real_number(norm_type, "norm_type")
        self.scale_grad_by_freq = _args.boolean(scale_grad_by_freq, "scale_grad_by_freq")
        if _args.boolean(sparse, "sparse"):
            raise ValueError("Embedding does not support sparse=True (no sparse gradients)")
        self.sparse = False
        weight = as_generator(generator).standard_normal(
            (self.num_embeddings, self.embedding_dim)).astype(_args.float_dtype(dtype))
        if padding_idx is not None:
            weight[padding_idx] = 0
        self.weight = Parameter(weight)

    @classmethod
    def from_pretrained(cls, embeddings: Tensor | np.ndarray, freeze: bool = True,
                        padding_idx: int | None = None, max_norm: float | None = None,
                        norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                        sparse: bool = False) -> Embedding:
        """An Embedding holding a copy of ``embeddings`` (2-D), frozen unless ``freeze=False``."""
        data = np.asarray(embeddings._data if isinstance(embeddings, Tensor) else embeddings)
        _validate.rank(data.shape, {2: "(num_embeddings, embedding_dim)"}, "embeddings",
                       "Embedding.from_pretrained")
        layer = cls(*data.shape, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse,
                    dtype=data.dtype)
        layer.weight = Parameter(data.copy(), requires_grad=not freeze)
        return layer

    @classmethod
    def estimated_elements(cls, config: dict[str, Any]) -> int:
        """Parameter elements ``cls(**config)`` allocates (see ``nn._budget``)."""
        return _budget.size(config.get("num_embeddings")) * _budget.size(
            config.get("embedding_dim"))

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                         self.scale_grad_by_freq)

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        for name, default in (("padding_idx", None), ("max_norm", None), ("norm_type", 2.0),
                              ("scale_grad_by_freq", False)):
            if getattr(self, name) != default:
                text += f", {name}={getattr(self, name)}"
        return text

    def get_config(self) -> dict[str, Any]:
        return {"num_embeddings": self.num_embeddings, "embedding_dim": self.embedding_dim,
                "padding_idx": self.padding_idx, "max_norm": self.max_norm,
                "norm_type": self.norm_type, "scale_grad_by_freq": self.scale_grad_by_freq,
                "dtype": str(self.weight.dtype)}
