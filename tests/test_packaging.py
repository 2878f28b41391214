"""Install routes and their pins: pyproject, environment.yml, requirements/*.txt, the Python policy, licence;
the scripts as a package."""
import ast
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from scripts import check_python

ROOT = Path(__file__).resolve().parent.parent


def _names(reqs):
    return {re.split(r"[<>=!~\[ ]", r, maxsplit=1)[0].lower() for r in reqs}


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = set(project["dependencies"]) | set(project["optional-dependencies"]["dev"])
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    listed = {r for r in pip_section if not r.startswith("-e")}
    assert listed == declared, f"only in environment.yml: {listed - declared}; only in pyproject: {declared - listed}"
    assert "python=3.11" in env["dependencies"]


def test_params_files_parse_and_share_keys():
    sets = {p.stem: yaml.safe_load(p.read_text()) for p in (ROOT / "params").glob("*.yaml")}
    assert {"smoke", "default", "letsdance"} <= set(sets)
    for name, params in sets.items():
        assert all(k.isupper() for k in params), f"params/{name}.yaml keys must be UPPER_CASE"


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _pins(path: Path) -> dict[str, str]:
    lines = [ln.strip() for ln in path.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    return {ln.split("==")[0].lower().replace("_", "-"): ln.split("==")[1] for ln in lines}


def test_runtime_requirements_equal_pyproject_dependencies():
    """The Colab bootstrap installs requirements/runtime.txt: it must be pyproject's runtime list, exactly."""
    listed = [ln.strip() for ln in (ROOT / "requirements" / "runtime.txt").read_text().splitlines()
              if ln.strip() and not ln.startswith("#")]
    assert listed == _project()["dependencies"]


@pytest.mark.parametrize("name", ["constraints.txt", "colab.txt"])
def test_pinned_versions_satisfy_the_declared_ranges(name):
    """Both constraint sets CI installs (the lock, and Colab's stack = the lower bounds) fit pyproject's ranges."""
    from packaging.requirements import Requirement

    pins = _pins(ROOT / "requirements" / name)
    project = _project()
    checked = 0
    for spec in project["dependencies"] + project["optional-dependencies"]["dev"]:
        req = Requirement(spec)
        key = req.name.lower().replace("_", "-")
        if key in pins:
            assert req.specifier.contains(pins[key], prereleases=True), f"{name}: {key}=={pins[key]} violates {spec}"
            checked += 1
    assert checked >= (len(project["dependencies"]) if name == "constraints.txt" else 5)


def test_the_lock_pins_every_declared_package():
    pins = _pins(ROOT / "requirements" / "constraints.txt")
    project = _project()
    names = _names(project["dependencies"] + project["optional-dependencies"]["dev"])
    assert {n.replace("_", "-") for n in names} <= set(pins)


def test_one_python_policy():
    """pyproject's requires-python admits README's and environment.yml's Python, rejects older ones, and
    scripts/check_python.py (run by `make install`) applies it."""
    text = (ROOT / "pyproject.toml").read_text()
    assert check_python.supported((3, 11), text) and check_python.supported((3, 12), text)
    assert not check_python.supported((3, 10), text) and not check_python.supported((3, 9), text)
    assert not check_python.supported((3, 14), text)   # no TensorFlow wheels yet
    assert "Python 3.11" in (ROOT / "README.md").read_text()
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "python=3.11" in env["dependencies"]


SCRIPTS = sorted(p for p in (ROOT / "scripts").glob("*.py") if p.name != "__init__.py")


def _is_main_guard(node: ast.stmt) -> bool:
    return isinstance(node, ast.If) and ast.unparse(node.test) == "__name__ == '__main__'"


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.name)
def test_a_script_acts_only_under_its_main_guard(path):
    """`make` runs ``python scripts/<name>.py``; tests import ``scripts.<name>``, which must run nothing: the top
    level holds the docstring, imports, definitions and constants, and the work sits under the ``__main__`` guard."""
    body = ast.parse(path.read_text()).body
    for node in body:
        assert isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef, ast.Assign,
                                 ast.AnnAssign)) or _is_main_guard(node) or (
            isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)), \
            f"{path.name}:{node.lineno} acts at import: {ast.unparse(node)[:80]}"
    assert any(_is_main_guard(node) for node in body), f"{path.name} has no `if __name__ == \"__main__\"`"


def test_every_script_imports_as_a_module_and_leaves_the_interpreter_as_it_was(tmp_path):
    """In a fresh interpreter started elsewhere: each ``scripts.<name>`` imports (the editable install maps the
    package; no script edits sys.path), prints nothing and keeps the working directory, sys.path and sys.argv."""
    code = ("import importlib, os, sys\n"
            "before = (os.getcwd(), list(sys.path), list(sys.argv))\n"
            f"for name in {[p.stem for p in SCRIPTS]!r}:\n"
            "    importlib.import_module('scripts.' + name)\n"
            "    assert (os.getcwd(), list(sys.path), list(sys.argv)) == before, name\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr == ""


def test_check_python_refuses_with_a_clear_message(tmp_path):
    """Run the check under a pyproject that excludes this interpreter: exit 1 and say what to do."""
    script = tmp_path / "scripts" / "check_python.py"
    script.parent.mkdir()
    script.write_text((ROOT / "scripts" / "check_python.py").read_text())
    (tmp_path / "pyproject.toml").write_text('[project]\nrequires-python = ">=3.99"\n')
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
    assert done.returncode == 1
    assert "is not supported" in done.stderr and "make install PYTHON=" in done.stderr


def test_license_and_citation():
    project = _project()
    assert project["license"] == "MIT" and (ROOT / "LICENSE").read_text().startswith("MIT License")
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    text = json.dumps(cff)
    assert "1801.07388" in text and "CS230" in text
    assert cff["repository-code"] == project["urls"]["Repository"]


def test_makefile_sets_no_mplbackend():
    """A kernel started with MPLBACKEND=Agg shows no figures: no make target may export it."""
    assert "MPLBACKEND" not in re.sub(r"#.*", "", (ROOT / "Makefile").read_text())
