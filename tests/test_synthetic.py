import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from choreo_utils import GENRES, letsdance, synthetic


def _digest(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted((root / "rgb").rglob("*.jpg")):
        h.update(p.relative_to(root).as_posix().encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def test_layout_matches_lets_dance(tiny_dataset):
    index = letsdance.index_frames(tiny_dataset)
    assert sorted(index.genre.unique()) == list(GENRES)
    assert len(index) == 16 * 2 * 12
    # every file name parses with the real grammar, ids are 11 characters, frames start at 0001
    for path in index.path:
        name = letsdance.parse_frame_name(path)
        assert len(name.youtube_id) == 11
    assert index.groupby("video_id").frame.min().eq(1).all()
    assert index.groupby("video_id").frame.max().eq(12).all()
    assert all(Path(p).name[:-4].rsplit("_", 2)[1].isdigit() for p in index.path)


def test_ids_are_tricky_and_some_have_several_segments():
    plan = synthetic.plan_dataset(videos_per_genre=10, seed=0)
    ids = {item["youtube_id"] for item in plan}
    assert any("_" in i for i in ids) and any("-" in i for i in ids)
    per_id = {}
    for item in plan:
        per_id.setdefault(item["youtube_id"], set()).add(item["genre"])
    assert len(ids) < len(plan), "some YouTube ids must hold several segments"
    assert all(len(g) == 1 for g in per_id.values()), "a YouTube id belongs to one genre"
    assert len({item["video_id"] for item in plan}) == len(plan)


def test_deterministic_bytes(tmp_path):
    kwargs = dict(videos_per_genre=1, frames_per_video=4, size=(40, 60), seed=7, progress=False)
    a = synthetic.generate_dataset(tmp_path / "a", workers=1, **kwargs)
    b = synthetic.generate_dataset(tmp_path / "b", workers=2, **kwargs)
    assert _digest(a) == _digest(b)
    c = synthetic.generate_dataset(tmp_path / "c", workers=1, **{**kwargs, "seed": 8})
    assert _digest(a) != _digest(c)


def test_rerun_is_cached_and_mismatch_refused(tmp_path):
    kwargs = dict(videos_per_genre=1, frames_per_video=3, size=(40, 60), seed=1, progress=False, workers=1)
    root = synthetic.generate_dataset(tmp_path, **kwargs)
    first = (root / "rgb" / "tap").stat().st_mtime_ns
    synthetic.generate_dataset(tmp_path, **kwargs)          # same settings: nothing rewritten
    assert (root / "rgb" / "tap").stat().st_mtime_ns == first
    with pytest.raises(FileExistsError, match="frames_per_video"):
        synthetic.generate_dataset(tmp_path, **{**kwargs, "frames_per_video": 4})
    synthetic.generate_dataset(tmp_path, **{**kwargs, "frames_per_video": 4, "overwrite": True})
    assert json.loads((root / "synthetic.json").read_text())["frames_per_video"] == 4
    assert len(list((root / "rgb" / "tap").glob("*.jpg"))) == 4


def test_foreign_rgb_folder_is_not_overwritten(tmp_path):
    (tmp_path / "rgb" / "tap").mkdir(parents=True)
    keep = tmp_path / "rgb" / "tap" / "mine.jpg"
    keep.write_bytes(b"user data")
    with pytest.raises(FileExistsError, match="not written by generate_dataset"):
        synthetic.generate_dataset(tmp_path, videos_per_genre=1, frames_per_video=2, progress=False)
    assert keep.read_bytes() == b"user data"


def test_interrupted_generation_leaves_nothing_that_looks_complete(tmp_path, monkeypatch):
    calls = {"n": 0}
    real = synthetic.render_video

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 5:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(synthetic.dataset, "render_video", failing)   # where generate_dataset looks it up
    with pytest.raises(KeyboardInterrupt):
        synthetic.generate_dataset(tmp_path, videos_per_genre=1, frames_per_video=2, progress=False, workers=1)
    assert not (tmp_path / "rgb").exists()
    assert not (tmp_path / "synthetic.json").exists()
    assert not list(tmp_path.glob(".rgb.partial-*"))


@pytest.mark.parametrize("bad", [dict(videos_per_genre=0), dict(frames_per_video=0), dict(size=(8, 8)),
                                 dict(motion_cue=1.5), dict(appearance_cue=-0.1)])
def test_bad_arguments(tmp_path, bad):
    with pytest.raises(ValueError):
        synthetic.generate_dataset(tmp_path, progress=False, **bad)


def _video_features(spec_kwargs: dict, n: int = 20) -> np.ndarray:
    frames = synthetic.render_video(synthetic.VideoSpec(**spec_kwargs), n, size=(48, 72))
    return frames.astype(float)


def test_cues_can_be_switched_off():
    plan_on = synthetic.plan_dataset(videos_per_genre=8, seed=0)
    assert all(i["spec"].motion == i["genre"] for i in plan_on)
    assert all(i["spec"].family == synthetic.GENRE_STYLE[i["genre"]][0] for i in plan_on)
    plan_off = synthetic.plan_dataset(videos_per_genre=8, seed=0, motion_cue=0.0, appearance_cue=0.0)
    motion_match = np.mean([i["spec"].motion == i["genre"] for i in plan_off])
    family_match = np.mean([i["spec"].family == synthetic.GENRE_STYLE[i["genre"]][0] for i in plan_off])
    assert motion_match < 0.2 and family_match < 0.3     # ~1/16 and ~1/8 by chance


def test_palette_families_are_shared_by_pairs():
    families = [synthetic.GENRE_STYLE[g][0] for g in GENRES]
    assert sorted(families.count(f) for f in set(families)) == [2] * 8


def test_genres_move_and_differ():
    """Every genre's video changes over time, and motion programs differ between genres."""
    plan = synthetic.plan_dataset(videos_per_genre=1, seed=0)
    joints = {}
    for item in plan:
        frames, j = synthetic.render_video(item["spec"], 25, size=(48, 72), return_joints=True)
        assert frames.shape == (25, 48, 72, 3) and frames.dtype == np.uint8
        assert j.shape[:2] == (25, 2)
        motion = np.abs(np.diff(j, axis=0)).mean()
        assert motion > 0.05, f"{item['genre']} barely moves"
        joints[item["genre"]] = j
    # tempo: cha is the fast version of rumba's sway → more frame-to-frame motion
    assert np.abs(np.diff(joints["cha"], axis=0)).mean() > np.abs(np.diff(joints["rumba"], axis=0)).mean()


def test_dancer_is_large_in_frame():
    spec = synthetic.plan_dataset(videos_per_genre=1, seed=0)[0]["spec"]
    _, j = synthetic.render_video(spec, 5, size=(96, 144), return_joints=True)
    height = j[..., 1].max(axis=-1) - j[..., 1].min(axis=-1)
    assert height.mean() > 0.4 * 96


def test_describe_and_video_specs(tiny_dataset):
    table = synthetic.describe_genres()
    assert list(table.index) == list(GENRES)
    specs = synthetic.video_specs(tiny_dataset)
    assert len(specs) == 32 and set(specs.genre) == set(GENRES)
    with pytest.raises(FileNotFoundError):
        synthetic.video_specs(tiny_dataset / "nope")


def test_older_generator_version_is_regenerated_with_a_warning(tmp_path):
    kwargs = dict(videos_per_genre=1, frames_per_video=2, size=(40, 60), seed=1, progress=False, workers=1)
    root = synthetic.generate_dataset(tmp_path, **kwargs)
    manifest = json.loads((root / "synthetic.json").read_text())
    manifest["version"] = synthetic.GENERATOR_VERSION - 1
    (root / "synthetic.json").write_text(json.dumps(manifest))
    with pytest.warns(UserWarning, match="regenerating"):
        synthetic.generate_dataset(tmp_path, **kwargs)
    assert json.loads((root / "synthetic.json").read_text())["version"] == synthetic.GENERATOR_VERSION


def _all_files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("crash_at", [1, 2, 3, 4])
def test_crash_at_any_commit_step_leaves_old_or_complete_new_set(tmp_path, monkeypatch, crash_at):
    """os.replace calls of a regeneration: 1 pending record, 2 old rgb/ aside, 3 new rgb/ in, 4 manifest."""
    import os

    kwargs = dict(videos_per_genre=1, frames_per_video=2, size=(40, 60), seed=1, progress=False, workers=1)
    clean = _all_files(synthetic.generate_dataset(tmp_path / "clean", **kwargs))
    root = synthetic.generate_dataset(tmp_path / "run", **{**kwargs, "seed": 2})
    old = _all_files(root)
    real_replace, calls = os.replace, {"n": 0}

    def crashing_replace(src, dst):
        calls["n"] += 1
        if calls["n"] == crash_at:
            raise KeyboardInterrupt
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", crashing_replace)
    with pytest.raises(KeyboardInterrupt):
        synthetic.generate_dataset(root, **kwargs, overwrite=True)
    monkeypatch.setattr(os, "replace", real_replace)
    after_crash = _all_files(root)
    if (root / "rgb").is_dir() and not (root / ".synthetic.json.pending").exists():
        assert after_crash == old                                   # nothing started: the old set
    if crash_at >= 2:            # rendering had finished: the next run completes the commit, renders nothing
        monkeypatch.setattr(synthetic.dataset, "render_video", lambda *a, **k: pytest.fail("re-rendered"))
    synthetic.generate_dataset(root, **kwargs, overwrite=True)      # the same call again
    assert _all_files(root) == clean                                # the complete new set, byte for byte
    assert sorted(p.name for p in root.iterdir()) == ["joints.npz", "rgb", "synthetic.json"]   # no leftovers


def test_truncated_manifest_names_the_file_and_what_to_do(tmp_path):
    kwargs = dict(videos_per_genre=1, frames_per_video=2, size=(40, 60), seed=1, progress=False, workers=1)
    root = synthetic.generate_dataset(tmp_path, **kwargs)
    text = (root / "synthetic.json").read_text()
    (root / "synthetic.json").write_text(text[: len(text) // 2])
    for call in (lambda: synthetic.generate_dataset(root, **kwargs), lambda: synthetic.video_specs(root)):
        with pytest.raises(ValueError) as err:
            call()
        msg = str(err.value)
        assert str(root / "synthetic.json") in msg and "is corrupt (JSONDecodeError" in msg
        assert str(root / "rgb") in msg and "overwrite=True" in msg
    synthetic.generate_dataset(root, **kwargs, overwrite=True)      # the way out it names works
    assert json.loads((root / "synthetic.json").read_text())["frames"] == 16 * 2


def test_oracle_pose_is_the_drawn_joints_stored_with_the_set(tiny_dataset):
    from choreo_utils import letsdance, pipeline

    item = synthetic.plan_dataset(2, seed=3)[7]
    frames, joints = synthetic.render_video(item["spec"], 12, (48, 72), return_joints=True)
    assert np.array_equal(joints, synthetic.pose_sequence(item["spec"], 12, (48, 72)))
    poses = synthetic.pose_features(tiny_dataset)
    assert (tiny_dataset / synthetic.JOINTS).is_file()
    assert poses[item["video_id"]].shape == (12, 48)
    body = item["spec"].scale * 48
    rel = (joints[:, 0] - joints[:, 0, :1]).reshape(12, -1) / body      # lead's joints relative to its hip
    assert np.allclose(poses[item["video_id"]][:, :22], rel, atol=1e-5)
    index = letsdance.index_frames(tiny_dataset)
    fs = pipeline.oracle_pose(index)
    row = int(np.flatnonzero((index["video_id"] == item["video_id"]).to_numpy())[3])
    assert np.array_equal(fs.features[row], poses[item["video_id"]][index["frame"].iloc[row] - 1])
    assert "oracle pose" in fs.label


def test_oracle_pose_refuses_data_without_joints(tmp_path):
    with pytest.raises(FileNotFoundError, match="oracle pose exists only for a synthetic set"):
        synthetic.pose_features(tmp_path)
