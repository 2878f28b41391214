"""Tests for choreo_utils.video: reading video files and frame folders, writing videos, errors."""
from __future__ import annotations

import warnings
from pathlib import Path

import cv2
import numpy as np
import pytest

from choreo_utils import video

T, H, W = 12, 48, 64


def smooth_frames(t: int = T, h: int = H, w: int = W) -> np.ndarray:
    """Frames a lossy codec reproduces well: gradients with a different pattern per channel, plus motion."""
    yy, xx = np.mgrid[0:h, 0:w]
    frames = np.empty((t, h, w, 3), np.uint8)
    for i in range(t):
        frames[i, ..., 0] = (xx * 255 // (w - 1))
        frames[i, ..., 1] = (yy * 255 // (h - 1))
        frames[i, ..., 2] = (i * 255 // max(t - 1, 1))
    return frames


def write_png(path: Path, rgb: np.ndarray) -> None:
    assert cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))


def constant_frame(value: int, h: int = 8, w: int = 10) -> np.ndarray:
    return np.full((h, w, 3), value, np.uint8)


# ------------------------------------------------------------------------------------- round trip
@pytest.mark.parametrize("ext", [".mp4", ".avi"])
def test_write_read_round_trip(tmp_path: Path, ext: str) -> None:
    frames = smooth_frames()
    out = video.write_video(tmp_path / f"clip{ext}", frames, fps=25)
    assert out == tmp_path / f"clip{ext}" and out.is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"clip{ext}"]  # no temporary file left behind
    back = video.read_video(out)
    assert back.dtype == np.uint8 and back.shape == frames.shape
    assert np.abs(back.astype(int) - frames.astype(int)).mean() < 12  # lossy codec: loose tolerance


@pytest.mark.parametrize("ext", [".mp4", ".avi"])
def test_round_trip_keeps_rgb_order(tmp_path: Path, ext: str) -> None:
    red = np.zeros((4, 32, 32, 3), np.uint8)
    red[..., 0] = 220
    back = video.read_video(video.write_video(tmp_path / f"red{ext}", red))
    means = back.reshape(-1, 3).mean(axis=0)
    assert means[0] > 150 and means[2] < 60, means


def test_write_gray_and_2d_frames(tmp_path: Path) -> None:
    gray = smooth_frames()[..., :1]
    back = video.read_video(video.write_video(tmp_path / "g.avi", gray), gray=True)
    assert back.shape == gray.shape
    assert np.abs(back.astype(int) - gray.astype(int)).mean() < 12
    back2 = video.read_video(video.write_video(tmp_path / "g2.avi", gray[..., 0]))
    assert back2.shape == (T, H, W, 3)


def test_write_video_overwrites_atomically(tmp_path: Path) -> None:
    path = tmp_path / "v.mp4"
    video.write_video(path, smooth_frames(t=3))
    video.write_video(path, smooth_frames(t=5))
    assert video.read_video(path).shape[0] == 5
    assert [p.name for p in tmp_path.iterdir()] == ["v.mp4"]


def test_write_video_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\.mp4"):
        video.write_video(tmp_path / "v.gif", smooth_frames())
    with pytest.raises(TypeError, match="uint8"):
        video.write_video(tmp_path / "v.mp4", smooth_frames().astype(np.float32))
    with pytest.raises(ValueError, match="shape|frames"):
        video.write_video(tmp_path / "v.mp4", np.zeros((2, 8, 8, 2), np.uint8))
    with pytest.raises(ValueError, match="zero frames"):
        video.write_video(tmp_path / "v.mp4", np.zeros((0, 8, 8, 3), np.uint8))
    with pytest.raises(ValueError, match="fps"):
        video.write_video(tmp_path / "v.mp4", smooth_frames(), fps=0)
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------- read options
def test_gray_size_and_max_frames_from_video(tmp_path: Path) -> None:
    path = video.write_video(tmp_path / "v.mp4", smooth_frames())
    assert video.read_video(path, gray=True).shape == (T, H, W, 1)
    assert video.read_video(path, size=16).shape == (T, 16, 16, 3)
    assert video.read_video(path, size=(24, 40)).shape == (T, 24, 40, 3)
    assert video.read_video(path, size=(24, 40), gray=True).shape == (T, 24, 40, 1)
    assert video.read_video(path, max_frames=5).shape == (5, H, W, 3)
    assert video.read_video(path, max_frames=100).shape == (T, H, W, 3)


@pytest.mark.parametrize("bad", [0, -3, (10,), (10, 0), "16", 2.5, True])
def test_bad_size_rejected(tmp_path: Path, bad: object) -> None:
    path = video.write_video(tmp_path / "v.avi", smooth_frames(t=2))
    with pytest.raises(ValueError, match="size"):
        video.read_video(path, size=bad)


