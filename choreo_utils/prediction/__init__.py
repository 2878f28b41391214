"""Next-frame prediction with ConvLSTM: shifted frames, causal models, baselines, metrics and rollouts.

The original project trained its ConvLSTM with ``y = x`` (the model learns to copy its input) and used
keras-io's architecture, whose final ``Conv3D(3×3×3, padding="same")`` lets the output for frame t see
frame t+1. Here:

* :func:`shift_frames` makes the targets: ``x = frames 0..n-2``, ``y = frames 1..n-1`` — the output at
  position t is the model's guess of frame t+1, having seen frames 0..t only;
* both models are **causal in time** (:func:`causal_leak` checks it): ConvLSTM2D with
  ``return_sequences=True`` is causal by itself, and the 3×3×3 output convolution is padded with two
  frames *before* the sequence only (:func:`causal_conv3d`);
* every number is compared with the **copy-last-frame** baseline (:func:`copy_last`) and with **linear
  extrapolation** (:func:`linear_extrapolation`), for one step and for autoregressive rollouts
  (:func:`rollout`) at horizons 1…k (:func:`metrics_by_horizon`); ``build_model(memory=False)`` is the
  ablation without recurrence that asks whether the ConvLSTM uses its memory;
* MSE, PSNR and SSIM come from scikit-image (:func:`frame_metrics`; PSNR capped at 100 dB for exact frames);
* the models are fully convolutional: train on windows around the motion (:func:`motion_crop`), predict
  whole frames (:func:`resize_model`); any video file works through :func:`video_sequences`.

Frames are float32 in [0, 1], shaped ``(T, H, W, C)`` for one sequence or ``(N, T, H, W, C)`` for many;
C is 1 (grayscale, the paper's setting) unless you build a model for colour.

Modules (every public name is re-exported here, so ``prediction.shift_frames`` etc. work as before):

* :mod:`~choreo_utils.prediction.frames` — the frame format: check and convert frame arrays, shift them into
  (input, target) pairs, cut a video into sequences, crop around the motion;
* :mod:`~choreo_utils.prediction.data` — sequences from disk: a video file, or a dataset's frame index cut
  into sequences, split by YouTube id and loaded;
* :mod:`~choreo_utils.prediction.layers` — the custom Keras layers (imported only where Keras is needed);
* :mod:`~choreo_utils.prediction.models` — the paper's ConvLSTM and our default, causality check, resizing,
  saving and loading;
* :mod:`~choreo_utils.prediction.training` — training on shifted pairs (over :func:`choreo_utils.training.fit`)
  and timing one training step;
* :mod:`~choreo_utils.prediction.rollouts` — one-step predictions, autoregressive rollouts (and ``fast_rollout``,
  one frame per step) and the two baselines: copy the last frame, extrapolate the last two linearly;
* :mod:`~choreo_utils.prediction.metrics` — MSE, PSNR and SSIM per frame, by horizon, model vs baseline;
* :mod:`~choreo_utils.prediction.study` — one architecture over several seeds (compiled once), errors per test
  unit and paired gains with 95% intervals (``stats.paired_bootstrap``);
* notebook 06, does a rollout keep its genre? :mod:`~choreo_utils.prediction.selection` (the per-seed ConvLSTMs of
  notebook 05, checked against its parameters; videos neither model has seen), :mod:`~choreo_utils.prediction.judge`
  (a genre classifier for real grayscale windows), :mod:`~choreo_utils.prediction.frechet` (the distance on the
  judge's embedding and its real-vs-real floor) and :mod:`~choreo_utils.prediction.genre_eval` (the evaluation
  by horizon against the real continuation and the baselines, and its numbers);
* :mod:`~choreo_utils.prediction.plots` — the study's figures: gains with every seed shown; genre accuracy and
  Fréchet distance by horizon.

Pictures of predictions (``side_by_side``, ``to_uint8``) live in :mod:`choreo_utils.viz`.
"""
from __future__ import annotations

from choreo_utils.prediction.data import load_sequences, sequence_table, split_sequences, video_sequences
from choreo_utils.prediction.frechet import (MIN_SAMPLES_PER_DIM, FrechetSampleWarning, compare_frechet,
                                             frechet_by_horizon, frechet_distance, frechet_distance_from_features,
                                             frechet_table, halves)
from choreo_utils.prediction.genre_eval import (WINDOW_SOURCES, GenreEval, above_chance, accuracy_table,
                                                compare_accuracy, evaluate_rollouts, horizon_windows, keeps_genre,
                                                motion_energy, unit_accuracy, window_labels)
from choreo_utils.prediction.judge import build_genre_classifier, classify_windows, train_classifiers
from choreo_utils.prediction.selection import (VIDEO_MODES, assign_videos, check_disjoint, load_predictors,
                                               predictor_folder, spread_rows, video_table, window_rows)
from choreo_utils.prediction.frames import (PAPER_SIZE, check_frames, frames_to_sequences, motion_crop,
                                            shift_frames, to_unit)
from choreo_utils.prediction.metrics import (METRICS, PSNR_MAX, compare_rollouts, frame_metrics, improvement,
                                             metrics_by_horizon, summarize)
from choreo_utils.prediction.models import (DEFAULT_CONFIG, PAPER_CONFIG, build_model, build_paper_model,
                                            causal_conv3d, causal_leak, count_params, load_predictor,
                                            model_channels, resize_model, save_predictor)
from choreo_utils.prediction.rollouts import (PredictFn, as_predict_fn, copy_last, copy_last_rollout,
                                              fast_rollout, linear_extrapolation, linear_rollout, predict_next,
                                              rollout, split_context)
from choreo_utils.prediction.study import (by_unit, gain_table, mse_per_sequence, one_step_over_seeds,
                                           relative_gain, rollouts_over_seeds, train_seeds, with_weights)
from choreo_utils.prediction.training import time_train_step, train
from choreo_utils.training import SeedRun, TrainResult

__all__ = [
    "MIN_SAMPLES_PER_DIM", "VIDEO_MODES", "WINDOW_SOURCES", "FrechetSampleWarning", "GenreEval",
    "above_chance", "accuracy_table", "assign_videos", "build_genre_classifier", "check_disjoint", "classify_windows",
    "compare_accuracy", "compare_frechet", "evaluate_rollouts", "fast_rollout", "frechet_by_horizon",
    "frechet_distance", "frechet_distance_from_features", "frechet_table", "halves", "horizon_windows", "keeps_genre",
    "load_predictors", "motion_energy", "predictor_folder", "spread_rows", "train_classifiers", "unit_accuracy",
    "video_table", "window_labels", "window_rows",
    "DEFAULT_CONFIG", "METRICS", "PAPER_CONFIG", "PSNR_MAX", "PAPER_SIZE", "PredictFn", "SeedRun", "TrainResult",
    "as_predict_fn", "build_model", "build_paper_model", "by_unit", "causal_conv3d", "causal_leak", "check_frames",
    "compare_rollouts", "copy_last", "copy_last_rollout", "count_params", "frame_metrics", "frames_to_sequences",
    "gain_table", "improvement", "linear_extrapolation", "linear_rollout", "load_predictor", "load_sequences",
    "metrics_by_horizon", "model_channels", "motion_crop", "mse_per_sequence", "one_step_over_seeds", "predict_next",
    "relative_gain", "resize_model", "rollout", "rollouts_over_seeds", "save_predictor", "sequence_table",
    "shift_frames", "split_context",
    "split_sequences", "summarize", "time_train_step", "to_unit", "train", "train_seeds", "video_sequences",
    "with_weights",
]
