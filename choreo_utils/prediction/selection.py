"""Which models, videos and windows notebook 06 judges: the per-seed ConvLSTMs notebook 05 saved (checked against its
parameters), videos neither model has seen (split by YouTube id, disjointness checked), and a few evenly spread
windows per video.

* :func:`predictor_folder`, :func:`load_predictors` — notebook 05's models, refused with a clear message when missing
  or trained with other parameters;
* :func:`video_table`, :func:`assign_videos`, :func:`check_disjoint` — a role for every video;
* :func:`spread_rows`, :func:`window_rows` — windows of the videos of one role.
"""
from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from choreo_utils.checks import positive_int

#: The two ways of choosing videos (``GEN_VIDEOS``): see :func:`assign_videos`.
VIDEO_MODES = ("unseen", "05-split")
_RUN_05 = "run notebook 05 first with the same parameters"


def predictor_folder(seed: int) -> Path:
    """``artifacts/models/05_convlstm_seed<seed>``: where notebook 05 saves the ConvLSTM trained under ``seed``."""
    from choreo_utils import config  # noqa: PLC0415

    return config.models_dir() / f"05_convlstm_seed{int(seed)}"


def _plain(value: Any) -> Any:
    """JSON's view of a value (tuples become lists), so a stored and a given parameter compare equal."""
    return json.loads(json.dumps(value))


def load_predictors(seeds: Sequence[int], parameters: Mapping[str, Any],
                    folder: Callable[[int], os.PathLike] = predictor_folder) -> tuple[dict[int, Any], dict[str, Any]]:
    """The ConvLSTM notebook 05 trained under each seed, ``({seed: model}, description of the first)``.

    ``parameters`` are this notebook's values of the notebook-05 parameters the models depend on (PRED_SIZE,
    PRED_SEQ_LEN, the data settings, ...); each saved model's ``model.json`` must record the same values under
    ``"parameters"``. A missing folder (FileNotFoundError) or any difference (ValueError, naming every differing
    parameter) says to run notebook 05 first with the same parameters. Every model must also record the same
    videos per split (one run of notebook 05)."""
    from choreo_utils import config  # noqa: PLC0415
    from choreo_utils.prediction.models import load_predictor  # noqa: PLC0415

    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ValueError("load_predictors needs at least one seed (PRED_SEEDS)")
    models, first = {}, None
    for seed in seeds:
        path = Path(folder(seed))
        where = config.relative_to_root(path)
        if not (path / "model.keras").is_file():
            raise FileNotFoundError(f"no ConvLSTM of seed {seed} in {where}: {_RUN_05} (it saves one model per seed "
                                    "of PRED_SEEDS there)")
        model, meta = load_predictor(path)
        saved = meta.get("parameters") or {}
        diffs = [f"{k} = {saved.get(k, '(not recorded)')!r} there, {_plain(v)!r} here" for k, v in parameters.items()
                 if _plain(saved.get(k, "(not recorded)")) != _plain(v)]
        if meta.get("seed") != seed:
            diffs.append(f"seed = {meta.get('seed')!r} there, {seed} here")
        if diffs:
            raise ValueError(f"the ConvLSTM in {where} was trained with other parameters ({'; '.join(diffs)}): "
                             f"{_RUN_05}")
        if first is not None and _plain(meta.get("videos")) != _plain(first.get("videos")):
            raise ValueError(f"the saved ConvLSTMs of seeds {seeds[0]} and {seed} come from different runs of notebook "
                             f"05 (different videos): {_RUN_05}")
        models[seed], first = model, first or meta
    return models, first


def video_table(index: pd.DataFrame) -> pd.DataFrame:
    """One row per video of a frame index: genre, video_id, youtube_id and its number of frames."""
    return (index.groupby("video_id", sort=True)
            .agg(genre=("genre", "first"), youtube_id=("youtube_id", "first"), frames=("frame", "size"))
            .reset_index()[["genre", "video_id", "youtube_id", "frames"]])


