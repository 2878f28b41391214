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


def choreographer_explorer(generator, skeleton, fps: float, horizon: int = 120, contexts=None, judge=None,
                           window: int = 30, candidates: int = 16, size: int = 160):
    """Pick a genre, a tempo and a seed; see the dance the choreographer generates (a GIF) and what it measures.

    ``generator``: a trained :class:`~choreo_utils.choreography.Generator`; ``skeleton`` draws its poses;
    ``contexts``: ``{genre name: (c, joints, 2) real frames}`` to continue (a "start" control then chooses between
    them and the genre alone; None: from nothing but the genre);
    ``judge``: notebook 07's pose-space genre judge, to say which genre it sees in the last ``window`` frames.
    A tempo other than "any" keeps the best of ``candidates`` latents for it (``choreography.tempo.at_tempo``)."""
    import io  # noqa: PLC0415

    import imageio.v3 as iio  # noqa: PLC0415
    import ipywidgets as w  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415

    from choreo_utils.choreography import judging, plots, tempo, yardsticks  # noqa: PLC0415

    names = list(generator.genre_names)
    genre_dd = w.Dropdown(options=names, value=names[0], description="genre")
    tempo_sl = w.FloatSlider(value=0.0, min=0.0, max=4.0, step=0.25, description="tempo (Hz)",
                             continuous_update=False, readout_format=".2f")
    seed_sl = w.IntSlider(value=0, min=0, max=99, description="seed", continuous_update=False)
    start_dd = w.Dropdown(options=["a real dance's first frames", "the genre alone"], description="start")
    image = w.Image(format="gif", width=size)
    caption = w.Label()

    def show(*_):
        genre = genre_dd.value
        real = contexts is not None and genre in contexts and start_dd.index == 0
        context = np.asarray(contexts[genre])[None] if real else None
        if tempo_sl.value > 0:
            dance, hz = tempo.at_tempo(generator, context, [genre], tempo_sl.value, horizon, fps,
                                       candidates=candidates, seed=seed_sl.value)
            asked = f"asked {tempo_sl.value:.2f} Hz, best of {candidates} latents: "
        else:
            dance = generator.generate(context, [genre], horizon, seed=seed_sl.value)
            hz, asked = yardsticks.dominant_frequency(dance, fps), ""
        frames = plots.draw({genre: dance[0]}, skeleton, size=size, label=False)
        buf = io.BytesIO()
        iio.imwrite(buf, frames, extension=".gif", duration=1000 / fps, loop=0)
        image.value = buf.getvalue()
        seen = ""
        if judge is not None:
            probs = judging.judge(judge, dance[:, -window:])[0][0]
            seen = f"; the judge sees {names[int(np.argmax(probs))]} ({float(np.max(probs)):.0%})"
        start = "from a real context" if context is not None else "from the genre alone"
        caption.value = (f"{genre}, seed {seed_sl.value}, {horizon} frames {start}; {asked}tempo "
                         f"{float(hz[0]):.2f} Hz{seen}")

    controls = [genre_dd, tempo_sl, seed_sl] + ([start_dd] if contexts is not None else [])
    for control in controls:
        control.observe(show, names="value")
    show()
    return w.VBox([w.HBox(controls), image, caption])
