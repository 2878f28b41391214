"""The tuning command line (choreo_utils.tuning.cli) and the export it runs (cli.export_tuning_data)."""
from __future__ import annotations

import inspect

import numpy as np
import pytest
import yaml

from choreo_utils import pipeline, tuning
from choreo_utils.tuning import cli


def test_search_flags_default_to_the_dataclass_defaults():
    args = cli.build_parser().parse_args(["search", "--data", "d.npz"])
    assert cli.config_from_args(args) == tuning.SearchConfig()          # kind, seed, budget, space, ...
    assert tuple(args.units) == (32, 512, 32) and args.dropout == [0.2] and args.max_trials is None
    launch = cli.build_parser().parse_args(["launch", "--data", "d.npz"])
    defaults = inspect.signature(tuning.launch_distributed).parameters
    assert (launch.workers, launch.max_restarts) == (defaults["n_workers"].default, defaults["max_restarts"].default)
    worker = cli.build_parser().parse_args(["worker", "--data", "d.npz"])
    assert worker.connect_timeout == inspect.signature(tuning.run_worker).parameters["connect_timeout"].default


def test_flags_build_the_config_they_name():
    args = cli.build_parser().parse_args(["search", "--data", "d.npz", "--tuner", "random", "--units", "4", "16", "4",
                                          "--dense", "6", "22", "4", "--dropout", "0.1", "0.3", "--epochs", "2"])
    config = cli.config_from_args(args)
    assert config.kind == "random" and config.epochs == 2
    assert config.space == tuning.SearchSpace(4, 16, 4, 6, 22, 4, dropout=(0.1, 0.3))


def test_missing_data_is_a_usage_error(capsys):
    assert cli.main(["search"]) == 2
    assert "--data is required" in capsys.readouterr().err


class _FakeClipData:
    """The ``ClipData.arrays`` interface, with disjoint train and val videos."""

    def arrays(self, split):
        n = {"train": 6, "val": 2}[split]
        vids = np.array([f"{split}{i // 2}" for i in range(n)])
        return np.zeros((n, 4, 8), "float32"), np.arange(n) % 2, vids


def test_export_writes_train_and_val_arrays_once_per_params_file(tmp_path, monkeypatch, capsys):
    calls = []

    def fake_clip_data(data_source="synthetic", *, seed=0, clip_len=30, progress=True):
        calls.append({"data_source": data_source, "seed": seed, "clip_len": clip_len})
        return _FakeClipData()

    monkeypatch.setattr(pipeline, "clip_data", fake_clip_data)
    params = tmp_path / "p.yaml"
    params.write_text(yaml.safe_dump({"SEED": 3, "CLIP_LEN": 4, "EPOCHS": 1}))   # EPOCHS: known, not exported
    out = tmp_path / "d.npz"
    assert cli.export_tuning_data(str(params), str(out)) == out
    assert calls == [{"data_source": "synthetic", "seed": 3, "clip_len": 4}]
    data, meta = tuning.TuningData.load(out), tuning.TuningData.meta(out)
    assert (len(data.x_train), len(data.x_val), data.input_shape) == (6, 2, (4, 8))
    assert meta["params_file"] == str(params) and meta["clip_data"] == {"seed": 3, "clip_len": 4}
    assert "wrote" in capsys.readouterr().out

    assert cli.export_tuning_data(str(params), str(out)) == out    # same params: nothing recomputed
    assert len(calls) == 1 and "is up to date with" in capsys.readouterr().out
    cli.export_tuning_data(str(params), str(out), force=True)
    assert len(calls) == 2
    params.write_text(yaml.safe_dump({"SEED": 4}))                       # other params: recomputed
    cli.export_tuning_data(str(params), str(out))
    assert len(calls) == 3 and tuning.TuningData.meta(out)["clip_data"] == {"seed": 4}


def test_export_passes_notebook_04_settings_from_default_params(tmp_path, monkeypatch):
    from choreo_utils.config import project_root

    seen = []
    monkeypatch.setattr(pipeline, "clip_data", lambda **kw: seen.append(kw) or _FakeClipData())
    cli.export_tuning_data(str(project_root() / "params" / "default.yaml"), str(tmp_path / "d.npz"))
    (kw,) = seen
    # BACKBONE, FEATURE_LAYER, TUNE_TRAIN_STRIDE and EXTRACT_BATCH (clip_data's defaults: inception_v3, None, None, 64)
    assert (kw["backbone"], kw["layer"], kw["train_stride"], kw["batch_size"]) == ("pose_pretext", None, 30, 64)
    assert kw["clip_len"] == 30 and list(kw["image_size"]) == [75, 112] and kw["data_source"] == "synthetic"
    assert not {"epochs", "feature_layer", "extract_batch", "tune_train_stride"} & set(kw)


def test_export_refuses_unknown_keys_and_redoes_an_export_made_with_other_settings(tmp_path, monkeypatch, capsys):
    seen = []
    monkeypatch.setattr(pipeline, "clip_data", lambda **kw: seen.append(kw) or _FakeClipData())
    params, out = tmp_path / "p.yaml", tmp_path / "d.npz"
    params.write_text(yaml.safe_dump({"SEED": 1, "FEATURE_LAYR": "mixed2", "CLIP_LENGTH": 4}))
    with pytest.raises(ValueError, match=r"p\.yaml has unknown key\(s\) CLIP_LENGTH, FEATURE_LAYR.*params\.py"):
        cli.export_tuning_data(str(params), str(out))
    assert not seen and not out.exists()
    params.write_text(yaml.safe_dump({"SEED": 1, "FEATURE_LAYER": "mixed2"}))
    cli.export_tuning_data(str(params), str(out))
    meta = tuning.TuningData.meta(out)
    tuning.TuningData.load(out).save(out, meta | {"clip_data": {"seed": 1}})  # as the old export recorded it
    cli.export_tuning_data(str(params), str(out))
    assert len(seen) == 2 and "made from other settings" in capsys.readouterr().out


def test_export_of_a_missing_params_file_fails(tmp_path):
    with pytest.raises(FileNotFoundError):
        cli.export_tuning_data(str(tmp_path / "missing.yaml"), str(tmp_path / "d.npz"))
