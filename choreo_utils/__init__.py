"""choreo_utils — the helper package behind the AI Choreographer teaching notebooks.

One module (or subpackage) per pipeline stage, in the order the notebooks use them:

=================  ===========================================================================================
data               ``config`` (paths, GENRES, smoke mode) · ``letsdance`` (the real archive: names, index,
                   safe extraction) · ``download`` (resumable download with SHA-256) · ``synthetic/`` (genres,
                   motion, render, dataset) · ``datasets`` (one entry point per data source) · ``video`` (the
                   one frame decoder; read and write videos) · ``clips`` (clips and leak-free splits)
features           ``features`` (backbones, BatchNorm re-estimation, cached extraction) · ``profiling``
                   (FLOPs, GEMM speed, throughput, feature smoothness) · ``pipeline`` (parameters → clip
                   arrays; tuning-data export)
models             ``training`` (one fit: seed, epoch timer, progress bar) · ``classifier`` (the BiLSTM,
                   baselines, evaluation, saved models) · ``tuning/`` (space, budget, settings, data, tuners,
                   project, results, search, compare, distributed, processes, cli) · ``prediction/`` (frames,
                   data, models, training, rollouts, metrics)
around them        ``runtime`` (seeding, device note, TF log noise, versions) · ``progress`` (text bars) ·
                   ``io_utils`` (atomic writes) · ``checks`` (argument checks) · ``viz`` (save_fig, plots,
                   prediction panels, GIFs) · ``widgets`` (ipywidgets explorers)
=================  ===========================================================================================

Heavy modules (TensorFlow, Keras) are imported only when you use them.
"""
from choreo_utils.config import GENRES

__all__ = ["GENRES"]
__version__ = "0.1.0"
