"""scripts/results_table.py: the README's results table is rendered from the notebooks' metrics files."""
import json
from pathlib import Path

import pytest

from scripts import results_table as rt

ROOT = Path(__file__).resolve().parent.parent


def _run(test_video, test_clip=0.5):
    return {"test_video_accuracy": test_video, "test_clip_accuracy": test_clip, "test_clip_loss": 1.0,
            "train_clip_accuracy": 0.9}


def _iv(mean, low, high, n=5):
    return {"mean": mean, "low": low, "high": high, "n_seeds": n, "n_units": 79, "confidence": 0.95}


def _metrics():
    """A full set of metrics files with the keys the notebooks write (values made up, distinct on purpose)."""
    return {
        "01_dataset_prep": {"data_source": "synthetic", "videos": 384, "youtube_ids": 313, "genres": 16,
                            "frames": 24576},
        "02_feature_extraction": {"extractor": "inception_v3[mixed2] @ 75×112", "extract_fps": 187.9},
        "03_classifier_training": {
            "seed": 0, "seeds": [0, 1, 2, 3, 4], "counts": {"test_videos": 79, "test_clips": 158},
            "main_features": "CNN features",
            "grouped": _run(0.734, 0.722),
            "accuracy": {"CNN features / BiLSTM": _iv(0.712, 0.65, 0.77)},
            "splits": {"across": _iv(0.701, 0.62, 0.78, n=3)},
            "order": {"CNN features / all genres": {"bilstm": 0.712, "order_blind_accuracy": 0.731,
                                                   "best_order_blind": "mean over frames",
                                                   "verdict": "no measurable difference (-1.9 points)"},
                      "oracle pose / order-only pairs": {"bilstm": 1.0, "order_blind_accuracy": 0.612,
                                                         "best_order_blind": "mean over frames",
                                                         "verdict": "helps by 38.8 ± 9.0 points"}},
            "leakage": {"verdict": "inflates test accuracy by 6.1 ± 4.0 points",
                        "table": {"grouped": {"test clips with a sibling in train": 0.0},
                                  "leaky": {"test clips with a sibling in train": 1.0}}}},
        "04_hyperband_tuning": {
            "tune_seeds": [0, 1], "final_seeds": [0, 1, 2, 3, 4], "budget": {"trials": 7, "epochs": 15},
            "tuner_verdicts": {"anytime": {"verdict": "makes no measurable difference (-0.8 points)"},
                               "final_best": {"verdict": "makes no measurable difference (+9.5 points)"}},
            "reach_sentences": ["Hyperband reached random search's best in 2 of 2 seeds",
                                "random search reached Hyperband's best in 0 of 2 seeds"],
            "bn_lag": {"momentum": 0.99, "check_momentum": 0.5, "verdict_changes": [],
                       "short_trial_verdict": "momentum 0.5 scores higher by 19.6 points"},
            "final_epochs": 20,
            "tuned_vs_untuned": {"video_verdict": "makes no measurable difference (-2.0 points)"},
            "tuned_vs_untuned_03_budget": {"video_verdict": "tuning hurts by 3.1 points", "epochs_max": 60,
                                           "batch_size": 32},
            "per_tuner_seed": [{"tuner": "hyperband", "seed": 0, "epochs_spent": 14},
                               {"tuner": "hyperband", "seed": 1, "epochs_spent": 15},
                               {"tuner": "random", "seed": 0, "epochs_spent": 15},
                               {"tuner": "random", "seed": 1, "epochs_spent": 15}]},
        "05_convlstm_prediction": {
            "one_step": {"model": {"mse": 0.00311}, "copy_last": {"mse": 0.00368}, "linear": {"mse": 0.00564}},
            "verdicts": {"convlstm_vs_copy_last": "ConvLSTM beats copy-last: lower MSE by 15.4%",
                         "memory": "the memory helps: lower MSE by 1.8%",
                         "rollout_memory": "makes no measurable difference (-4.8%)"},
            "seeds": [0, 1, 2], "causal_leak": {"our default": 0.0, "paper / keras-io (Conv3D 'same')": 3.23e-5},
            "test_videos": 18, "size": [60, 90]},
        "run_notebooks": {"params": "default.yaml", "cpu_count": 2,
                          "seconds": {"01_dataset_prep.ipynb": 9.0, "05_convlstm_prediction.ipynb": 171.0}},
    }


