"""Progress bars that read well both live (JupyterLab, Colab, a terminal) and in a committed notebook.

One text bar (``tqdm``, written to stdout) for every long job: rendering videos, extracting features, tuning
trials, training epochs. Live front ends redraw it in place; ``scripts/run_notebooks.py`` executes notebooks with
stream coalescing, which keeps only the bar's final state, e.g.
``training BiLSTM: 100%|██████████| 20/20 [00:14<00:00, loss=0.12, accuracy=0.97]``. (A widget bar would show
``0%`` forever in the static copy on GitHub, since its text fallback is frozen when it is created.)
"""
from __future__ import annotations

import sys
from typing import Any, Iterable


def bar(iterable: Iterable | None = None, *, total: int | None = None, desc: str | None = None,
        unit: str = "it", disable: bool = False, **kwargs: Any):
    """A text ``tqdm`` bar on stdout (pass-through arguments as in ``tqdm``)."""
    from tqdm import tqdm  # noqa: PLC0415  (the text bar, not tqdm.auto's widget)

    kwargs.setdefault("file", sys.stdout)
    return tqdm(iterable, total=total, desc=desc, unit=unit, disable=disable, **kwargs)


def label(progress: bool | str, default: str) -> str | None:
    """The package's one ``progress`` convention, resolved: ``True`` → a bar labelled ``default``, a non-empty str →
    a bar with that label, ``False`` or ``""`` → no bar (None). Anything else is a TypeError naming the value."""
    if isinstance(progress, bool):
        return default if progress else None
    if isinstance(progress, str):
        return progress or None
    raise TypeError(f"progress must be True (a bar), False (none) or a str (a bar with that label); got {progress!r}")


def keras_epochs(epochs: int, desc: str = "training"):
    """A Keras callback (``tqdm.keras.TqdmCallback``): one text bar over the epochs of a ``fit`` on stdout, ending
    with the last epoch's metrics (training, then validation), e.g.
    ``BiLSTM: 100%|██████████| 20/20 [00:14<00:00, 1.4epoch/s, loss=0.123, accuracy=0.98, val_loss=1.23, ...]``."""
    from tqdm import tqdm  # noqa: PLC0415  (the text bar, not tqdm.auto's widget)
    from tqdm.keras import TqdmCallback  # noqa: PLC0415  (imports Keras)

    callback = TqdmCallback(epochs=int(epochs), verbose=0, tqdm_class=tqdm, desc=desc, file=sys.stdout)
    callback.on_epoch_end = TqdmCallback.bar2callback(callback.epoch_bar, pop=["learning_rate"])
    return callback
