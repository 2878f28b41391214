"""The choreographer's generator: a small recurrent network over pose vectors that predicts each frame's velocity,
conditioned on a genre and on a per-sequence latent (a conditional VAE, as ACTOR and DanceNet condition), and
trained closed-loop (auto-conditioning, acLSTM: blocks of ground-truth frames alternate with blocks of its own
outputs), so that at generation time it continues from what it drew itself instead of freezing.

* :func:`build_generator` — the Keras model (its layers: an encoder GRU → latent mean and log-variance; a decoder
  GRU cell fed the previous pose, the genre embedding and the latent; a Dense head giving the velocity);
* :class:`Generator` — training (:meth:`Generator.fit`) and generation (:meth:`Generator.generate`), with the
  data's scales kept with the model;
* ablations: ``closed_loop=False`` (teacher forcing only), ``conditioned=False`` (no genre input).

Keras and TensorFlow are imported only inside; the module takes pose arrays (``poses.check_poses``) and never the
synthetic package.
"""
from __future__ import annotations

import dataclasses
import time
from typing import Any, Sequence

import numpy as np

from choreo_utils.checks import positive_int
from choreo_utils.choreography.poses import Dances, check_poses


@dataclasses.dataclass
class GeneratorConfig:
    """Sizes and training recipe. Closed-loop training feeds ``block`` ground-truth frames, then a run of its own
    outputs: ``block`` frames at first, growing linearly to ``free_max`` (None: stays ``block``) by
    ``curriculum`` of the epochs — a curriculum, as DanceRevolution's, from acLSTM's 5 + 5 to long free runs.
    ``roots``: joints that are places in the world (a hip's travel), not shapes: the decoder is fed their velocity,
    never their position, so a dance longer than any training video does not walk it into positions it never saw
    (motion-capture models code the root the same way); None: the training dances' ``skeleton.roots``.
    ``spectral_weight``: weight of a loss on each joint track's amplitude spectrum over the generated frames — blind
    to phase (where the mean-squared error punishes a dance half a beat late as hard as a still one) but not to
    fading, so the averaging that freezes a regression model costs as much as it should.
    ``context_noise``: body heights of Gaussian noise on the context frames the decoder reads in training (its
    targets stay clean), about the error of a pose read from pixels (notebook 02's CNN: 0.011), so a context
    estimated from a video is a context it has seen. ``scale_floor``: each value is standardised by its spread,
    but by at least this share of the median spread — a near-constant value (a hip relative to itself, a neck that
    never leans) would otherwise turn a small error into a hundred standard deviations. Without both, a context
    read from video at R² 0.98 was recognised as its genre ~5% of the time (notebook 07, "From a video")."""

    units: int = 128
    latent: int = 16
    genre_dim: int = 16
    context: int = 10
    train_frames: int = 64
    block: int = 5
    free_max: int | None = 20
    curriculum: float = 0.5
    roots: tuple[int, ...] | None = None
    closed_loop: bool = True
    conditioned: bool = True
    kl_weight: float = 1e-3
    spectral_weight: float = 3.0
    context_noise: float = 0.01
    scale_floor: float = 0.1
    learning_rate: float = 2e-3
    batch_size: int = 32
    epochs: int = 120
    jit: bool = True