def test_render_shows_every_headline_number():
    table = rt.render(_metrics())
    for text in ["24,576 frames", "**71.2% video** (95% CI 65.0%–77.0%, 5 seeds)", "72.2% clip",
                 "over 3 grouped splits 70.1%", "CNN features, all genres",
                 "71.2% vs 73.1% (mean over frames): **no measurable difference (-1.9 points)**",
                 "oracle pose, order-only pairs", "**helps by 38.8 ± 9.0 points**",
                 "inflates test accuracy by 6.1 ± 4.0 points (100.0% vs 0.0% of test clips",
                 "(2 seeds)", "averaged over the budget: **makes no measurable difference (-0.8 points)**",
                 "Hyperband reached random search's best in 2 of 2 seeds", "spent: hyperband 14–15, random 15",
                 "momentum 0.5 scores higher by 19.6 points; the tuner verdict does not change",
                 "(5 seeds, same clips and epochs) | 20 epochs at batch 128: tuning makes no measurable difference "
                 "(-2.0 points); notebook 03's budget (≤ 60 epochs, batch 32, early stopping): tuning hurts by 3.1",
                 "MSE 0.00311 vs copy-last-frame 0.00368 vs linear extrapolation 0.00564",
                 "**ConvLSTM beats copy-last: lower MSE by 15.4%**", "one step: the memory helps: lower MSE by 1.8%",
                 "3.2e-05", "01 9 s", "05 171 s", "**total 3.0 min**", "(2 CPU cores, default.yaml)"]:
        assert text in table, text
    assert all(line.count("|") == 4 for line in table.splitlines() if line.startswith("|"))


def test_verdicts_are_the_notebooks_own_words():
    # the table copies the sentence each notebook printed; it never derives one of its own from the numbers
    m = _metrics()
    planted = "PLANTED: the words notebook 03 printed, whatever the interval beside them"
    m["03_classifier_training"]["order"]["CNN features / all genres"]["verdict"] = planted
    leak = "PLANTED leakage sentence"
    m["03_classifier_training"]["leakage"]["verdict"] = leak
    table = rt.render(m)
    assert planted in table and leak in table


def test_missing_notebook_metrics_say_which_notebook_to_run():
    m = _metrics()
    del m["04_hyperband_tuning"], m["run_notebooks"]
    table = rt.render(m)
    assert "run `notebooks/04_hyperband_tuning.ipynb`" in table and "wall time" not in table


def test_replace_block_needs_exactly_one_marker_pair():
    readme = f"intro\n{rt.START}\nold table\n{rt.END}\noutro\n"
    assert rt.replace_block(readme, "NEW") == f"intro\n{rt.START}\nNEW\n{rt.END}\noutro\n"
    with pytest.raises(ValueError, match="exactly one"):
        rt.replace_block("no markers here", "NEW")
    with pytest.raises(ValueError, match="exactly one"):
        rt.replace_block(readme + readme, "NEW")


def test_main_writes_then_check_passes(tmp_path, capsys):
    metrics = tmp_path / "metrics"
    metrics.mkdir()
    for name, data in _metrics().items():
        (metrics / f"{name}.json").write_text(json.dumps(data))
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n{rt.NOTEBOOK_TABLE[0]}\nold times\n{rt.NOTEBOOK_TABLE[1]}\n{rt.START}\nstale\n{rt.END}\n")
    args = ["--metrics", str(metrics), "--readme", str(readme)]
    assert rt.main([*args, "--check"]) == 1
    assert rt.main(args) == 0
    assert "**71.2% video**" in readme.read_text() and "stale" not in readme.read_text()
    assert "old times" not in readme.read_text() and "| 2.9 min | ≈ 2.9 min |" in readme.read_text()
    assert rt.main([*args, "--check"]) == 0
    assert rt.main(["--metrics", str(tmp_path / "none"), "--readme", str(readme)]) == 1
    assert "run `make figures` first" in capsys.readouterr().err


def test_project_readme_has_the_results_block():
    text = (ROOT / "README.md").read_text()
    assert text.count(rt.START) == 1 and text.count(rt.END) == 1
    assert text.count(rt.NOTEBOOK_TABLE[0]) == 1 and text.count(rt.NOTEBOOK_TABLE[1]) == 1
    assert "results_table.py" in (ROOT / "Makefile").read_text()


