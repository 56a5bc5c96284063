"""Batch inference and image filtering on a Dask cluster (optional: ``pip install convlens[dask]``).

The same single-process functions run on every block: :func:`predict` calls the model a block
of images at a time, :func:`filter` calls :class:`convlens.image.Filter` on each image. Nothing
convlens-specific is pickled: a model travels to the workers as the bytes that ``cl.save``
writes and is loaded (by the same safe loader as ``cl.load``) once per worker process; a filter
kernel travels as a plain ndarray, and each worker transforms it once per image size::

    import convlens as cl
    from distributed import Client, LocalCluster

    client = Client(LocalCluster(n_workers=2, threads_per_worker=1))
    table = cl.dask.predict(model, ["a.png", "b.png"], input_shape=(1, 28, 28))
    table.compute()            # a pandas DataFrame: path, class, probability, error

``dask`` and ``distributed`` are imported only when these functions run, never by
``import convlens``.
"""

from .batch_filter import filter
from .batch_predict import predict
from .cluster import connect

__all__ = ["connect", "filter", "predict"]
