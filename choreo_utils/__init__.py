"""choreo_utils — the helper package behind the AI Choreographer teaching notebooks.

Modules sit in layers; a module imports only from its own layer or below, never upwards, never a private name of
another module, and no two modules of one layer import each other in a cycle (``tests/test_layers.py`` checks it
over every import, function-level ones included)::

    5  notebooks/                    (papermill parameters; they import from every layer)
    4  pipeline · viz · widgets · tuning.cli        parameters → arrays, figures, explorers, command lines
    3  classifier · sweep · tuning/ · prediction/   models and the studies that train them over seeds
    2  training · extractor · backbones · pretext · features · weights
                                                    one fit, seeds; feature extractors and their cache
    1  video · download · letsdance · synthetic/ · datasets · clips
                                                    frames and where they come from; clips and splits
    0  config · runtime · checks · io_utils · bundle · progress · params · stats · profiling · workers

Conventions, the same in every module:

* **Sizes.** ``size`` is a frame size (height, width) in pixels (an int means a square). Where one function has
  two, ``frame_size`` is the size frames are rendered or read at and ``image_size`` the size a CNN takes (an
  extractor's input); ``frame_shape`` is (height, width, channels), what a model takes per frame.
* **Frames.** Into feature extraction: uint8 RGB 0–255 (``Extractor``, ``reestimate_batchnorm``, ``video``
  readers). Into next-frame prediction and its metrics: grey levels as floats in [0, 1], uint8 accepted and
  scaled (``prediction.to_unit``). Every public entry point checks dtype, range and shape and says how to convert.
* **Progress.** ``progress=True`` draws a bar with the default label, a str a bar with that label, False none
  (``progress.label``).
* **Seeds.** ``seed`` everywhere; many seeds of one architecture reuse one compiled model
  (``training.seeded_model``, ``training.over_seeds``).
* **Results.** What a notebook reads is a dataclass (``TrainResult``, ``SeedRun``, ``SeedScores``, ``Interval``,
  ``GenreEval``, ``SearchResult``, ...); per-run evaluation details stay plain dicts of numbers
  (``classifier.evaluate``, ``fit_evaluate``).
* **Files.** Model folders go through ``bundle`` (atomic, checked on load, one ``BundleError`` naming the
  folder); every other file through ``io_utils`` (atomic writes, ``read_json``). Save functions return the
  ``Path`` written; ``viz.save_fig`` and ``io_utils.save_metrics`` return the path relative to the project
  root as a str, the form the notebooks print. SHA-256 digests are ``sha256`` arguments.

Heavy modules (TensorFlow, Keras) are imported only when you use them: ``import choreo_utils.<module>`` does
not start TensorFlow for any module.
"""
from choreo_utils.config import GENRES

__all__ = ["GENRES"]
__version__ = "0.1.0"
