"""Notebook 07's second half: from a video's frames to a pose context (the pretext CNN's head), asking for a
tempo through the latent, and the explorer widget."""
import types

import cv2
import numpy as np
import pytest

from choreo_utils import choreography as CH
from choreo_utils import pretext, synthetic
from choreo_utils.choreography import from_video, tempo


def test_synthetic_frames_are_the_frames_on_disk_in_the_dances_order(tiny_dataset):
    plan = synthetic.plan_dataset(2, 3)
    frames = CH.synthetic_frames(videos_per_genre=2, seed=3, n_frames=12, size=(48, 72))
    assert frames.shape == (len(plan), 12, 48, 72, 3) and frames.dtype == np.uint8
    for i in (0, 7):
        item = plan[i]
        folder = tiny_dataset / "rgb" / item["genre"]
        files = sorted(folder.glob(f"{item['video_id']}*"), key=lambda p: int(p.stem.rsplit("_", 1)[-1]))
        disk = np.stack([cv2.cvtColor(cv2.imread(str(f)), cv2.COLOR_BGR2RGB) for f in files])
        np.testing.assert_array_equal(frames[i], disk)
    dances = CH.synthetic_dances(videos_per_genre=2, seed=3, n_frames=12, size=(48, 72))
    ids = [dances.ids[3], dances.ids[20]]
    some = CH.synthetic_frames(videos_per_genre=2, seed=3, n_frames=12, size=(48, 72), ids=ids)
    keep = np.flatnonzero(np.isin(dances.ids, ids))                    # Dances.with_ids' order
    np.testing.assert_array_equal(some, frames[keep])
    with pytest.raises(ValueError, match="not in this synthetic set"):
        CH.synthetic_frames(videos_per_genre=2, seed=3, ids=["nope"])


class _Fixed:
    """A stand-in pretext model: predicts given standardised values, whatever the frames."""

    def __init__(self, values):
        self.values, self.seen = values, None

    def predict(self, x, batch_size=256, verbose=0):
        self.seen = x.shape
        return self.values[: len(x)]


def test_estimate_poses_undoes_the_standardisation_and_starts_the_root_at_zero():
    rng = np.random.default_rng(0)
    std, mean = rng.uniform(0.5, 2, 48).astype(np.float32), rng.normal(size=48).astype(np.float32)
    values = rng.normal(size=(6, 48)).astype(np.float32)
    pre = types.SimpleNamespace(model=_Fixed(values), meta={"settings": {"image_size": [30, 40]},
                                                          "target_mean": mean.tolist(), "target_std": std.tolist()})
    frames = rng.integers(0, 255, (2, 3, 60, 80, 3), dtype=np.uint8)
    poses = from_video.estimate_poses(frames, pre)
    assert pre.model.seen == (6, 30, 40, 3) and poses.shape == (2, 3, 24, 2)       # resized to the CNN's input
    expect = (values * std + mean).reshape(2, 3, 24, 2)
    np.testing.assert_allclose(np.delete(poses, 22, axis=2), np.delete(expect, 22, axis=2), rtol=1e-6)
    np.testing.assert_allclose(poses[:, :, 22], expect[:, :, 22] - expect[:, :1, 22], rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="uint8 RGB"):
        from_video.estimate_poses(frames.astype(np.float32), pre)


def test_the_shipped_pretext_cnn_reads_the_choreographers_joints_from_frames():
    pre = pretext.load(pretext.shipped_folder())
    frames = CH.synthetic_frames(videos_per_genre=1, seed=7, n_frames=6)
    oracle = CH.synthetic_dances(videos_per_genre=1, seed=7, n_frames=6).poses
    seen = from_video.estimate_poses(frames, pre)
    r2 = from_video.pose_r2(seen, oracle)
    assert r2 > 0.8, r2                                   # notebook 02 records 0.95 on its held-out videos
    assert from_video.pose_r2(seen, oracle[::-1]) < r2 - 0.3   # another video's pose is far worse
    assert from_video.pose_r2(oracle, oracle) == pytest.approx(1.0)


class _Tempos:
    """A stand-in generator: row r of a call dances a sine at 0.5 + 0.25 · (r mod 8) Hz."""

    genre_names = ("slow", "fast")

    def generate(self, context, genres, horizon, seed=0):
        t = np.arange(horizon) / 25.0
        hz = 0.5 + 0.25 * (np.arange(len(genres)) % 8)
        track = np.sin(2 * np.pi * hz[:, None] * t[None])
        return np.repeat(track[:, :, None, None], 2, axis=3).repeat(3, axis=2).astype(np.float32)


