"""ipywidgets explorers for the notebooks (they degrade to a static first view when not interactive)."""
from __future__ import annotations

import pandas as pd


def frame_scrubber(index: pd.DataFrame, width: int = 360):
    """Pick a genre and a video, then scrub through its frames with a slider."""
    import ipywidgets as w  # noqa: PLC0415
    from pathlib import Path  # noqa: PLC0415

    genres = sorted(index["genre"].unique())
    genre_dd = w.Dropdown(options=genres, description="genre")
    video_dd = w.Dropdown(description="video")
    slider = w.IntSlider(min=0, max=0, description="frame", continuous_update=True)
    image = w.Image(format="jpeg", width=width)
    caption = w.Label()

    def videos_of(genre: str) -> list[str]:
        return sorted(index.loc[index["genre"] == genre, "video_id"].unique())

    def frames_of(video: str) -> pd.DataFrame:
        return index[index["video_id"] == video]

    def show(*_):
        rows = frames_of(video_dd.value)
        if rows.empty:
            return
        row = rows.iloc[min(slider.value, len(rows) - 1)]
        image.value = Path(row["path"]).read_bytes()
        caption.value = f"{Path(row['path']).name} — frame {row['frame']} of {len(rows)}"

    def on_genre(change=None):
        video_dd.options = videos_of(genre_dd.value)
        video_dd.value = video_dd.options[0]

    def on_video(change=None):
        slider.max = len(frames_of(video_dd.value)) - 1
        slider.value = 0
        show()

    genre_dd.observe(on_genre, names="value")
    video_dd.observe(on_video, names="value")
    slider.observe(show, names="value")
    on_genre()
    on_video()
    return w.VBox([w.HBox([genre_dd, video_dd]), slider, image, caption])


def prediction_viewer(true, pred, names=None, width: int = 540):
    """Step through aligned (N, k, H, W, 1) original and predicted frames: original | predicted | |error|."""
    import io  # noqa: PLC0415

    import ipywidgets as w  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415
    from PIL import Image  # noqa: PLC0415

    from choreo_utils.viz import side_by_side  # noqa: PLC0415

    true, pred = np.asarray(true), np.asarray(pred)
    names = list(names) if names is not None else [f"sequence {i}" for i in range(len(true))]
    seq = w.Dropdown(options=[(name, i) for i, name in enumerate(names)], value=0, description="sequence")
    step = w.IntSlider(min=1, max=true.shape[1], value=1, description="horizon")
    image = w.Image(format="png", width=width)
    caption = w.Label()

    def show(*_):
        i, j = seq.value, step.value - 1
        panel = side_by_side(true[i, j:j + 1], pred[i, j:j + 1], gap=3)[0, ..., 0]
        buf = io.BytesIO()
        Image.fromarray(panel).resize((panel.shape[1] * 3, panel.shape[0] * 3), Image.NEAREST).save(buf, "png")
        image.value = buf.getvalue()
        mse = float(np.mean((true[i, j] - pred[i, j]) ** 2))
        caption.value = f"{names[i]} — frame t+{j + 1}: original | predicted | |error| ×2 (MSE {mse:.5f})"

    seq.observe(show, names="value")
    step.observe(show, names="value")
    show()
    return w.VBox([w.HBox([seq, step]), image, caption])
