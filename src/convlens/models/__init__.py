"""The model zoo: ``convlens.models.create(name, **kw)``; ``available()`` lists the names."""

from .registry import available, create

__all__ = ["available", "create"]
