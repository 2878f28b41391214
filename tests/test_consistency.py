"""The report a newcomer sees: notebooks, badges, parameter sets and figures agree with each other."""
import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
README = (ROOT / "README.md").read_text()


def _cells(path):
    return json.loads(path.read_text())["cells"]


def _parameters(path) -> dict:
    cells = [c for c in _cells(path) if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(cells) == 1, f"{path.name}: {len(cells)} cells tagged 'parameters' (want exactly one)"
    scope: dict = {}
    exec("".join(cells[0]["source"]), {}, scope)  # noqa: S102 - our own notebook's constants
    return scope


def _code(path) -> str:
    return "\n".join("".join(c["source"]) for c in _cells(path) if c["cell_type"] == "code")


def test_notebooks_are_numbered_in_order():
    assert [p.name[:3] for p in NOTEBOOKS] == [f"{i:02d}_" for i in range(1, len(NOTEBOOKS) + 1)]
    assert len(NOTEBOOKS) >= 4


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_colab_badge_points_at_its_own_notebook(path):
    first = "".join(_cells(path)[0]["source"])
    links = re.findall(r"colab\.research\.google\.com/github/[^)\s]+", first)
    assert links, f"{path.name} has no Colab badge in its first cell"
    assert all(link.endswith(f"/notebooks/{path.name}") for link in links)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_parameters_are_upper_case_and_default_yaml_matches(path):
    params = _parameters(path)
    assert params and all(k.isupper() for k in params)
    default = yaml.safe_load((ROOT / "params" / "default.yaml").read_text())
    for key, value in params.items():
        if key in default:   # make figures must reproduce the committed notebook
            norm = list(value) if isinstance(value, tuple) else value
            assert default[key] == norm, f"{path.name}: {key}={value!r} but params/default.yaml has {default[key]!r}"


@pytest.mark.parametrize("name", ["smoke", "default", "letsdance"])
def test_every_yaml_key_is_declared_by_some_notebook(name):
    declared = set().union(*(_parameters(p) for p in NOTEBOOKS))
    keys = set(yaml.safe_load((ROOT / "params" / f"{name}.yaml").read_text()))
    assert keys <= declared, f"params/{name}.yaml has keys no notebook declares: {sorted(keys - declared)}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_notebooks_are_clean_runs(path):
    code = [c for c in _cells(path) if c["cell_type"] == "code"]
    counts = [c.get("execution_count") for c in code]
    assert counts == list(range(1, len(code) + 1)), f"{path.name}: re-run it top to bottom (make figures)"
    errors = [o for c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, f"{path.name} was committed with an error output"
    assert path.stat().st_size < 3_000_000


def test_readme_figures_are_made_by_the_notebooks():
    shown = set(re.findall(r"figures/([0-9]{2}-[\w-]+)\.(?:png|gif)", README))
    assert shown, "the README shows no figures"
    made = set()
    for path in NOTEBOOKS:
        made |= set(re.findall(r'save_(?:fig|gif)\([^,]+,\s*f?"([0-9]{2}-[^"]+)"', _code(path)))
    patterns = [re.compile("^" + re.sub(r"\{[^}]*\}", r"[\\w-]+", m) + "$") for m in made]
    for fig in sorted(shown):
        assert any(p.match(fig) for p in patterns), f"README shows figures/{fig} but no notebook saves it"
        assert list((ROOT / "figures").glob(f"{fig}.*")), f"figures/{fig} is missing: run make figures"


def test_readme_lists_every_notebook_with_its_badge():
    for path in NOTEBOOKS:
        assert f"notebooks/{path.name}" in README
        assert f"blob/main/notebooks/{path.name}" in README


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_papermill_can_read_every_parameter(path):
    """papermill skips a parameter line it cannot parse (e.g. some comments): it could then not be overridden."""
    import papermill as pm

    assert set(pm.inspect_notebook(str(path))) == set(_parameters(path))
