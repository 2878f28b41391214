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
    exec("".join(cells[0]["source"]), {}, scope)
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
    stale = [c for c in _cells(path) if "injected-parameters" in c.get("metadata", {}).get("tags", [])]
    assert not stale, f"{path.name} carries an injected-parameters cell: it would override its parameters cell"
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


def _repository() -> str:
    import tomllib

    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]["Repository"]


def _bootstrap(path) -> str:
    cell = _cells(path)[2]
    assert cell["cell_type"] == "code" and '"google.colab" in sys.modules' in "".join(cell["source"]), \
        f"{path.name}: cell 3 should be the Colab bootstrap"
    return "".join(cell["source"])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_figures_are_shown_where_they_are_saved(path):
    """Every cell that saves a figure also shows it: a PNG output in the committed notebook (GitHub shows it)."""
    for i, cell in enumerate(_cells(path)):
        src = "".join(cell["source"])
        if cell["cell_type"] == "code" and "save_fig(" in src:
            pngs = [o for o in cell.get("outputs", []) if "image/png" in o.get("data", {})]
            assert pngs, f"{path.name} cell {i} saves a figure but shows none: run it in a kernel with inline plots"


def test_every_github_address_is_the_one_in_pyproject():
    """Badges, clone URLs and links name the repository of pyproject's [project.urls] — defined once."""
    repo = _repository()
    owner_repo = repo.removeprefix("https://github.com/")
    texts = {"README.md": README, **{p.name: p.read_text() for p in NOTEBOOKS},
             "CITATION.cff": (ROOT / "CITATION.cff").read_text()}
    seen = 0
    for name, text in texts.items():
        pattern = (r"(?:colab\.research\.google\.com/github/|git clone (?:[-\w ]+ )?https://github\.com/"
                   r"|REPO, REF, DEST = \\?\"https://github\.com/|repository-code: \"https://github\.com/)([\w.-]+/[\w.-]+)")
        for found in re.findall(pattern, text):
            assert found == owner_repo, f"{name} names {found}, pyproject.toml says {owner_repo}"
            seen += 1
    assert seen >= 2 * len(NOTEBOOKS) + len(NOTEBOOKS)   # README + notebook badges, and each clone URL


def test_bootstrap_cells_are_identical_and_clone_the_badge_ref():
    cells = {p.name: _bootstrap(p) for p in NOTEBOOKS}
    assert len(set(cells.values())) == 1, "the Colab bootstrap cells differ between notebooks"
    boot = next(iter(cells.values()))
    ref = re.search(r'REPO, REF, DEST = "([^"]+)", "([^"]+)"', boot)
    assert ref and ref.group(1) == _repository()
    for path in NOTEBOOKS:
        badge = re.search(r"colab\.research\.google\.com/github/[\w.-]+/[\w.-]+/blob/([\w.-]+)/",
                          "".join(_cells(path)[0]["source"]))
        assert badge.group(1) == ref.group(2), \
            f"{path.name}: badge opens {badge.group(1)}, bootstrap clones {ref.group(2)}"
    assert '"-e"' not in boot and "%pip" not in boot and "!git" not in boot   # editable: invisible until restart


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_outputs_hold_no_machine_paths_or_warnings(path):
    nb = json.loads(path.read_text())
    text = json.dumps([o for c in nb["cells"] for o in c.get("outputs", [])]) + json.dumps(nb["metadata"])
    for bad in ("/tmp/", "/root/", "/home/", "/work/", "/content/"):
        assert bad not in text, f"{path.name}: outputs or metadata contain a machine path ({bad}...)"
    streams = "".join(o.get("text", "") if isinstance(o.get("text"), str) else "".join(o.get("text", []))
                      for c in nb["cells"] for o in c.get("outputs", []) if o.get("output_type") == "stream")
    for warning in ("Warning:", "WARNING", "W0000", "E0000", "absl::"):
        assert warning not in streams, f"{path.name}: committed output shows a library warning ({warning})"
    assert "\r" not in streams, f"{path.name}: a progress bar kept its intermediate states (run via make figures)"


def test_the_runner_drops_a_stale_injected_parameters_cell(tmp_path):
    import nbformat

    from scripts import run_notebooks as runner
    nb = nbformat.v4.new_notebook()
    params, stale, body = (nbformat.v4.new_code_cell(s) for s in ("X = 1", "X = 2", "print(X)"))
    params.metadata["tags"], stale.metadata["tags"] = ["parameters"], ["injected-parameters"]
    nb.cells = [params, stale, body]
    nbformat.write(nb, tmp_path / "99_t.ipynb")
    cleaned = runner.without_injected_cells(tmp_path / "99_t.ipynb")
    assert ["".join(c.source) for c in cleaned.cells] == ["X = 1", "print(X)"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_recorded_parameters_are_the_ones_that_ran(path):
    """papermill's record in the notebook's metadata names only values make figures injected (default.yaml's)."""
    recorded = json.loads(path.read_text())["metadata"].get("papermill", {}).get("parameters", {})
    default = yaml.safe_load((ROOT / "params" / "default.yaml").read_text())
    stale = {k: v for k, v in recorded.items() if default.get(k, object()) != v}
    assert not stale, f"{path.name} records parameters that did not run {stale}: re-run it with make figures"
