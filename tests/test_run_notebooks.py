"""scripts/run_notebooks.py: a parameter file's keys are checked against the notebooks before anything runs."""
from __future__ import annotations

import pytest

from choreo_utils.config import project_root
from scripts import run_notebooks


@pytest.fixture(scope="module")
def runner():
    return run_notebooks


@pytest.fixture()
def executed(runner, monkeypatch):
    calls = []
    monkeypatch.setattr(runner.pm, "execute_notebook", lambda src, dst, parameters, **kw: calls.append(
        (src, parameters, kw["prepare_only"])))
    return calls


def test_unknown_keys_stop_the_run_before_any_notebook(runner, executed, tmp_path, capsys):
    params = tmp_path / "p.yaml"
    params.write_text("SEED: 1\nCLIP_LENGHT: 20\nPRED_EPOCH: 3\n")
    assert runner.main(["--params", str(params), "--prepare-only", "--output-dir", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "p.yaml has unknown key(s) CLIP_LENGHT, PRED_EPOCH" in err and "parameters cell" in err
    assert executed == []                                   # nothing ran
    assert runner.main(["--params", str(tmp_path / "none.yaml"), "--prepare-only"]) == 2
    assert "none.yaml not found" in capsys.readouterr().err and executed == []


def test_each_notebook_gets_only_the_keys_it_declares(runner, executed, tmp_path):
    params = tmp_path / "p.yaml"
    params.write_text("SEED: 3\nPRED_EPOCHS: 1\nEXTRACT_BATCH: 8\n")   # 05 declares PRED_EPOCHS, 02 EXTRACT_BATCH
    nb = project_root() / "notebooks" / "05_convlstm_prediction.ipynb"
    assert runner.main(["--params", str(params), "--prepare-only", "--output-dir", str(tmp_path / "out"), str(nb)]) == 0
    ((src, passed, prepare_only),) = executed
    assert passed == {"SEED": 3, "PRED_EPOCHS": 1} and prepare_only
    # the notebook itself, without any injected-parameters cell an earlier run may have left
    assert [c.source for c in src.cells] == [c.source for c in runner.without_injected_cells(nb).cells]
    assert sum("parameters" in c.metadata.get("tags", []) for c in src.cells) == 1


def test_the_shipped_parameter_files_are_all_declared(runner):
    for path in sorted((project_root() / "params").glob("*.yaml")):
        values, declared = runner.checked_params(str(path), [])
        assert values and declared, path


def test_committed_outputs_lose_bar_clocks_and_widget_reprs_but_keep_counts_and_metrics():
    bar = ("runs: 100%|██████████| 15/15 [01:21<00:00,  5.43s/run]\n"
           "fit:  53%|█████▎    | 32/60 [00:09<00:08,  3.40epoch/s, accuracy=1, val_loss=0.0297]\n"
           "a:   0%|          | 0/60 [00:00<?, ?epoch/s]\n"
           "trained 32 epochs in 9 s [kept]\n")
    nb = {"cells": [{"cell_type": "code", "outputs": [
        {"output_type": "stream", "name": "stdout", "text": bar.splitlines(True)},
        {"output_type": "display_data", "data": {"text/plain": ["VBox(children=(Dropdown(options=('a',)),))"],
                                                 "application/vnd.jupyter.widget-view+json": {"model_id": "x"}}},
        {"output_type": "execute_result", "data": {"text/plain": ["VBox(children=()) as text, not a widget"]}}]}]}
    run_notebooks.tidy_outputs(nb)
    stream, widget, plain = nb["cells"][0]["outputs"]
    assert "".join(stream["text"]) == ("runs: 100%|██████████| 15/15\n"
                                       "fit:  53%|█████▎    | 32/60 [accuracy=1, val_loss=0.0297]\n"
                                       "a:   0%|          | 0/60\n"
                                       "trained 32 epochs in 9 s [kept]\n")
    assert widget["data"]["text/plain"] == [run_notebooks.WIDGET_TEXT]
    assert widget["data"]["application/vnd.jupyter.widget-view+json"] == {"model_id": "x"}
    assert plain["data"]["text/plain"] == ["VBox(children=()) as text, not a widget"]