def test_notebook_table_has_badges_from_pyproject_and_run_times():
    """Run times: CPU-bound seconds kept, convolution-bound seconds rescaled; badges built from the one URL."""
    m = _metrics()
    m["02_feature_extraction"].update(gemm_gflops=100.0, extract_seconds=100.0)
    m["05_convlstm_prediction"]["training_seconds"] = 120.0
    m["run_notebooks"]["seconds"] = {"01_dataset_prep.ipynb": 30.0, "02_feature_extraction.ipynb": 150.0,
                                     "05_convlstm_prediction.ipynb": 200.0}
    text = rt.render_notebooks(m, "https://github.com/someone/somerepo")
    rows = {line.split("|")[1].strip(): line for line in text.splitlines() if line.startswith("| [")}
    assert set(rows) == {f"[{n}](notebooks/{n}.ipynb)" for n in rt.NOTEBOOKS}
    assert "| 30 s | ≈ 30 s |" in rows["[01_dataset_prep](notebooks/01_dataset_prep.ipynb)"]         # CPU-bound
    assert "| 2.5 min | ≈ 55 s |" in rows["[02_feature_extraction](notebooks/02_feature_extraction.ipynb)"]  # 150-100+5
    assert "| 3.3 min | ≈ 86 s |" in rows["[05_convlstm_prediction](notebooks/05_convlstm_prediction.ipynb)"]
    assert "run `make figures`" in rows["[03_classifier_training](notebooks/03_classifier_training.ipynb)"]
    assert "| **6.3 min** | **≈ 2.9 min** |" in text
    assert ("(https://colab.research.google.com/github/someone/somerepo/blob/main/notebooks/04_hyperband_tuning.ipynb)"
            in text)
    assert all(line.count("|") == 6 for line in text.splitlines() if line.startswith("| ["))
    assert "run `make figures`" in rt.render_notebooks({}, "https://github.com/a/b")
    m["06_generated_motion"] = {"timing": {"classifiers": 90.0, "rollouts": 40.0}}    # re-run by hand, under load
    m["run_notebooks"]["seconds"]["06_generated_motion.ipynb"] = 100.0               # ... make figures took 100 s
    row = next(line for line in rt.render_notebooks(m, "https://github.com/a/b").splitlines()
               if line.startswith("| [06"))
    assert row.endswith("| 1.7 min | ≈ 5 s |")                 # all of it rescaled (100 × 100/2000), never below 0
    assert rt.repository().startswith("https://github.com/")


def test_generated_motion_row_reads_notebook_06_metrics():
    iv = lambda m: {"mean": m, "low": m - 0.05, "high": m + 0.05, "n_seeds": 3, "n_units": 89, "confidence": 0.95}  # noqa: E731
    m = _metrics()
    m["06_generated_motion"] = {
        "seeds": [0, 1, 2], "videos_mode": "unseen", "horizons": ["1–10", "11–20"], "chance": 0.0625,
        "accuracy": {"real": [iv(0.767), iv(0.756)], "ConvLSTM": [iv(0.412), iv(0.067)],
                     "copy-last": [iv(0.067), iv(0.067)], "linear": [iv(0.071), iv(0.067)]},
        "accuracy_verdicts": {"vs_copy_last": ["ConvLSTM recognised more often than copy-last by 34.5 points",
                                               "makes no measurable difference (+0.0 points)"]},
        "keeps_genre": {"kept": 1}, "kept_up_to_horizon": 10, "counts": {"eval_units": 89},
        "frechet": {"space": "embedding of the 06 genre classifier (trained on real grayscale windows), d = 16",
                    "by_source": {"real": [iv(23.0), iv(20.2)], "ConvLSTM": [iv(1362.4), iv(1567.4)],
                                  "copy-last": [iv(1503.9), iv(1522.2)], "linear": [iv(1419.2), iv(1535.1)]},
                    "verdicts": {"copy-last": [
                        "ConvLSTM closer to real windows than copy-last: lower distance by 141.6",
                                               "makes no measurable difference (-45.2)"]}}}
    table = rt.render(m)
    for text in ["real 76.7% / 75.6%, ConvLSTM 41.2% / 6.7%", "(chance 6.2%)", "**up to horizon 10**",
                 "at 1–10, vs copy-last: **ConvLSTM recognised more often than copy-last by 34.5 points**",
                 "ConvLSTM 1,362 / 1,567", "the real-vs-real floor 23.0 / 20.2", "d = 16",
                 "lower distance by 141.6", "89 YouTube ids notebook 05 never touched", "(3 seeds)"]:
        assert text in table, text
    del m["06_generated_motion"]
    assert "run `notebooks/06_generated_motion.ipynb`" in rt.render(m)
    assert "| **all seven** |" in rt.render_notebooks({"run_notebooks": {"params": "default.yaml", "cpu_count": 2,
                                                                      "seconds": {"06_generated_motion.ipynb": 9.0}}},
                                                     "https://github.com/a/b")


