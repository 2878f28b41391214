"""Many trainings of notebook 03's classifier at once: K copies ("towers") of one architecture trained side by side
in one compiled TensorFlow step, each tower an independent training of its own seed.

Why: a Table I BiLSTM on 30 × 128 features is ~18 MFLOP per clip and step, so one training through Keras' loop is
dominated by per-step overhead (small batches, 30 sequential small matrix products), not by arithmetic. Fused, the
towers' input projections are one matrix product, their recurrences one batched matrix product per time step, and
the per-step overhead is paid once for all of them (``benchmarks/bench_training.py`` prints the figures).

What each tower keeps of its own, so that K towers are a fair sample of K separate trainings:

* **initialisation**: the weights ``classifier.build_classifier`` draws under ``runtime.set_seed(seed)`` (read from
  that Keras model; ``bn_from_data`` starts the input BatchNorm at the training clips' statistics, as in
  ``classifier.fit_evaluate``);
* **batch order**: a permutation of the training clips per epoch from ``numpy.random.default_rng([seed, epoch])``;
* **dropout**: masks from ``tf.random.stateless_uniform`` seeded by ``(seed, step)``;
* **BatchNorm**: batch statistics and moving averages per tower; **Adam** moments per tower (Keras' formulas);
* **early stopping**: Keras' ``EarlyStopping(monitor="val_loss", patience, min_delta, restore_best_weights=True)``
  rule per tower; a tower that has stopped keeps its best weights while the others go on.

So a seed's numbers do not depend on which other towers it was trained with (up to float rounding). They are not
bit-identical to ``fit_evaluate``'s (other random streams for batch order and dropout): the same distribution,
which ``benchmarks/bench_training.py --spread`` compares over ≥ 20 seeds (measured: 20 seeds one by one, mean
0.959, SD 0.017; as towers 0.961, SD 0.013; Kolmogorov–Smirnov p = 1.00, Levene p = 0.86).

Measured on a 2-core CPU at notebook 03's settings (batch 32; ``bench_training.py``), towers do not beat the
sweep's two worker processes: 5 towers trained 1,396 clips/s (counting only towers still training) against 1,553
for two processes. A step stays bound by the 2 × 30 dependent small matrix products of the recurrence; fusing
more towers adds work at the same rate. So the notebooks keep ``seed_sweep``'s processes, and
``seed_sweep(towers=True)`` is there for studies of many seeds on hardware where it measures faster.
"""
from __future__ import annotations

import time
from typing import Any, Sequence

import numpy as np

from choreo_utils.classifier import (PRESETS, Split, build_classifier, evaluate_probs, init_input_statistics,
                                     loss_and_accuracy, model_kwargs, shuffle_frames)
from choreo_utils.progress import bar, label
from choreo_utils.training import seeded_model

_EPS_BN, _EPS_ADAM, _B1, _B2 = 1e-3, 1e-7, 0.9, 0.999


def _tower_weights(model, temporal: bool) -> dict[str, np.ndarray]:
    """One Keras classifier's weights under the names the fused step uses."""
    bn = model.get_layer("bn").get_weights()              # gamma, beta, moving mean, moving variance
    w = {"gamma": bn[0], "beta": bn[1], "mean": bn[2], "var": bn[3]}
    if temporal:
        kf, rf, bf, kb, rb, bb = model.get_layer("bilstm").get_weights()
        w.update(kf=kf, rf=rf, bf=bf, kb=kb, rb=rb, bb=bb)
    for name in ("dense1", "dense2", "logits"):
        w[f"{name}_w"], w[f"{name}_b"] = model.get_layer(name).get_weights()
    return w


def to_keras(model, weights: dict[str, np.ndarray], temporal: bool = True):
    """Put one tower's trained ``weights`` into ``model`` (a ``build_classifier`` of the same sizes); returns it."""
    model.get_layer("bn").set_weights([weights[k] for k in ("gamma", "beta", "mean", "var")])
    if temporal:
        model.get_layer("bilstm").set_weights([weights[k] for k in ("kf", "rf", "bf", "kb", "rb", "bb")])
    for name in ("dense1", "dense2", "logits"):
        model.get_layer(name).set_weights([weights[f"{name}_w"], weights[f"{name}_b"]])
    return model


