"""choreo_utils.params: the one reader of params/*.yaml, and the explicit map to the tuning export."""
from __future__ import annotations

import ast
import inspect
import json

import pytest
import yaml

from choreo_utils import params, pipeline
from choreo_utils.config import project_root


def _cells(notebook: str) -> list[tuple[list[str], str]]:
    nb = json.loads((project_root() / "notebooks" / notebook).read_text())
    return [(c.get("metadata", {}).get("tags", []), "".join(c["source"])) for c in nb["cells"]
            if c["cell_type"] == "code"]


def _declared(notebook: str) -> set[str]:
    """Names assigned in the notebook's cell tagged ``parameters``."""
    (source,) = [src for tags, src in _cells(notebook) if "parameters" in tags]
    return {t.id for node in ast.parse(source).body if isinstance(node, ast.Assign) for t in node.targets}


def test_known_names_are_what_the_notebooks_parameters_cells_assign():
    notebooks = sorted(p.name for p in (project_root() / "notebooks").glob("[0-9]*.ipynb"))
    declared = set().union(*map(_declared, notebooks))       # read here from the cells' source, without papermill
    assert params.known() == declared
    assert set(params.TUNING_EXPORT) <= declared
    assert set(params.TUNING_EXPORT.values()) <= set(inspect.signature(pipeline.clip_data).parameters)
    for path in (project_root() / "params").glob("*.yaml"):
        assert set(params.load(path)) <= params.known(), path


def test_a_parameter_declared_in_a_notebook_is_known_and_a_removed_one_is_not(tmp_path):
    src = json.loads((project_root() / "notebooks" / "01_dataset_prep.ipynb").read_text())
    cell = next(c for c in src["cells"] if "parameters" in c.get("metadata", {}).get("tags", []))
    cell["source"] = ["SEED = 0\n", "NEW_KNOB = [1, 2]\n"]
    (tmp_path / "01_x.ipynb").write_text(json.dumps(src))
    assert params.declared_parameters(tmp_path / "01_x.ipynb") == {"SEED": 0, "NEW_KNOB": [1, 2]}
    assert params.known(tmp_path) == {"SEED", "NEW_KNOB"}
    with pytest.raises(FileNotFoundError, match="no numbered notebooks"):
        params.known(tmp_path / "empty")


def test_tuning_export_maps_keys_as_notebook_04_passes_them():
    (source,) = [src for _, src in _cells("04_hyperband_tuning.ipynb") if "pipeline.clip_data(" in src]
    call = next(n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Call)
                and getattr(n.func, "attr", None) == "clip_data")
    passed = {kw.arg: kw.value.id for kw in call.keywords if isinstance(kw.value, ast.Name)}
    passed |= {"data_source": call.args[0].id} if call.args else {}
    assert passed, "notebook 04 no longer calls pipeline.clip_data with its parameters"
    for keyword, name in passed.items():
        assert params.TUNING_EXPORT.get(name) == keyword, f"notebook 04 passes {name} as {keyword}"


def test_load_reads_a_mapping_and_names_what_is_wrong(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text("SEED: 1\nIMAGE_SIZE: [75, 112]  # comment\n")
    assert params.load(good) == {"SEED": 1, "IMAGE_SIZE": [75, 112]}
    assert params.load(good, known={"SEED", "IMAGE_SIZE"}) == {"SEED": 1, "IMAGE_SIZE": [75, 112]}
    with pytest.raises(ValueError, match=r"good\.yaml has unknown key\(s\) IMAGE_SIZE \(see here\)"):
        params.load(good, known={"SEED"}, where="see here")
    (tmp_path / "empty.yaml").write_text("# nothing\n")
    assert params.load(tmp_path / "empty.yaml") == {}
    with pytest.raises(FileNotFoundError, match=r"missing\.yaml not found.*params/default\.yaml"):
        params.load(tmp_path / "missing.yaml")
    for text, match in (("- SEED\n", "must map NAMES to values"), ("seed: 1\nClip: 2\n", "'seed', 'Clip'"),
                        ("SEED: [1\n", "not valid YAML")):
        (tmp_path / "bad.yaml").write_text(text)
        with pytest.raises(ValueError, match=match):
            params.load(tmp_path / "bad.yaml")


def test_tuning_export_kwargs_ignores_known_and_refuses_unknown_keys():
    values = yaml.safe_load("FEATURE_LAYER: mixed2\nEXTRACT_BATCH: 16\nBATCH_SIZE: 128\nTUNE_TRAIN_STRIDE: 30\n"
                            "TRAIN_STRIDE: 6\nPRED_SIZE: [60, 90]\n")
    assert params.tuning_export_kwargs(values) == {"layer": "mixed2", "batch_size": 16, "train_stride": 30}
    with pytest.raises(ValueError, match=r"x\.yaml has unknown key\(s\) LETSDANCE_SHA, TUNE_STRIDE.*"
                                         r"declare it in the notebook.*TUNING_EXPORT in choreo_utils/params\.py"):
        params.tuning_export_kwargs({"SEED": 0, "TUNE_STRIDE": 3, "LETSDANCE_SHA": "x"}, "x.yaml")
