"""scripts/verdicts_check.py: every stored interval's verdict class is compared with the reference run's."""
import json
from pathlib import Path

import numpy as np

from choreo_utils import stats
from scripts import verdicts_check as vc


def _write(folder: Path, order_gap: stats.Interval, leak: stats.Interval) -> Path:
    """Metrics files of notebooks 03-06 as the notebooks nest their intervals (dicts, lists, verdict strings)."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "03_classifier_training": {"order": {"oracle pose / all genres": {"difference": order_gap.as_dict(),
                                                                          "verdict": stats.verdict(order_gap)}},
                                   "leakage": {"difference": leak.as_dict()}},
        "04_hyperband_tuning": {"tuner_verdicts": {"anytime": {"interval": stats.mean_interval(
            [0.1, -0.05, 0.02]).as_dict(), "sign": 0}}},
        "05_convlstm_prediction": {"gains": [stats.mean_interval([0.1, 0.12, 0.11]).as_dict()]},
        "06_generated_motion": {"answer": "no intervals here"},
        "07_choreographer": {"verdicts": {"1-30": {"real": {"interval": stats.mean_interval([0.1, 0.2, 0.15]).as_dict(),
                                                            "verdict": "..."}}}},
    }
    for name, obj in files.items():
        (folder / f"{name}.json").write_text(json.dumps(obj))
    return folder


def _scores(seed: int = 1, collapsed: bool = False, flip: bool = False):
    """A clear 12-point gain (5 seeds × 79 videos) and a null comparison; ``collapsed``: one seed of the better
    model scores ~20%; ``flip``: one video of one seed comes out the other way (a last-bits-sized change)."""
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.80, 0.98, 79)
    a, b = (rng.random((5, 79)) < p).astype(float), (rng.random((5, 79)) < p - 0.12).astype(float)
    c = (rng.random((5, 79)) < p - 0.12).astype(float)
    if collapsed:
        a[3] = rng.random(79) < 0.2
    if flip:
        a[0, 0], c[1, 0] = 1 - a[0, 0], 1 - c[1, 0]
    return stats.paired_bootstrap(a, b), stats.paired_bootstrap(c, b)


def test_collect_finds_every_interval_however_it_is_nested(tmp_path):
    found = vc.collect(_write(tmp_path, *_scores()))
    assert set(found) == {"03: order/oracle pose / all genres/difference", "03: leakage/difference",
                          "04: tuner_verdicts/anytime/interval", "05: gains[0]", "07: verdicts/1-30/real/interval"}
    assert found["03: order/oracle pose / all genres/difference"]["class"] == "above zero"
    assert found["03: leakage/difference"]["class"] == "no measurable difference"
    assert len(found["03: leakage/difference"]["per_seed"]) == 5


def test_an_unchanged_run_passes_and_counts_no_differing_scores(tmp_path):
    ref = vc.collect(_write(tmp_path / "ref", *_scores()))
    rows, differing, compared = vc.compare(ref, vc.collect(_write(tmp_path / "same", *_scores())))
    assert not any(r["changed"] for r in rows) and differing == 0 and compared > 0


def test_a_verdict_drifting_to_cannot_be_called_is_a_change(tmp_path, capsys):
    ref = vc.collect(_write(tmp_path / "ref", *_scores()))
    perturbed = vc.collect(_write(tmp_path / "perturbed", *_scores(collapsed=True)))
    assert perturbed["03: order/oracle pose / all genres/difference"]["class"].startswith("cannot be called")
    rows, differing, _ = vc.compare(ref, perturbed)
    changed = [r["interval"] for r in rows if r["changed"]]
    assert changed == ["03: order/oracle pose / all genres/difference"] and differing >= 1
    vc.print_table(rows, differing, 10)
    out = capsys.readouterr().out
    assert "<-- CHANGED" in out and "1 changed" in out


def test_scores_that_move_without_changing_a_verdict_are_counted_not_failed(tmp_path):
    ref = vc.collect(_write(tmp_path / "ref", *_scores()))
    moved = vc.collect(_write(tmp_path / "moved", *_scores(flip=True)))
    rows, differing, _ = vc.compare(ref, moved)
    assert not any(r["changed"] for r in rows) and differing > 0


def test_a_missing_interval_is_a_change(tmp_path):
    ref = vc.collect(_write(tmp_path / "ref", *_scores()))
    current = dict(ref)
    current.pop("03: leakage/difference")
    rows, _, _ = vc.compare(ref, current)
    assert [r["interval"] for r in rows if r["changed"]] == ["03: leakage/difference"]


def test_the_perturbed_environment_flips_onednn_and_moves_artifacts(monkeypatch):
    monkeypatch.delenv("TF_ENABLE_ONEDNN_OPTS", raising=False)
    env = vc.perturbed_environment()
    assert env["TF_ENABLE_ONEDNN_OPTS"] == "0" and env["CHOREO_ARTIFACTS"] == vc.CHECK_DIR
    assert env["TF_NUM_INTRAOP_THREADS"] != ""
    assert vc.perturbed_environment(flip_onednn=False)["TF_ENABLE_ONEDNN_OPTS"] == "1"
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "0")
    assert vc.perturbed_environment()["TF_ENABLE_ONEDNN_OPTS"] == "1"
