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


def keras_epochs(epochs: int, desc: str = "training"):
    """A Keras callback: one bar over the epochs of a ``fit``, ending with the last epoch's loss and accuracy
    (training, then validation), e.g. ``BiLSTM |██████████| 20/20 epochs [00:14, loss 0.123 acc 0.98 · val ...]``."""
    import keras  # noqa: PLC0415

    class EpochBar(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.bar = bar(total=int(self.params.get("epochs") or epochs), desc=desc, unit="epoch",
                           bar_format="{desc} |{bar:10}| {n_fmt}/{total_fmt} epochs [{elapsed}{postfix}]")

        def on_epoch_end(self, epoch, logs=None):
            self.bar.set_postfix_str(_compact(logs or {}), refresh=False)
            self.bar.update(1)

        def on_train_end(self, logs=None):
            self.bar.close()

    return EpochBar()


def _compact(logs: dict) -> str:
    """``loss 0.123 acc 0.98 · val loss 1.23 acc 0.7`` from Keras logs (other metrics by their own names)."""
    def fmt(items) -> str:
        return " ".join(f"{'acc' if k == 'accuracy' else k} {float(v):.3g}" for k, v in items)

    train = [(k, v) for k, v in logs.items() if not k.startswith("val_") and k != "learning_rate"]
    val = [(k[4:], v) for k, v in logs.items() if k.startswith("val_")]
    return f"{fmt(train)} · val {fmt(val)}" if val else fmt(train)
