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
