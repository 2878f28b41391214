"""The two install routes (pip/pyproject and conda/environment.yml) list the same packages."""
import re
import tomllib
from pathlib import Path

import yaml

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