class _Fused:
    """The K towers' variables, stacked on a leading axis, and their compiled training and inference steps."""

    TRAINABLE = ("gamma", "beta", "kf", "rf", "bf", "kb", "rb", "bb", "dense1_w", "dense1_b", "dense2_w",
                 "dense2_b", "logits_w", "logits_b")

    def __init__(self, weights: list[dict[str, np.ndarray]], p: dict[str, Any], temporal: bool, seeds: Sequence[int],
                 jit_compile: bool):
        import keras  # noqa: PLC0415
        import tensorflow as tf  # noqa: PLC0415

        self.tf, self.temporal, self.k = tf, temporal, len(weights)
        self.v = {name: tf.Variable(np.stack([w[name] for w in weights]), name=name) for name in weights[0]}
        self.trainable = [self.v[n] for n in self.TRAINABLE if n in self.v]
        self.m = [tf.Variable(tf.zeros_like(v)) for v in self.trainable]
        self.s = [tf.Variable(tf.zeros_like(v)) for v in self.trainable]
        self.iterations = tf.Variable(0.0)
        self.lr, self.rate = float(p.get("learning_rate", 1e-3)), float(p.get("dropout", 0.2))
        self.momentum = float(p.get("bn_momentum", 0.99))
        self.activation = keras.activations.get(p.get("activation", "relu"))
        self.seeds = [int(s) for s in seeds]
        self.train_step = tf.function(self._train_step, jit_compile=jit_compile)
        self.infer = tf.function(self._logits, jit_compile=jit_compile)

    def _lstm(self, xw, recurrent, reverse: bool):
        """The last hidden state of an LSTM over inputs already projected, xw (T, K, B, 4U) (a ``tf.scan``: with
        XLA it compiles in ~3 s where the unrolled loop took ~15 s, and runs at the same speed)."""
        tf = self.tf
        if reverse:
            xw = tf.reverse(xw, axis=[0])
        h0 = tf.zeros_like(xw[0][..., : recurrent.shape[1]])

        def cell(state, x_t):
            h, c = state
            i, f, g, o = tf.split(x_t + tf.matmul(h, recurrent), 4, axis=-1)
            c = tf.sigmoid(f) * c + tf.sigmoid(i) * tf.tanh(g)
            return tf.sigmoid(o) * tf.tanh(c), c

        return tf.scan(cell, xw, initializer=(h0, h0))[0][-1]

    def _logits(self, x, training: bool = False, step=None):
        """Logits (K, B, classes) for clips x (K, B, T, D); in training also the batch statistics."""
        tf, v = self.tf, self.v
        if training:
            mean, var = tf.reduce_mean(x, axis=(1, 2)), tf.math.reduce_variance(x, axis=(1, 2))
        else:
            mean, var = v["mean"], v["var"]
        x = (x - mean[:, None, None]) * tf.math.rsqrt(var[:, None, None] + _EPS_BN) * v["gamma"][:, None, None] \
            + v["beta"][:, None, None]
        if self.temporal:
            fwd = tf.einsum("kbtd,kdg->tkbg", x, v["kf"]) + v["bf"][:, None]
            bwd = tf.einsum("kbtd,kdg->tkbg", x, v["kb"]) + v["bb"][:, None]
            h = tf.concat([self._lstm(fwd, v["rf"], False), self._lstm(bwd, v["rb"], True)], axis=-1)
        else:
            h = tf.reduce_mean(x, axis=2)
        if training and self.rate > 0:
            keep = tf.stack([tf.random.stateless_uniform(tf.shape(h)[1:], seed=tf.stack([seed, step]))
                             for seed in self.seeds]) >= self.rate
            h = tf.where(keep, h / (1.0 - self.rate), 0.0)
        h = self.activation(tf.matmul(h, v["dense1_w"]) + v["dense1_b"][:, None])
        h = self.activation(tf.matmul(h, v["dense2_w"]) + v["dense2_b"][:, None])
        logits = tf.matmul(h, v["logits_w"]) + v["logits_b"][:, None]
        return (logits, mean, var) if training else logits

    def _train_step(self, x, y):
        tf = self.tf
        step = tf.cast(self.iterations, tf.int32)
        with tf.GradientTape() as tape:
            logits, mean, var = self._logits(x, training=True, step=step)
            per_tower = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits), 1)
            loss = tf.reduce_sum(per_tower)
        grads = tape.gradient(loss, self.trainable)
        t = self.iterations + 1.0
        alpha = self.lr * tf.sqrt(1.0 - _B2 ** t) / (1.0 - _B1 ** t)
        for var_, g, m, s in zip(self.trainable, grads, self.m, self.s):
            m.assign_add((g - m) * (1.0 - _B1))
            s.assign_add((tf.square(g) - s) * (1.0 - _B2))
            var_.assign_sub(m * alpha / (tf.sqrt(s) + _EPS_ADAM))
        self.iterations.assign(t)
        mom = self.momentum
        self.v["mean"].assign(self.v["mean"] * mom + mean * (1.0 - mom))
        self.v["var"].assign(self.v["var"] * mom + var * (1.0 - mom))
        correct = tf.cast(tf.equal(tf.argmax(logits, -1, output_type=tf.int32), y), tf.float32)
        return per_tower, tf.reduce_mean(correct, 1)

    def probabilities(self, x: np.ndarray, chunk: int = 256) -> np.ndarray:
        """Softmax probabilities (K, N, classes) for per-tower clips x (K, N, T, D), in fixed-size chunks."""
        n = x.shape[1]
        pad = (-n) % chunk
        xp = np.concatenate([x, np.zeros((x.shape[0], pad, *x.shape[2:]), x.dtype)], axis=1) if pad else x
        out = [self.tf.nn.softmax(self.infer(xp[:, i:i + chunk])).numpy() for i in range(0, xp.shape[1], chunk)]
        return np.concatenate(out, axis=1)[:, :n]

    def snapshot(self, k: int) -> dict[str, np.ndarray]:
        return {name: var[k].numpy().copy() for name, var in self.v.items()}


