"""Tests for choreo_utils.viz: what the confusion matrix shows, and uint8 conversion of frames for pictures."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from choreo_utils import viz


def test_plot_confusion_colours_rows_and_writes_counts():
    labels = ["a", "b", "c", "d"]
    fig = viz.plot_confusion([0, 1, 2, 3, 1, 1, 0], [0, 1, 1, 3, 2, 1, 3], labels, "my title")
    ax = fig.axes[0]
    assert len(fig.axes) == 1                                            # no colour bar
    image = ax.get_images()[0]
    expected = np.array([[0.5, 0, 0, 0.5], [0, 2 / 3, 1 / 3, 0], [0, 1, 0, 0], [0, 0, 0, 1]])
    np.testing.assert_allclose(image.get_array(), expected)             # colours: rows normalised
    assert image.get_clim() == (0, 1)
    cells = sorted((tuple(map(int, t.get_position())), t.get_text(), t.get_color()) for t in ax.texts)
    assert cells == [((0, 0), "1", "black"), ((1, 1), "2", "white"), ((1, 2), "1", "white"),
                     ((2, 1), "1", "black"), ((3, 0), "1", "black"), ((3, 3), "1", "white")]  # (column, row): counts
    assert [t.get_text() for t in ax.get_xticklabels()] == labels == [t.get_text() for t in ax.get_yticklabels()]
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == ("my title", "predicted", "true")
    plt.close(fig)


def test_to_uint8_rounds_and_clips():
    assert viz.to_uint8(np.array([-0.1, 0.0, 0.5, 1.0, 1.2])).tolist() == [0, 0, 128, 255, 255]
