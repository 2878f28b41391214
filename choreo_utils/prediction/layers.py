"""The custom Keras layers of the prediction models and of notebook 06's genre judge, defined at import.

Importing this module imports Keras (and so TensorFlow); the modules that build or load these models import it
only inside the functions that need Keras, so ``import choreo_utils.prediction`` stays light. Each layer is
registered with Keras (package ``choreo_utils``), so a saved model that uses it loads once this module is imported.

* :class:`PreviousFrame` — output at t is the input at t-1: a causal one-frame delay;
* :class:`FrameConv2D` — ``Conv2D`` on every frame, time folded into the batch;
* :class:`NoMemoryConvLSTM2D` — ``ConvLSTM2D`` with its memory cut (the ablation of notebook 05);
* :class:`FrameDifferences` — frame t+1 minus frame t (what moved), the genre judge's first step.
"""
from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="choreo_utils")
class PreviousFrame(keras.layers.Layer):
    """Output at t is the input at t-1 (t = 0 repeats frame 0): a causal one-frame delay."""

    def call(self, x):
        return ops.concatenate([x[:, :1], x[:, :-1]], axis=1)


@keras.saving.register_keras_serializable(package="choreo_utils")
class FrameConv2D(keras.layers.Conv2D):
    """``Conv2D`` on every frame of (N, T, H, W, C), time folded into the batch: one big convolution,
    faster on CPU than ``Conv3D`` with a temporal kernel of 1 or ``TimeDistributed`` (which loops)."""

    def build(self, input_shape):
        super().build((None, *input_shape[2:]))

    def call(self, x):
        n_t = ops.shape(x)[:2]
        y = super().call(ops.reshape(x, (-1, *x.shape[2:])))
        return ops.reshape(y, (n_t[0], n_t[1], *y.shape[1:]))

    def compute_output_shape(self, input_shape):
        if len(input_shape) == 4:  # Conv2D.build asks about one frame
            return super().compute_output_shape(input_shape)
        return (*input_shape[:2], *super().compute_output_shape((None, *input_shape[2:]))[1:])


@keras.saving.register_keras_serializable(package="choreo_utils")
class NoMemoryConvLSTM2D(keras.layers.ConvLSTM2D):
    """``ConvLSTM2D`` with its memory cut: every frame is run as a sequence of one, from a zero state.

    The same weights as the ConvLSTM (so the same initialisation under one seed), but the terms
    ``W_h * H_{t-1}`` and ``f ⊙ C_{t-1}`` vanish: the output at t depends on input frame t alone. The
    recurrent kernel multiplies zeros, so it gets no gradient and stays as initialised."""

    def call(self, sequences, initial_state=None, mask=None, training=False):
        n_t = ops.shape(sequences)[:2]
        y = super().call(ops.reshape(sequences, (-1, 1, *sequences.shape[2:])), training=training)
        return ops.reshape(y, (n_t[0], n_t[1], *y.shape[2:]))


@keras.saving.register_keras_serializable(package="choreo_utils")
class FrameDifferences(keras.layers.Layer):
    """Frame t+1 minus frame t, for (N, T, H, W, C) → (N, T-1, H, W, C): what moved, not what is there."""

    def call(self, x):
        return x[:, 1:] - x[:, :-1]

    def compute_output_shape(self, input_shape):
        t = input_shape[1]
        return (input_shape[0], None if t is None else t - 1, *input_shape[2:])