def build_generator(n_values: int, n_genres: int, config: GeneratorConfig):
    """The networks, as one Keras model holding every weight: ``encoder`` (target sequence + genre → latent mean,
    log-variance), ``cell`` (a GRU cell), ``head`` (velocity), ``genre`` (embedding). Returned as a dict of parts."""
    import keras  # noqa: PLC0415
    from keras import layers  # noqa: PLC0415

    seq = keras.Input((None, n_values), name="poses")
    genre = keras.Input((), dtype="int32", name="genre")
    embed = layers.Embedding(n_genres, config.genre_dim, name="genre_embedding")
    g = embed(genre)
    h = layers.Bidirectional(layers.GRU(config.units // 2), name="encoder_gru")(seq)
    h = layers.Concatenate()([h, g])
    encoder = keras.Model([seq, genre], [layers.Dense(config.latent, name="z_mean")(h),
                                         layers.Dense(config.latent, name="z_log_var")(h)], name="encoder")
    cell = layers.GRUCell(config.units, name="decoder_cell")
    head = layers.Dense(n_values, name="velocity")
    step_in = keras.Input((n_values + config.genre_dim + config.latent,))
    state_in = keras.Input((config.units,))
    out, new_state = cell(step_in, [state_in])
    decoder = keras.Model([step_in, state_in], [head(out), new_state[0] if isinstance(new_state, list) else new_state],
                          name="decoder")
    return {"encoder": encoder, "decoder": decoder, "embedding": embed}


def _spectrum(tf, tracks):
    """Amplitude spectrum of each (B, T, V) track over time, its mean removed: (B, V, T // 2 + 1)."""
    x = tf.transpose(tracks - tf.reduce_mean(tracks, axis=1, keepdims=True), [0, 2, 1])
    return tf.abs(tf.signal.rfft(x)) / tf.sqrt(tf.cast(tf.shape(x)[-1], tf.float32))


class Generator:
    """A trained (or trainable) choreographer for one pose layout and genre list."""

    def __init__(self, n_joints: int, genre_names: Sequence[str], config: GeneratorConfig | None = None,
                 seed: int = 0):
        from choreo_utils import runtime  # noqa: PLC0415

        self.config = config or GeneratorConfig()
        self.n_values, self.genre_names = int(n_joints) * 2, tuple(genre_names)
        self.seed = int(seed)
        runtime.set_seed(self.seed)
        self.parts = build_generator(self.n_values, len(self.genre_names), self.config)
        self.mean = np.zeros(self.n_values, np.float32)
        self.scale = np.ones(self.n_values, np.float32)       # per-value spread of the poses
        self.vel_scale = np.ones(self.n_values, np.float32)   # per-value spread of the velocities
        self.roots: tuple[int, ...] = tuple(int(j) for j in (self.config.roots or ()))
        self.history: dict[str, list[float]] = {"loss": [], "recon": [], "kl": [], "seconds": []}

    # ---------------------------------------------------------------------------------------- one pass
    def _roll(self, tf, poses, genre, z, closed_loop: bool, steps: int, free: int | None = None):
        """Run the decoder over ``poses`` (B, T, V) (normalised) for ``steps`` predictions after the context:
        returns predicted poses (B, steps, V). Ground truth is fed during the context and, in closed loop, for
        ``block`` frames after every ``free`` (default ``block``) frames of the model's own output; teacher-forced,
        always."""
        cfg = self.config
        g = self.parts["embedding"](genre) if cfg.conditioned else tf.zeros((tf.shape(poses)[0], cfg.genre_dim))
        cond = tf.concat([g, z], axis=-1)
        state = tf.zeros((tf.shape(poses)[0], cfg.units))
        free = cfg.block if free is None else free             # an int, or an int32 tensor (one trace for all)
        decoder, vel = self.parts["decoder"], tf.constant(self.vel_scale / self.scale)
        root = np.zeros(self.n_values, np.float32)
        for j in self.roots:
            root[2 * int(j):2 * int(j) + 2] = 1.0
        root = tf.constant(root)
        n, have = cfg.context - 1 + steps, tf.shape(poses)[1]

        def body(t, prev, last, state, out):
            seen = prev * (1.0 - root) + (prev - last) / vel * root    # roots: their velocity, not their place
            velocity, state = decoder([tf.concat([seen, cond], axis=-1), state])
            nxt = prev + velocity * vel
            k = t + 1 - cfg.context                   # index of the frame just predicted among the generated ones
            teacher = (t + 1 < cfg.context) | (not closed_loop) | (tf.math.floormod(k, cfg.block + free) >= free)
            truth = tf.gather(poses, tf.minimum(t + 1, have - 1), axis=1)
            fed = tf.where((t + 1 < have) & teacher, truth, nxt)   # generating: no ground truth left to feed
            return t + 1, fed, prev, state, out.write(t, nxt)

        out = tf.TensorArray(tf.float32, size=n)
        start = (tf.constant(0), poses[:, 0], poses[:, 0], state, out)
        _, _, _, state, out = tf.while_loop(lambda t, *_: t < n, body, start, maximum_iterations=n)
        return tf.transpose(out.stack(), [1, 0, 2])[:, cfg.context - 1:], state

    def _normalise(self, poses: np.ndarray) -> np.ndarray:
        return ((poses.reshape(*poses.shape[:2], -1) - self.mean) / self.scale).astype(np.float32)

    # ------------------------------------------------------------------------------------------ train
    def fit(self, dances: Dances, epochs: int | None = None, progress: bool | str = True) -> "Generator":
        """Train on random ``train_frames`` windows of ``dances`` (their ids are the generator's training ids)."""
        import keras  # noqa: PLC0415
        import tensorflow as tf  # noqa: PLC0415

        from choreo_utils.progress import bar, label  # noqa: PLC0415

        cfg = self.config
        poses = check_poses(dances.poses, "training poses", min_frames=cfg.train_frames)
        if tuple(dances.genre_names) != self.genre_names or poses.shape[2] * 2 != self.n_values:
            raise ValueError("the training dances have another skeleton or genre list than this generator")
        if cfg.roots is None and dances.skeleton is not None:
            self.roots = tuple(dances.skeleton.roots)
        if any(not 0 <= j < self.n_values // 2 for j in self.roots):
            raise ValueError(f"roots {self.roots} name joints outside 0..{self.n_values // 2 - 1}")
        flat = poses.reshape(len(poses), poses.shape[1], -1)
        self.mean = flat.reshape(-1, self.n_values).mean(axis=0)
        spread = flat.reshape(-1, self.n_values).std(axis=0)
        self.scale = np.maximum(spread, max(1e-4, cfg.scale_floor * float(np.median(spread)))).astype(np.float32)
        self.vel_scale = np.maximum(np.diff(flat, axis=1).reshape(-1, self.n_values).std(axis=0), 1e-5
                                    ).astype(np.float32)
        x = self._normalise(poses)
        genres = dances.genres.astype(np.int32)
        # where a dance "from nothing but a genre" starts: the genre's mean first frames (the training mean if absent)
        self.start = np.stack([x[genres == g, :cfg.context].mean(axis=0) if (genres == g).any()
                               else x[:, :cfg.context].mean(axis=0) for g in range(len(self.genre_names))])
        steps = cfg.train_frames - cfg.context
        weights = [w for part in (self.parts["encoder"], self.parts["decoder"]) for w in part.trainable_weights]
        weights += [w for w in self.parts["embedding"].trainable_weights if all(w is not v for v in weights)]
        opt = keras.optimizers.Adam(cfg.learning_rate)

        @tf.function(jit_compile=cfg.jit)
        def step(batch, genre, eps, free, noise):
            with tf.GradientTape() as tape:
                mu, log_var = self.parts["encoder"]([batch, genre])
                z = mu + tf.exp(0.5 * log_var) * eps
                pred, _ = self._roll(tf, batch + noise, genre, z, cfg.closed_loop, steps, free)
                target = batch[:, cfg.context:]
                recon = tf.reduce_mean(tf.square(pred - target))
                if cfg.spectral_weight:          # each track's amplitude spectrum: blind to phase, not to fading
                    recon += cfg.spectral_weight * tf.reduce_mean(
                        tf.square(_spectrum(tf, pred) - _spectrum(tf, target)))
                kl = -0.5 * tf.reduce_mean(tf.reduce_sum(1 + log_var - tf.square(mu) - tf.exp(log_var), axis=-1))
                loss = recon + cfg.kl_weight * kl
            opt.apply_gradients(zip(tape.gradient(loss, weights), weights))
            return loss, recon, kl

        rng = np.random.default_rng(self.seed)
        desc = label(progress, "choreographer")
        schedule = self.free_schedule(positive_int(epochs or cfg.epochs, "epochs"))
        for free in bar(schedule, desc=desc, unit="epoch", disable=not desc):
            began = time.perf_counter()
            size = min(cfg.batch_size, len(x))         # every batch full (one shape: one compiled step), the
            order = rng.permutation(len(x))            # last one topped up from the start of the permutation
            order = np.concatenate([order, order[:-len(order) % size]])
            sums = np.zeros(3)
            for i in range(0, len(order), size):
                rows = order[i:i + size]
                starts = rng.integers(0, x.shape[1] - cfg.train_frames + 1, len(rows))
                batch = np.stack([x[r, s:s + cfg.train_frames] for r, s in zip(rows, starts)])
                eps = rng.normal(size=(len(rows), cfg.latent)).astype(np.float32)
                noise = np.zeros_like(batch)
                if cfg.context_noise:
                    noise[:, :cfg.context] = rng.normal(0, cfg.context_noise, noise[:, :cfg.context].shape) / self.scale
                sums += np.array([float(v) for v in step(batch, genres[rows], eps, np.int32(free), noise)]) * len(rows)
            for key, value in zip(("loss", "recon", "kl"), sums / len(order)):
                self.history[key].append(float(value))
            self.history["seconds"].append(time.perf_counter() - began)      # the first holds the compilation
        return self

    def free_schedule(self, epochs: int) -> list[int]:
        """Self-fed frames per run, epoch by epoch: ``block``, doubling up to ``free_max`` by ``curriculum`` of the
        epochs."""
        cfg = self.config
        top = cfg.block if cfg.free_max is None else max(int(cfg.free_max), cfg.block)
        levels = [cfg.block]
        while levels[-1] < top:
            levels.append(min(2 * levels[-1], top))
        ramp = max(cfg.curriculum * epochs, 1.0)
        return [levels[min(int(e / ramp * len(levels)), len(levels) - 1)] for e in range(int(epochs))]

    # --------------------------------------------------------------------------------------- generate
    def generate(self, context: np.ndarray | None, genres: Sequence[str | int], horizon: int,
                 seed: int = 0) -> np.ndarray:
        """Continue each context (N, c ≥ ``config.context`` frames, joints, 2) for ``horizon`` frames as the asked
        genre, with a latent drawn from N(0, I) under ``seed``: (N, horizon, joints, 2). Only generated frames are
        returned (never the context). ``context=None``: from nothing but the genre — each dance starts from the
        mean first frames of that genre's training dances, and the latent decides the rest."""
        import tensorflow as tf  # noqa: PLC0415

        cfg = self.config
        if context is None:
            if not hasattr(self, "start"):
                raise ValueError("this generator has not been trained: call fit first")
            labels = np.array([self._genre(g) for g in genres], np.int32)
            context = self.start[labels] * self.scale + self.mean
        context = check_poses(context, "context", min_frames=cfg.context)
        if context.shape[2] * 2 != self.n_values:
            raise ValueError(f"the context has {context.shape[2]} joints; this generator was trained on "
                             f"{self.n_values // 2}")
        labels = np.array([self._genre(g) for g in genres], np.int32)
        if len(labels) != len(context):
            raise ValueError(f"one genre per context is needed: {len(context)} contexts, {len(labels)} genres")
        x = self._normalise(context[:, -cfg.context:])
        z = np.random.default_rng(seed).normal(size=(len(x), cfg.latent)).astype(np.float32)
        pred, _ = self._roll(tf, tf.constant(x), tf.constant(labels), tf.constant(z), True,
                             positive_int(horizon, "horizon"))
        out = pred.numpy() * self.scale + self.mean
        return out.reshape(len(x), -1, context.shape[2], 2).astype(np.float32)

    def _genre(self, genre: str | int) -> int:
        if isinstance(genre, (int, np.integer)) and 0 <= int(genre) < len(self.genre_names):
            return int(genre)
        if isinstance(genre, str) and genre in self.genre_names:
            return self.genre_names.index(genre)
        raise ValueError(f"genre {genre!r} is not one this generator was trained on: "
                         f"{', '.join(self.genre_names)}")

    def state(self) -> dict[str, Any]:
        """Everything a trained generator is, as plain arrays (to send between processes, or to save)."""
        return {"n_joints": self.n_values // 2, "genre_names": self.genre_names, "seed": self.seed,
                "config": dataclasses.asdict(self.config), "roots": self.roots, "history": self.history,
                "mean": self.mean, "scale": self.scale, "vel_scale": self.vel_scale,
                "start": getattr(self, "start", None),
                "weights": [p.get_weights() for p in (self.parts["encoder"], self.parts["decoder"])]}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> "Generator":
        """The generator :meth:`state` describes (built under its seed, then given its weights)."""
        gen = cls(state["n_joints"], state["genre_names"], GeneratorConfig(**state["config"]), seed=state["seed"])
        for part, weights in zip((gen.parts["encoder"], gen.parts["decoder"]), state["weights"]):
            part.set_weights(weights)
        gen.roots, gen.history = tuple(state["roots"]), state["history"]
        gen.mean, gen.scale, gen.vel_scale = state["mean"], state["scale"], state["vel_scale"]
        if state["start"] is not None:
            gen.start = state["start"]
        return gen

    def describe(self) -> dict[str, Any]:
        """The configuration and final training losses (for metrics files)."""
        return {**dataclasses.asdict(self.config), "roots": list(self.roots), "seed": self.seed,
                "final_loss": self.history["loss"][-1] if self.history["loss"] else None}