def test_bad_max_frames_rejected(tmp_path: Path) -> None:
    path = video.write_video(tmp_path / "v.avi", smooth_frames(t=2))
    with pytest.raises(ValueError, match="max_frames"):
        video.read_video(path, max_frames=0)


# ----------------------------------------------------------------------------- frame folders
def test_frame_folder_natural_sort(tmp_path: Path) -> None:
    folder = tmp_path / "frames"
    folder.mkdir()
    for i in range(12):  # frame_0 ... frame_11; plain string sort would put frame_10 before frame_2
        write_png(folder / f"frame_{i}.png", constant_frame(i * 20))
    (folder / ".DS_Store").write_bytes(b"junk")  # hidden: skipped without fuss
    frames = video.read_video(folder)
    assert frames.shape == (12, 8, 10, 3)
    assert frames[:, 0, 0, 0].tolist() == [i * 20 for i in range(12)]
    assert video.read_video(folder, max_frames=3)[:, 0, 0, 0].tolist() == [0, 20, 40]
    assert video.read_video(folder, gray=True).shape == (12, 8, 10, 1)
    assert video.read_video(folder, size=4).shape == (12, 4, 4, 3)


def test_natural_key_orders_numbers() -> None:
    names = ["f10.jpg", "f9.jpg", "f1.jpg", "F2.jpg", "f100.jpg"]
    assert sorted(names, key=video.natural_key) == ["f1.jpg", "F2.jpg", "f9.jpg", "f10.jpg", "f100.jpg"]


def test_frame_folder_other_files_are_counted_not_silent(tmp_path: Path) -> None:
    write_png(tmp_path / "0001.png", constant_frame(10))
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.warns(UserWarning, match=r"ignored 1 entry.*notes\.txt"):
        frames = video.read_video(tmp_path)
    assert frames.shape[0] == 1


def test_frame_folder_mixed_sizes(tmp_path: Path) -> None:
    write_png(tmp_path / "a1.png", constant_frame(10, 8, 10))
    write_png(tmp_path / "a2.png", constant_frame(10, 9, 10))
    with pytest.raises(ValueError, match=r"different sizes.*size="):
        video.read_video(tmp_path)
    assert video.read_video(tmp_path, size=(6, 6)).shape == (2, 6, 6, 3)


def test_empty_frame_folder(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no .*images"):
        video.read_video(tmp_path)


# --------------------------------------------------------------------------- corrupt frames
def make_frames_with_corrupt_jpeg(folder: Path) -> list[Path]:
    paths = []
    for i, value in enumerate([30, 60, 90]):
        p = folder / f"frame_{i}.jpg"
        assert cv2.imwrite(str(p), constant_frame(value))
        paths.append(p)
    paths[1].write_bytes(np.random.default_rng(0).bytes(500))  # garbage named .jpg
    return paths


def test_corrupt_jpeg_strict_raises_naming_file(tmp_path: Path) -> None:
    """Was: read_frames/read_video raised by default. Policy now: raise only with strict=True."""
    paths = make_frames_with_corrupt_jpeg(tmp_path)
    with pytest.raises(ValueError, match="frame_1.jpg.*strict=True"):
        video.read_frames(paths, strict=True)
    with pytest.raises(ValueError, match="frame_1.jpg"):
        video.read_video(tmp_path, strict=True)
    with pytest.raises(ValueError, match="frame_1.jpg"):
        video.load_frame(paths[1])


def test_corrupt_jpeg_is_zeros_and_one_warning_by_default(tmp_path: Path) -> None:
    """Was: on_error='warn' replaced a bad frame by the previous one. Policy now: zeros, one warning, by default."""
    paths = make_frames_with_corrupt_jpeg(tmp_path)
    with pytest.warns(UserWarning, match=r"1 of 3 frame images.*replaced by zeros.*frame_1\.jpg") as record:
        frames, info = video.read_frames(paths, return_info=True)
    assert len([w for w in record if "frame images" in str(w.message)]) == 1
    assert frames.shape == (3, 8, 10, 3)
    assert not frames[1].any() and frames[0].any() and frames[2].any()      # zeros in place, others kept
    assert info["n_bad"] == 1 and info["bad_paths"] == [str(paths[1])]
    with pytest.warns(UserWarning, match=r"1 of 3 frame images"):
        np.testing.assert_array_equal(video.read_video(tmp_path), frames)    # read_video: the same policy


def test_many_bad_frames_are_named_in_one_warning_with_and_n_more(tmp_path: Path) -> None:
    good = tmp_path / "good.jpg"
    assert cv2.imwrite(str(good), constant_frame(120))
    bad = []
    for i in range(8):
        bad.append(tmp_path / f"bad_{i}.jpg")
        bad[-1].write_bytes(b"not a jpeg")
    with pytest.warns(UserWarning) as record:
        frames = video.read_frames([good, *bad])
    messages = [str(w.message) for w in record]
    assert len(messages) == 1 and messages[0].startswith("8 of 9 frame images")
    assert "bad_4.jpg" in messages[0] and "bad_5.jpg" not in messages[0] and "and 3 more" in messages[0]
    assert messages[0] == video.bad_frames_message([(p, "is not a decodable image") for p in bad], 9)
    assert frames.shape[0] == 9 and not frames[1:].any()


def test_leading_bad_frame_is_zeros_and_truncated_jpeg_detected(tmp_path: Path) -> None:
    good = tmp_path / "b.jpg"
    assert cv2.imwrite(str(good), constant_frame(200))
    truncated = tmp_path / "a.jpg"
    truncated.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])
    with pytest.warns(UserWarning, match=r"1 of 2.*a\.jpg"):
        frames = video.read_frames([truncated, good])
    assert frames[0].max() == 0 and frames[1].min() > 150