def assign_videos(index: pd.DataFrame, used: Mapping[str, Sequence[str]], mode: str = "unseen",
                  eval_ratio: float = 0.5, seed: int = 0) -> pd.DataFrame:
    """Every video with a ``role``: ``"classifier"`` (trains the genre classifier), ``"evaluation"`` (context and
    continuation to roll out), or ``"05 train"``/``"05 val"``/``"05 test"``/``"unused"`` (set aside).

    ``used`` maps notebook 05's splits (train, val, test) to the video ids it took (its saved description).
    ``mode="unseen"``: only YouTube ids notebook 05 never touched, split by YouTube id per genre
    (``clips.grouped_split``, ``eval_ratio`` of each genre's ids to evaluation). ``mode="05-split"`` (for sets
    where notebook 05 took every video): the classifier learns on 05's training videos (the genre classifier
    never sees an evaluation video, which is what matters), evaluation uses 05's test videos. Either way no
    YouTube id is on both sides, and no evaluation video was used to train or choose the ConvLSTM — checked here.
    """
    from choreo_utils import clips  # noqa: PLC0415

    if mode not in VIDEO_MODES:
        raise ValueError(f"GEN_VIDEOS must be one of {VIDEO_MODES}; got {mode!r}")
    videos = video_table(index)
    known = set(videos["video_id"])
    split_of = {}
    for split, ids in used.items():
        missing = sorted(set(ids) - known)
        if missing:
            raise ValueError(f"{len(missing)} video(s) notebook 05 used for {split} are not in this frame index (e.g. "
                             f"{missing[0]!r}): the data differ from notebook 05's; {_RUN_05}")
        split_of.update({v: split for v in ids})
    youtube = dict(zip(videos["video_id"], videos["youtube_id"]))
    seen = {split: {youtube[v] for v in ids} for split, ids in used.items()}
    touched = set().union(*seen.values()) if seen else set()
    role = np.array([f"05 {split_of[v]}" if v in split_of else "unused" for v in videos["video_id"]], dtype=object)
    if mode == "unseen":
        pool = ~videos["youtube_id"].isin(touched).to_numpy()
        if pool.sum() == 0:
            raise ValueError("notebook 05 used every YouTube id of this data set (PRED_VIDEOS_PER_GENRE), so no video "
                             "is left that neither model has seen: set GEN_VIDEOS = '05-split', or lower "
                             "PRED_VIDEOS_PER_GENRE and run notebook 05 again")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")        # a genre with a single unseen YouTube id: classifier only
            split = clips.grouped_split(videos[pool], test_ratio=eval_ratio, seed=seed, group="youtube_id",
                                        stratify="genre")["split"]
        role[pool] = np.where(split == "test", "evaluation", "classifier")
    else:
        role[role == "05 train"] = "classifier"
        role[role == "05 test"] = "evaluation"
    videos["role"] = role
    check_disjoint(videos, seen, mode)
    return videos


def check_disjoint(videos: pd.DataFrame, seen: Mapping[str, set], mode: str) -> None:
    """RuntimeError unless the evaluation videos share no YouTube id with the classifier's, nor with the videos
    notebook 05 trained or chose its model on — nor, for ``mode="unseen"``, with any video notebook 05 touched
    (and then the classifier's videos neither)."""
    ev = set(videos.loc[videos["role"] == "evaluation", "youtube_id"])
    cl = set(videos.loc[videos["role"] == "classifier", "youtube_id"])
    if not ev or not cl:
        raise RuntimeError(f"no {'evaluation' if not ev else 'classifier'} videos: the data set is too small for "
                           "this split; use more videos per genre (or GEN_EVAL_RATIO between 0 and 1)")
    checks = [("evaluation", ev, "the classifier's videos", cl),
              ("evaluation", ev, "notebook 05's training videos", seen.get("train", set())),
              ("evaluation", ev, "notebook 05's validation videos", seen.get("val", set()))]
    if mode == "unseen":
        checks += [("evaluation", ev, "notebook 05's test videos", seen.get("test", set())),
                   ("classifier", cl, "notebook 05's videos", set().union(set(), *seen.values()))]
    for role, ids, name, other in checks:
        shared = ids & set(other)
        if shared:
            raise RuntimeError(f"{len(shared)} YouTube id(s) of the {role} videos are also among {name} (e.g. "
                               f"{sorted(shared)[0]!r}): the split leaks")


def spread_rows(table: pd.DataFrame, per_video: int) -> pd.DataFrame:
    """At most ``per_video`` rows (windows) of each video of a sequence table, their starts evenly spread over the
    video (the first and the last window included)."""
    per_video = positive_int(per_video, "per_video")
    keep = []
    for _, rows in table.groupby("video_id", sort=False):
        rows = rows.sort_values("start")
        picks = np.unique(np.linspace(0, len(rows) - 1, min(per_video, len(rows))).round().astype(int))
        keep.extend(rows.index[picks])
    return table.loc[sorted(keep)].reset_index(drop=True)


def window_rows(index: pd.DataFrame, videos: pd.DataFrame, role: str, length: int, per_video: int) -> pd.DataFrame:
    """Sequence table of ``length``-frame windows of the videos with ``role``, ``per_video`` spread per video."""
    from choreo_utils.prediction.data import sequence_table  # noqa: PLC0415

    ids = videos.loc[videos["role"] == role, "video_id"]
    sub = index[index["video_id"].isin(ids)].reset_index(drop=True)
    return spread_rows(sequence_table(sub, length, stride=1), per_video)
