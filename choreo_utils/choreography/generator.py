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
from typing import Any, Sequence

import numpy as np

from choreo_utils.checks import positive_int
from choreo_utils.choreography.poses import Dances, check_poses


@dataclasses.dataclass
class GeneratorConfig:
    """Sizes and training recipe. ``block``: frames per ground-truth / self-fed block in closed-loop training."""

    units: int = 128
    latent: int = 16
    genre_dim: int = 16
    context: int = 10
    train_frames: int = 64
    block: int = 5
    closed_loop: bool = True
    conditioned: bool = True
    kl_weight: float = 1e-3
    learning_rate: float = 2e-3
    batch_size: int = 32
    epochs: int = 40


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
        self.history: dict[str, list[float]] = {"loss": [], "recon": [], "kl": []}

    # ---------------------------------------------------------------------------------------- one pass
    def _roll(self, tf, poses, genre, z, closed_loop: bool, steps: int, start_state=None):
        """Run the decoder over ``poses`` (B, T, V) (normalised) for ``steps`` predictions after the context:
        returns predicted poses (B, steps, V). Ground truth is fed during the context and, in closed loop, every
        other block of ``block`` frames; otherwise the model's own previous output."""
        cfg = self.config
        g = self.parts["embedding"](genre) if cfg.conditioned else tf.zeros((tf.shape(poses)[0], cfg.genre_dim))
        cond = tf.concat([g, z], axis=-1)
        state = tf.zeros((tf.shape(poses)[0], cfg.units)) if start_state is None else start_state
        decoder, vel = self.parts["decoder"], tf.constant(self.vel_scale / self.scale)
        prev = poses[:, 0]
        outputs = []
        for t in range(cfg.context - 1 + steps):
            velocity, state = decoder([tf.concat([prev, cond], axis=-1), state])
            nxt = prev + velocity * vel
            if t >= cfg.context - 1:
                outputs.append(nxt)
            k = t + 1 - cfg.context                             # index of the frame just predicted, after context
            teacher = t + 1 < cfg.context or (closed_loop is False) or (k // cfg.block) % 2 == 0
            if t + 1 < poses.shape[1] and teacher:
                prev = poses[:, t + 1]
            else:
                prev = nxt
        return tf.stack(outputs, axis=1), state

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
        flat = poses.reshape(len(poses), poses.shape[1], -1)
        self.mean = flat.reshape(-1, self.n_values).mean(axis=0)
        self.scale = np.maximum(flat.reshape(-1, self.n_values).std(axis=0), 1e-4).astype(np.float32)
        self.vel_scale = np.maximum(np.diff(flat, axis=1).reshape(-1, self.n_values).std(axis=0), 1e-5
                                    ).astype(np.float32)
        x = self._normalise(poses)
        genres = dances.genres.astype(np.int32)
        steps = cfg.train_frames - cfg.context
        weights = [w for part in (self.parts["encoder"], self.parts["decoder"]) for w in part.trainable_weights]
        weights += [w for w in self.parts["embedding"].trainable_weights if all(w is not v for v in weights)]
        opt = keras.optimizers.Adam(cfg.learning_rate)

        @tf.function
        def step(batch, genre, eps):
            with tf.GradientTape() as tape:
                mu, log_var = self.parts["encoder"]([batch, genre])
                z = mu + tf.exp(0.5 * log_var) * eps
                pred, _ = self._roll(tf, batch, genre, z, cfg.closed_loop, steps)
                recon = tf.reduce_mean(tf.square(pred - batch[:, cfg.context:]))
                kl = -0.5 * tf.reduce_mean(tf.reduce_sum(1 + log_var - tf.square(mu) - tf.exp(log_var), axis=-1))
                loss = recon + cfg.kl_weight * kl
            opt.apply_gradients(zip(tape.gradient(loss, weights), weights))
            return loss, recon, kl

        rng = np.random.default_rng(self.seed)
        desc = label(progress, "choreographer")
        for _ in bar(range(positive_int(epochs or cfg.epochs, "epochs")), desc=desc, unit="epoch", disable=not desc):
            order = rng.permutation(len(x))
            sums = np.zeros(3)
            for i in range(0, len(order), cfg.batch_size):
                rows = order[i:i + cfg.batch_size]
                starts = rng.integers(0, x.shape[1] - cfg.train_frames + 1, len(rows))
                batch = np.stack([x[r, s:s + cfg.train_frames] for r, s in zip(rows, starts)])
                eps = rng.normal(size=(len(rows), cfg.latent)).astype(np.float32)
                sums += np.array([float(v) for v in step(batch, genres[rows], eps)]) * len(rows)
            for key, value in zip(("loss", "recon", "kl"), sums / len(x)):
                self.history[key].append(float(value))
        return self

    # --------------------------------------------------------------------------------------- generate
    def generate(self, context: np.ndarray, genres: Sequence[str | int], horizon: int, seed: int = 0) -> np.ndarray:
        """Continue each context (N, c ≥ ``config.context`` frames, joints, 2) for ``horizon`` frames as the asked
        genre, with a latent drawn from N(0, I) under ``seed``: (N, horizon, joints, 2). Only generated frames are
        returned (never the context)."""
        import tensorflow as tf  # noqa: PLC0415

        cfg = self.config
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

    def describe(self) -> dict[str, Any]:
        """The configuration and final training losses (for metrics files)."""
        return {**dataclasses.asdict(self.config), "seed": self.seed,
                "final_loss": self.history["loss"][-1] if self.history["loss"] else None}
