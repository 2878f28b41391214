"""choreo_utils — the helper package behind the AI Choreographer teaching notebooks.

One module per pipeline stage (see README): ``config``, ``letsdance``, ``synthetic``, ``video``,
``clips``, ``features``, ``classifier``, ``tuning``, ``prediction``, ``viz``, ``widgets``.
Heavy modules (TensorFlow, Keras) are imported only when you use them.
"""
from choreo_utils.config import GENRES

__all__ = ["GENRES"]
__version__ = "0.1.0"