def test_at_tempo_keeps_the_latent_nearest_the_asked_tempo():
    dances, hz = tempo.at_tempo(_Tempos(), None, ["slow", "fast"], [1.0, 2.0], horizon=200, fps=25.0, candidates=8)
    assert dances.shape == (2, 200, 3, 2)
    np.testing.assert_allclose(hz, [1.0, 2.0], atol=25.0 / 200)
    np.testing.assert_allclose(CH.dominant_frequency(dances, 25.0), hz)
    _, one = tempo.at_tempo(_Tempos(), None, ["slow"], 1.0, horizon=200, fps=25.0, candidates=1)
    assert abs(one[0] - 0.5) <= 25.0 / 200                # one latent: whatever it dances
    with pytest.raises(ValueError, match="positive frequencies"):
        tempo.at_tempo(_Tempos(), None, ["slow"], 0.0, horizon=20, fps=25.0)


def _tiny_generator():
    t = np.arange(24) / 25.0
    rng = np.random.default_rng(0)
    hz = np.where(np.arange(16) % 2 == 0, 1.0, 3.0)
    tracks = np.sin(2 * np.pi * hz[:, None, None, None] * t[None, :, None, None] + rng.uniform(0, 6, (16, 1, 3, 2)))
    dances = CH.Dances(tracks.astype(np.float32), np.arange(16) % 2, [f"id{i}" for i in range(16)],
                       ("slow", "fast"))
    cfg = CH.GeneratorConfig(units=8, latent=2, genre_dim=2, context=4, train_frames=16, block=3, epochs=2,
                             batch_size=8, free_max=None, spectral_weight=0.0)
    return CH.Generator(3, ("slow", "fast"), cfg, seed=0).fit(dances, progress=False), dances


def test_at_tempo_with_a_real_generator_repeats_with_its_seed():
    gen, dances = _tiny_generator()
    a, hz = tempo.at_tempo(gen, dances.poses[:2, :6], ["slow", "fast"], 2.0, horizon=30, fps=25.0, candidates=4)
    b, _ = tempo.at_tempo(gen, dances.poses[:2, :6], ["slow", "fast"], 2.0, horizon=30, fps=25.0, candidates=4)
    assert a.shape == (2, 30, 3, 2) and np.array_equal(a, b) and hz.shape == (2,)


def test_the_explorer_draws_a_dance_and_follows_its_controls():
    pytest.importorskip("ipywidgets")
    from choreo_utils import widgets

    gen, dances = _tiny_generator()
    box = widgets.choreographer_explorer(gen, None, fps=25.0, horizon=20, candidates=3, size=48,
                                         contexts={"slow": dances.poses[0, :6]})
    (controls, image, caption) = box.children
    genre, tempo_slider, seed, start = controls.children
    assert image.value[:3] == b"GIF" and "slow" in caption.value and "from a real context" in caption.value
    first = image.value
    genre.value = "fast"
    assert "fast" in caption.value and "from the genre alone" in caption.value and image.value != first
    tempo_slider.value = 2.0
    assert "asked 2.00 Hz, best of 3 latents" in caption.value
    seed.value = 5
    assert "seed 5" in caption.value
    genre.value = "slow"
    assert "from a real context" in caption.value
    start.value = "the genre alone"
    assert "slow" in caption.value and "from the genre alone" in caption.value
    alone = widgets.choreographer_explorer(gen, None, fps=25.0, horizon=20, candidates=3, size=48)
    assert len(alone.children[0].children) == 3                      # no contexts: no start control



# --------------------------------------------------------------------------------------- the pixel route
def _specs(motion):
    return [item for item in synthetic.plan_dataset(1, 0) if item["spec"].motion == motion]


