"""Tests for choreo_utils.viz: what the confusion matrix shows, and uint8 conversion of frames for pictures."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

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


def test_show_source_shows_the_code_without_its_docstring():
    from choreo_utils import prediction, tuning

    text = viz.show_source(prediction.build_model, tuning.ClassifierHyperModel.build).data
    assert text.startswith("```python\ndef build_model(") and text.endswith("```")
    assert "layers.ConvLSTM2D if memory else NoMemoryConvLSTM2D" in text and "def build(self, hp):" in text
    assert "Our efficient default" not in text and "A compiled BiLSTM for" not in text
    with pytest.raises(TypeError, match="functions or methods"):
        viz.show_source(len)


def test_gain_curves_draw_interval_bands_only_on_three_seeds_or_more():
    from matplotlib.collections import PolyCollection

    from choreo_utils import stats
    from choreo_utils.prediction import plots

    def bands(n_seeds):
        ivs = [stats.Interval(0.1, 0.05, 0.15, n_seeds=n_seeds)] * 4
        fig = plots.plot_gain_curves([("t", "h", {"ConvLSTM": np.full((n_seeds, 4), 10.0)})], [range(1, 5)],
                                     intervals={"ConvLSTM": ivs})
        found = [c for c in fig.axes[0].collections if isinstance(c, PolyCollection)]
        plt.close(fig)
        return found

    assert len(bands(3)) == 1 and not bands(2)
    reference = viz.plot_seed_points(pd.DataFrame({"p": ["a"] * 3, "g": ["x"] * 3, "v": [0.4, 0.6, 0.7]}),
                                     "p", "g", "v", "title", "acc", reference=(0.5, "coin flip"))
    assert any(line.get_label() == "coin flip" for line in reference.axes[0].lines)


def test_in_numbers_lists_each_line_and_refuses_nothing_to_show():
    md = viz.in_numbers("96.5% accuracy", "  ", "order helps by 10.1 points").data
    assert md.splitlines()[0].startswith("**This run, in numbers**")
    assert md.splitlines()[-2:] == ["- 96.5% accuracy", "- order helps by 10.1 points"]
    with pytest.raises(ValueError, match="at least one line"):
        viz.in_numbers(" ")
