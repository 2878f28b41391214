"""The "Open in Colab" first run, simulated: each notebook's bootstrap cell in a fresh kernel that cannot import
``choreo_utils``, with a stand-in ``google.colab`` module, cloning a local copy of this repository; then the
notebook's own import cell must succeed in the same kernel (no restart)."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
COLAB_DEST = "/content/ai-choreographer"

# The kernel forgets this checkout before it starts: no editable-install finder, no path entry, no google.colab
# yet. Only then is `google.colab` faked (a bare module; `google` itself stays the real namespace package).
LAUNCHER = """
import sys, types
from pathlib import Path
root = Path({root!r}).resolve()
sys.meta_path[:] = [f for f in sys.meta_path if not getattr(f, "__module__", "").startswith("__editable__")]
sys.path_hooks[:] = [h for h in sys.path_hooks if not getattr(h, "__module__", "").startswith("__editable__")]
sys.path[:] = [p for p in sys.path if not p or Path(p).resolve() != root]
sys.path_importer_cache.clear()
sys.modules["google.colab"] = types.ModuleType("google.colab")
from ipykernel import kernelapp
kernelapp.launch_new_instance()
"""


def _git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def colab(tmp_path_factory):
    """A git repository holding this checkout's files on branch ``main`` (what the badge's ref names), and a
    kernelspec for the simulated Colab kernel."""
    base = tmp_path_factory.mktemp("colab")
    src = base / "github"
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           check=True, capture_output=True, text=True).stdout.splitlines()
    for rel in files:
        if (ROOT / rel).is_file():
            (src / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, src / rel)
    _git("init", "-q", "-b", "main", cwd=src)
    _git("add", "-A", cwd=src)
    _git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "snapshot", cwd=src)
    spec_dir = base / "kernels" / "colab-sim"
    spec_dir.mkdir(parents=True)
    (spec_dir / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-c", LAUNCHER.format(root=str(ROOT)), "-f", "{connection_file}"],
        "display_name": "simulated Colab", "language": "python"}))
    return {"src": src, "content": base / "content", "jupyter_path": base, "cwd": base}


@pytest.mark.notebooks
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_bootstrap_then_imports_work_in_the_same_kernel(path, colab, monkeypatch):
    repo = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]["Repository"]
    cells = nbformat.read(path, as_version=4).cells
    boot, imports = cells[2].source, cells[3].source
    assert repo in boot and COLAB_DEST in boot, f"{path.name}: bootstrap does not clone {repo} into {COLAB_DEST}"
    dest = colab["content"] / "ai-choreographer"
    boot = boot.replace(repo, colab["src"].as_uri()).replace(COLAB_DEST, str(dest))

    before = nbformat.v4.new_code_cell(
        "import importlib.util, sys\n"
        "assert 'google.colab' in sys.modules\n"
        "assert importlib.util.find_spec('choreo_utils') is None, 'choreo_utils is importable before the bootstrap'")
    after = nbformat.v4.new_code_cell(
        "import os\nfrom pathlib import Path\nimport choreo_utils\nfrom choreo_utils import config\n"
        f"assert Path(choreo_utils.__file__).resolve().is_relative_to(Path({str(dest)!r}).resolve())\n"
        f"assert config.project_root() == Path({str(dest)!r}).resolve(), config.project_root()\n"
        "assert Path.cwd().name == 'notebooks'")
    nb = nbformat.v4.new_notebook(cells=[before, nbformat.v4.new_code_cell(boot), nbformat.v4.new_code_cell(imports),
                                         after])
    for var in ("CHOREO_ROOT", "PYTHONPATH", "CHOREO_SMOKE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("JUPYTER_PATH", str(colab["jupyter_path"]))
    client = NotebookClient(nb, kernel_name="colab-sim", timeout=600,
                            resources={"metadata": {"path": str(colab["cwd"])}})
    try:
        client.execute()
    except CellExecutionError as err:   # pragma: no cover - the message is the point
        pytest.fail(f"{path.name}: simulated Colab first run failed:\n{err}")
    assert (dest / ".git").is_dir()
    assert subprocess.run(["git", "rev-parse", "--abbrev-ref", "HEAD"], cwd=dest, capture_output=True,
                          text=True).stdout.strip() == "main"


@pytest.mark.notebooks
def test_a_failed_clone_stops_the_cell(colab, monkeypatch, tmp_path):
    """A clone that fails must raise (a `!git clone` would print and let the next cell hit ModuleNotFoundError)."""
    repo = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]["Repository"]
    boot = nbformat.read(NOTEBOOKS[0], as_version=4).cells[2].source
    boot = boot.replace(repo, (tmp_path / "no-such-repo").as_uri()).replace(COLAB_DEST, str(tmp_path / "dest"))
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(boot)])
    monkeypatch.setenv("JUPYTER_PATH", str(colab["jupyter_path"]))
    client = NotebookClient(nb, kernel_name="colab-sim", timeout=120,
                            resources={"metadata": {"path": str(tmp_path)}})
    with pytest.raises(CellExecutionError, match="Colab setup failed: git clone"):
        client.execute()