def test_render_joints_draws_a_videos_own_joints_as_the_video_does():
    from choreo_utils.synthetic import render

    spec = _specs("cha")[0]["spec"]                           # one dancer who never turns: identical frames
    frames, joints = render.render_video(spec, 12, return_joints=True)
    assert render.figure_count(spec) == 1 and render.figure_count(_specs("tango")[0]["spec"]) == 2
    np.testing.assert_array_equal(render.render_joints(spec, joints, figures=1), frames)
    np.testing.assert_array_equal(render.render_joints(spec, joints[5:], figures=1, start_frame=5), frames[5:])
    moved = joints + np.array([6.0, 0.0])                     # the dancer drawn 6 pixels to the right
    assert not np.array_equal(render.render_joints(spec, moved, figures=1), frames)
    couple = _specs("tango")[0]["spec"]
    frames, joints = render.render_video(couple, 12, return_joints=True)
    drawn = render.render_joints(couple, joints, figures=2)
    assert np.abs(drawn.astype(int) - frames).mean() < 3       # only the far side's shading and the overlap differ
    with pytest.raises(ValueError, match=r"\(frames, 2 figures, 11, 2\)"):
        render.render_joints(spec, joints[:, 0])
    with pytest.raises(ValueError, match="NaN"):
        render.render_joints(spec, np.full_like(joints, np.nan))


def test_synthetic_redraw_puts_a_dance_back_where_its_video_was():
    dances = CH.synthetic_dances(videos_per_genre=1, seed=0, n_frames=20)
    frames = CH.synthetic_frames(videos_per_genre=1, seed=0, n_frames=20)
    again = CH.synthetic_redraw(dances.poses, videos_per_genre=1, seed=0)
    later = CH.synthetic_redraw(dances.poses[:, 8:], videos_per_genre=1, seed=0, first_frame=8, dance_frames=20)
    cha = dances.genre_index("cha")
    np.testing.assert_array_equal(again[cha], frames[cha])                    # every pixel, JPEG included
    np.testing.assert_array_equal(later[cha], frames[cha, 8:])
    assert np.abs(again.astype(int) - frames).mean() < 3                       # every genre, near
    elsewhere = CH.synthetic_redraw(dances.poses[::-1], videos_per_genre=1, seed=0)   # others' dances
    assert np.abs(elsewhere.astype(int) - frames).mean() > 2 * np.abs(again.astype(int) - frames).mean()
    with pytest.raises(ValueError, match="one dance per selected video"):
        CH.synthetic_redraw(dances.poses[:3], videos_per_genre=1, seed=0)


def test_gray_windows_are_the_frames_notebook_06_reads(tiny_dataset):
    from choreo_utils import video
    from choreo_utils.choreography import pixels

    item = synthetic.plan_dataset(2, 3)[4]
    files = sorted((tiny_dataset / "rgb" / item["genre"]).glob(f"{item['video_id']}*"),
                   key=lambda p: int(p.stem.rsplit("_", 1)[-1]))
    disk = video.read_frames([str(f) for f in files], size=(30, 45), gray=True).astype(np.float32) / 255.0
    mine = pixels.gray_windows(CH.synthetic_frames(2, 3, n_frames=12, size=(48, 72))[4:5], (30, 45))
    np.testing.assert_array_equal(mine[0], disk)
    with pytest.raises(ValueError, match="uint8 RGB"):
        pixels.gray_windows(mine, (30, 45))


def test_the_video_judge_trains_and_scores_each_window_of_generated_frames():
    from choreo_utils.choreography import pixels

    rng = np.random.default_rng(0)
    t = np.arange(24)[:, None, None]
    still = np.zeros((6, 24, 16, 24, 1), np.float32) + 0.5
    moving = (0.5 + 0.4 * np.sin(t * 2.0 + np.arange(24)[None, None, :] * 0.5))[None, ..., None] + 0 * still
    videos = np.concatenate([still, moving]).astype(np.float32) + rng.normal(0, 0.01, still.shape[1:]).astype(
        np.float32)
    labels = np.array([0] * 6 + [1] * 6)
    x, y = pixels.training_windows(videos, labels, window=6, per_video=4)
    assert x.shape == (48, 6, 16, 24, 1) and list(y[:4]) == [0, 0, 0, 0] and list(y[-4:]) == [1, 1, 1, 1]
    model = pixels.train_video_judge(videos, labels, window=6, seed=0, epochs=30, per_video=4, batch_size=16,
                                     n_classes=2, progress=False)
    correct, motion = pixels.recognition(model, videos, labels, window=6, count=3)
    assert correct.shape == (12, 3) and correct.mean() > 0.9                 # motion tells still from moving
    assert motion[:6].max() < 0.02                                           # the still ones: noise only
    assert (motion[6:] > 10 * motion[:6]).all()
