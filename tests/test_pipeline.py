"""pipeline: notebook 02 and clip_data (notebooks 03-05) must build the same features and share one cache."""
import pandas as pd

from choreo_utils import datasets, features, pipeline

SETTINGS = dict(videos_per_genre=3, frames_per_video=10, frame_size=(48, 72), seed=1)


def test_split_clips_is_grouped_and_has_validation_videos(project_tmp):
    index = datasets.load_frame_index("synthetic", size=SETTINGS["frame_size"], progress=False,
                                      **{k: v for k, v in SETTINGS.items() if k != "frame_size"})
    table = pipeline.split_clips(index, clip_len=4, test_ratio=0.25, seed=1)
    assert set(table["split"]) == {"train", "val", "test"}
    videos_per_split = table.groupby("video_id")["split"].nunique()
    assert (videos_per_split == 1).all()                      # no video on two sides
    train = pipeline.training_frames(index, table)
    assert set(train["video_id"]) == set(table.loc[table.split == "train", "video_id"])
    assert len(train) < len(index)


def test_notebook_02_route_and_clip_data_share_one_feature_cache(project_tmp):
    data = pipeline.clip_data("synthetic", **SETTINGS, clip_len=4, test_ratio=0.25, backbone="mobilenet_v3_small",
                              image_size=(32, 48), progress=False, batch_size=16)
    # notebook 02's route: the same split helpers, then the extractor and its cache key
    index = data.index
    table = pipeline.split_clips(index, clip_len=4, test_ratio=0.25, seed=SETTINGS["seed"])
    pd.testing.assert_frame_equal(table, data.table)          # no train_stride: clip_data's table is this one
    ex = pipeline.build_extractor_for(pipeline.training_frames(index, table), "mobilenet_v3_small", (32, 48), None,
                                      seed=SETTINGS["seed"])
    assert features.cache_dir_for(features.cache_key(index, ex)) == data.feature_set.path.parent
    # BatchNorm statistics from train + val videos (the old notebook 02) would give a different cache
    train_val = index[index["video_id"].isin(table.loc[table.split != "test", "video_id"])]
    other = pipeline.build_extractor_for(train_val, "mobilenet_v3_small", (32, 48), None, seed=SETTINGS["seed"])
    assert features.cache_dir_for(features.cache_key(index, other)) != data.feature_set.path.parent