def fit_evaluate_towers(train_split: Split, val_split: Split | None, test_split: Split, params: str | dict = "table1",
                        seeds: Sequence[int] = (0,), temporal: bool = True, shuffle: bool | Sequence[bool] = False,
                        epochs: int | None = None, patience: int | None = None, min_delta: float = 0.0,
                        bn_from_data: bool = True, jit_compile: bool = True,
                        progress: bool | str = True) -> list[dict[str, Any]]:
    """``classifier.fit_evaluate`` for every seed at once, as towers of one compiled step (see the module notes).

    ``shuffle`` is one flag for all towers or one per seed (towers with and without shuffled frames share an
    architecture). Returns one dict per seed, in order, with ``fit_evaluate``'s keys except the model:
    ``"weights"`` (put them into a Keras model with :func:`to_keras`), ``"history"``, ``"epochs_run"``,
    ``"seconds"`` (the group's training wall time shared equally among its towers) and the evaluations ``"train"``,
    ``"val"`` (when given) and ``"test"``."""
    p = PRESETS[params] if isinstance(params, str) else params
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ValueError("fit_evaluate_towers needs at least one seed")
    shuffles = [bool(shuffle)] * len(seeds) if isinstance(shuffle, (bool, np.bool_)) else [bool(s) for s in shuffle]
    if len(shuffles) != len(seeds):
        raise ValueError(f"shuffle needs one flag per seed: {len(seeds)} seeds, {len(shuffles)} flags")
    (xtr, ytr, vtr), (xte, yte, vte) = train_split, test_split
    xtr = np.asarray(xtr, np.float32)

    def per_tower(x, k):   # fit_evaluate's frame shuffles: seed + 0 (train), + 1 (validation), + 2 (test)
        return np.stack([shuffle_frames(x, s + k) if sh else x for s, sh in zip(seeds, shuffles)]).astype(np.float32)

    def build():
        return build_classifier(xtr.shape[1], xtr.shape[2], temporal=temporal, **model_kwargs(p))

    model, weights = None, []
    for seed in seeds:
        model = seeded_model(model, build, seed)
        if bn_from_data:
            init_input_statistics(model, xtr)
        weights.append(_tower_weights(model, temporal))
    fused = _Fused(weights, p, temporal, seeds, jit_compile)
    k_all, n = len(seeds), len(xtr)
    x_train, y_train = per_tower(xtr, 0), np.asarray(ytr, np.int32)
    has_val = val_split is not None and len(val_split[0])
    x_val = per_tower(np.asarray(val_split[0], np.float32), 1) if has_val else None
    y_val = np.asarray(val_split[1], int) if has_val else None
    stopping = bool(patience) and has_val
    epochs, batch = int(epochs or p.get("epochs", 20)), int(p.get("batch_size", 128))
    history = [{"accuracy": [], "loss": []} | ({"val_accuracy": [], "val_loss": []} if has_val else {})
               for _ in seeds]
    best, wait, best_w, stopped = [np.inf] * k_all, [0] * k_all, [None] * k_all, [None] * k_all
    desc = label(progress, f"{k_all} towers" + ("" if temporal else ", mean over frames"))
    started = time.perf_counter()
    for epoch in bar(range(epochs), desc=desc, unit="epoch", disable=not desc):
        orders = np.stack([np.random.default_rng([s, epoch]).permutation(n) for s in seeds])
        loss_sum, acc_sum = np.zeros(k_all), np.zeros(k_all)
        for i in range(0, n, batch):
            idx = orders[:, i:i + batch]
            xb = np.take_along_axis(x_train, idx[:, :, None, None], axis=1)
            loss, acc = fused.train_step(xb, y_train[idx])
            loss_sum += loss.numpy() * idx.shape[1]
            acc_sum += acc.numpy() * idx.shape[1]
        if has_val:
            v_loss, v_acc = loss_and_accuracy(fused.probabilities(x_val), y_val)
        for k in range(k_all):
            if stopped[k] is not None:
                continue
            history[k]["loss"].append(float(loss_sum[k] / n))
            history[k]["accuracy"].append(float(acc_sum[k] / n))
            if has_val:
                history[k]["val_loss"].append(float(v_loss[k]))
                history[k]["val_accuracy"].append(float(v_acc[k]))
            if stopping:            # Keras' EarlyStopping, restore_best_weights=True
                if best_w[k] is None:
                    best_w[k] = fused.snapshot(k)
                wait[k] += 1
                if v_loss[k] + abs(min_delta) < best[k]:
                    best[k], best_w[k], wait[k] = float(v_loss[k]), fused.snapshot(k), 0
                elif wait[k] >= int(patience) and epoch > 0:
                    stopped[k] = epoch
        if stopping and all(s is not None for s in stopped):
            break
    seconds = (time.perf_counter() - started) / k_all
    final = [best_w[k] if stopping else fused.snapshot(k) for k in range(k_all)]
    for name, var in fused.v.items():                     # every tower at its kept weights, for evaluation
        var.assign(np.stack([w[name] for w in final]))
    probs = {"train": fused.probabilities(x_train), "test": fused.probabilities(per_tower(np.asarray(xte), 2))}
    if has_val:
        probs["val"] = fused.probabilities(x_val)
    labels = {"train": (ytr, vtr), "test": (yte, vte), "val": (val_split[1], val_split[2]) if has_val else None}
    return [{"weights": final[k], "history": history[k], "epochs_run": len(history[k]["loss"]), "seconds": seconds,
             **{split: evaluate_probs(pr[k], *labels[split]) for split, pr in probs.items()}}
            for k in range(k_all)]