def test_decode_frame_returns_rgb_or_a_reason_and_never_raises(tmp_path: Path) -> None:
    rgb = constant_frame(0)
    rgb[..., 0] = 200                                     # red: catches a BGR/RGB mix-up
    write_png(tmp_path / "red.png", rgb)
    img, reason = video.decode_frame(str(tmp_path / "red.png"))
    assert reason == "" and np.array_equal(img, rgb)
    good = tmp_path / "good.jpg"
    assert cv2.imwrite(str(good), cv2.cvtColor(smooth_frames(1)[0], cv2.COLOR_RGB2BGR))
    (tmp_path / "cut.jpg").write_bytes(good.read_bytes()[: len(good.read_bytes()) * 3 // 4])
    assert cv2.imread(str(tmp_path / "cut.jpg")) is not None     # OpenCV alone decodes it (grey-filled)
    (tmp_path / "empty.jpg").write_bytes(b"")
    (tmp_path / "junk.jpg").write_bytes(b"not a jpeg")
    reasons = {name: video.decode_frame(tmp_path / name) for name in ("cut.jpg", "empty.jpg", "junk.jpg", "none.jpg")}
    assert all(img is None for img, _ in reasons.values())
    assert "empty" in reasons["empty.jpg"][1]
    assert "not a decodable image" in reasons["junk.jpg"][1] and "could not be read" in reasons["none.jpg"][1]


def test_all_frames_bad_raises_even_when_not_strict(tmp_path: Path) -> None:
    bad = tmp_path / "x.jpg"
    bad.write_bytes(b"not a jpeg")
    with pytest.raises(ValueError, match="none of the 1"):
        video.read_frames([bad])


def test_read_frames_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="empty"):
        video.read_frames([])
    with pytest.raises(TypeError, match="strict"):
        video.read_frames([tmp_path / "a.png"], strict="yes")
    with pytest.raises(FileNotFoundError, match="missing.png"):
        video.read_frames([tmp_path / "missing.png"], strict=True)
    with pytest.raises(ValueError, match="none of the 1.*missing.png"):
        video.read_frames([tmp_path / "missing.png"])


def test_load_frame(tmp_path: Path) -> None:
    rgb = constant_frame(0)
    rgb[..., 0] = 250
    write_png(tmp_path / "f.png", rgb)
    assert np.array_equal(video.load_frame(tmp_path / "f.png"), rgb)
    assert video.load_frame(tmp_path / "f.png", size=(4, 5), gray=True).shape == (4, 5, 1)
    with pytest.raises(FileNotFoundError, match="nope.png"):
        video.load_frame(tmp_path / "nope.png")


# ------------------------------------------------------------------------------- bad paths
def test_nonexistent_path(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does_not_exist.mp4"):
        video.read_video(tmp_path / "does_not_exist.mp4")


def test_unreadable_video_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.mp4"
    path.write_bytes(np.random.default_rng(1).bytes(4096))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=r"could not decode video .*broken\.mp4.*ffmpeg"):
            video.read_video(path)


def test_unsupported_extension(tmp_path: Path) -> None:
    path = tmp_path / "clip.gif"
    path.write_bytes(b"GIF89a")
    with pytest.raises(ValueError, match=r"unsupported.*\.mp4.*\.avi"):
        video.read_video(path)
    single = tmp_path / "one.png"
    write_png(single, constant_frame(1))
    with pytest.raises(ValueError, match="load_frame"):
        video.read_video(single)


# ------------------------------------------------------------------------------- helpers
def test_resize_and_gray_helpers() -> None:
    frames = smooth_frames()
    assert video.resize_frames(frames, 16).shape == (T, 16, 16, 3)
    assert video.resize_frames(frames[0], (10, 20)).shape == (10, 20, 3)
    assert video.resize_frames(frames, None) is frames
    gray = video.to_gray(frames)
    assert gray.shape == (T, H, W, 1) and gray.dtype == np.uint8
    assert video.resize_frames(gray, 8).shape == (T, 8, 8, 1)
    assert video.to_gray(frames[0]).shape == (H, W, 1)
    assert video.to_gray(gray) is gray