def _choreographer_metrics():
    wins = wins_of_07
    rows = []
    for source, rec, energy in (("real", (0.9, 0.86), (1, 1)), ("choreographer", (0.86, 0.71), (1.02, 0.97)),
                                ("teacher-forced", (0.8, 0.3), (1.0, 0.6)), ("zero-velocity", (0.06, 0.06), (0, 0))):
        for w, r, e in zip(wins, rec, energy):
            rows.append({"source": source, "window": w, "recognition": r, "energy_ratio": e, "fid": 9.5 if
                         source != "real" else 5.25, "diversity_ratio": 0.97})
    return {"windows": wins, "seeds": [0, 1, 2], "table": rows, "counts": {"eval_dances": 212},
            "targets": {"1-30": {"recognition ≥ 0.9 × real": True}, "31-60": {"recognition ≥ 0.9 × real": False}},
            "verdicts": {w: {"teacher-forced": {"verdict": f"recognised more often than teacher-forced ({w})"}}
                         for w in wins},
            "not_a_copy": {"choreographer": 0.71, "real": 0.5}}


wins_of_07 = ["1-30", "31-60"]


def test_choreographer_row_reads_notebook_07_metrics():
    m = _metrics()
    m["07_choreographer"] = _choreographer_metrics()
    table = rt.render(m)
    for text in ["choreographer 86.0% / 71.0% vs real 90.0% / 86.0%", "teacher-forced 80.0% / 30.0%",
                 "ratio to real ≥ 0.9 in 1 of 2 windows", "**recognised more often than teacher-forced (31-60)**",
                 "motion energy ÷ real 1.02 / 0.97", "FID 9.50 / 9.50 vs floor 5.25 / 5.25", "0.71 vs held-out real "
                 "0.50 (not a copy)", "212 evaluation dances", "(3 seeds)"]:
        assert text in table, text
    assert "From a video" not in table and "Asked tempo" not in table        # metrics of before those sections
    m["07_choreographer"] |= {
        "from_video": {"context_r2": 0.981, "table": [{"source": "from video", "window": w, "recognition": r}
                                                       for w, r in zip(wins_of_07, (0.8, 0.65))],
                       "verdicts": {w: {"from oracle pose": {"verdict": f"no measurable difference ({w})"}}
                                    for w in wins_of_07}},
        "pixels": {"horizons": ["1–10", "11–20"], "dances": 60, "convlstm": True,
                   "table": [{"source": src, "horizons": h, "recognition": r} for src, rates in
                             (("choreographer", (0.7, 0.6)), ("real video", (0.8, 0.8)), ("ConvLSTM", (0.06, 0.07)))
                             for h, r in zip(("1–10", "11–20"), rates)],
                   "verdicts": {"ConvLSTM / 11–20": {"verdict": "recognised more often than ConvLSTM"}}},
        "tempo_request": {"asked_hz": [0.75, 1.5], "candidates": 16, "hit_best": 0.61, "hit_one_latent": 0.2,
                          "verdict": {"verdict": "steering hits it more often"}}}
    table = rt.render(m)
    for text in ["context R² 0.98): recognised 80.0% / 65.0%; at 31-60 vs from oracle pose: no measurable "
                 "difference (31-60)", "Asked tempo (0.75, 1.5 Hz, every genre): within one frequency bin for 61.0% "
                 "with the best of 16 latents vs 20.0% with one (steering hits it more often)",
                 "horizons 1–10 / 11–20: choreographer 70.0% / 60.0%, real video 80.0% / 80.0%, ConvLSTM 6.0% / "
                 "7.0% (60 dances, ids notebook 05 never touched); at 11–20 vs ConvLSTM: **recognised more often than "
                 "ConvLSTM**"]:
        assert text in table, text
    del m["07_choreographer"]
    assert "run `notebooks/07_choreographer.ipynb`" in rt.render(m)
