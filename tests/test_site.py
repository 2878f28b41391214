"""scripts/build_site.py (with its parts in scripts/course_site/) and scripts/check_site.py: the course site's
logic (the browser check itself is `make site-check`)."""
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from types import SimpleNamespace

import pytest

from scripts import build_site, results_table
from scripts import check_site as cs
from scripts.course_site import hooks, links, pages, widgets

ROOT = Path(__file__).resolve().parent.parent
REPO = "https://github.com/owner/course"
VIEW = widgets.WIDGET_VIEW


def _md(text):
    return {"cell_type": "markdown", "metadata": {}, "source": text}


def _notebook(title="# 01 · A title", outputs=(), state=None):
    nb = {"cells": [_md(f"{title}\nWhat it answers."), _md("## Setup"),
                    {"cell_type": "code", "metadata": {}, "source": "x", "execution_count": 1,
                     "outputs": list(outputs)}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    if state is not None:
        nb["metadata"]["widgets"] = {widgets.WIDGET_STATE: {"state": state, "version_major": 2, "version_minor": 0}}
    return nb


def _model(name, **state):
    return {"model_name": name, "model_module": "@jupyter-widgets/controls", "state": state}


def _widget_output(model_id="vbox"):
    return {"output_type": "execute_result", "execution_count": 1, "metadata": {},
            "data": {VIEW: {"model_id": model_id, "version_major": 2, "version_minor": 0},
                     "text/plain": "VBox(children=(HBox(children=(Dropdown(description='genre', …"}}


def _explorer_state():
    """A frame-scrubber-like widget: VBox[HBox[Dropdown], IntSlider, Image, Label] (as Jupyter saves it)."""
    image = _model("ImageModel", format="png", width="360")
    image["buffers"] = [{"path": ["value"], "data": "iVBORw0KGgoAAAA=", "encoding": "base64"}]
    return {"vbox": _model("VBoxModel", children=["IPY_MODEL_hbox", "IPY_MODEL_slider", "IPY_MODEL_img",
                                                  "IPY_MODEL_label"]),
            "hbox": _model("HBoxModel", children=["IPY_MODEL_dd"]),
            "dd": _model("DropdownModel", description="genre", _options_labels=["ballet", "tap"], index=1),
            "slider": _model("IntSliderModel", description="frame", value=0, min=0, max=63),
            "img": image,
            "label": _model("LabelModel", value="tap_0001.jpg — frame 1 of 64"),
            "layout": _model("LayoutModel")}


# --- what goes on the site ---------------------------------------------------------------------------------

def test_notebooks_are_every_numbered_notebook_in_order(tmp_path):
    """A notebook added later (06_…) is picked up with no config change; unnumbered ones are not course pages."""
    nbs = tmp_path / "notebooks"
    nbs.mkdir()
    for name in ("05_e.ipynb", "01_a.ipynb", "06_generated_motion.ipynb", "scratch.ipynb", "02_b.ipynb"):
        (nbs / name).write_text("{}")
    assert [p.name for p in pages.notebook_paths(tmp_path)] == ["01_a.ipynb", "02_b.ipynb", "05_e.ipynb",
                                                             "06_generated_motion.ipynb"]


def test_nav_is_home_then_the_notebooks_by_title_then_the_gallery():
    titles = {"notebooks/01_a.ipynb": pages.notebook_title(_notebook("# 01 · Data"), "01_a"),
              "notebooks/06_g.ipynb": pages.notebook_title(_notebook("No heading here"), "06_g")}
    assert pages.nav(titles) == [{"Home": "index.md"},
                              {"Notebooks": [{"01 · Data": "notebooks/01_a.ipynb"}, {"06_g": "notebooks/06_g.ipynb"}]},
                              {"Figures": "gallery.md"}]
    config = pages.site_config(titles, REPO)
    assert config["INHERIT"] == "../../mkdocs.yml" and config["nav"] == pages.nav(titles)
    assert config["extra"]["social"][0]["link"] == REPO
    (hook,) = config["hooks"]                           # relative to artifacts/site-src/, where the config is
    assert (ROOT / "artifacts" / "site-src" / hook).resolve() == pages.HOOKS and hasattr(hooks, "on_page_content")


def test_the_builder_runs_as_a_file_from_anywhere(tmp_path):
    """`make site` runs ``python scripts/build_site.py``: as a file (not ``-m``), from any directory, its imports of
    ``scripts.…`` resolve without a sys.path edit."""
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "build_site.py"), "--help"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "--sources-only" in done.stdout


def test_figures_and_gallery_group_by_notebook_number(tmp_path):
    (tmp_path / "figures").mkdir()
    for name in ("02-b.png", "01-a.gif", "01-a.png", "notes.txt", "zz-loose.png"):
        (tmp_path / "figures" / name).write_bytes(b"x")
    figs = [f"figures/{p.name}" for p in pages.figure_paths(tmp_path)]
    assert figs == ["figures/01-a.gif", "figures/01-a.png", "figures/02-b.png", "figures/zz-loose.png"]
    page = pages.gallery(figs, {"notebooks/01_x.ipynb": "01 · X", "notebooks/02_y.ipynb": "02 · Y"})
    assert page.index("## [01 · X](notebooks/01_x.ipynb)") < page.index("figures/01-a.png") \
        < page.index("## [02 · Y]") < page.index("figures/02-b.png") < page.index("## Other figures") \
        < page.index("figures/zz-loose.png")


def test_colab_and_source_links_are_readmes_own():
    """The site's Colab links are built from results_table.repository(), exactly as README's badges are."""
    repo = results_table.repository()
    readme = (ROOT / "README.md").read_text()
    assert links.colab_url(repo, "notebooks/01_dataset_prep.ipynb", "main") in readme
    assert links.source_url(repo, "params", "main", is_dir=True) == f"{repo}/tree/main/params"


# --- links -------------------------------------------------------------------------------------------------

ON_SITE = {"README.md", "notebooks/01_a.ipynb", "notebooks/02_b.ipynb", "figures/01-x.png"}


def test_readme_links_stay_relative_on_site_and_go_to_github_otherwise():
    text = ("[nb](notebooks/01_a.ipynb) ![fig](figures/01-x.png) [lic](LICENSE) [params](params/) "
            "[p](params/smoke.yaml#L3) [top](#quick-start) [web](https://example.org/a.html) "
            f"[![Open In Colab]({links.COLAB_BADGE})](https://colab.research.google.com/github/o/r/blob/main/x.ipynb) "
            '<img src="figures/01-x.png"> <a href="CITATION.cff">cite</a>\n'
            "```python\nprint('[keep](LICENSE)')\n```\nafter [lic](LICENSE)\n")
    out = links.rewrite_links(text, "README.md", on_site=ON_SITE, repo=REPO, ref="main", dirs=frozenset({"params"}))
    assert "[nb](notebooks/01_a.ipynb)" in out and "![fig](figures/01-x.png)" in out
    assert f"[lic]({REPO}/blob/main/LICENSE)" in out and f"[params]({REPO}/tree/main/params)" in out
    assert f"[p]({REPO}/blob/main/params/smoke.yaml#L3)" in out
    assert "[top](#quick-start)" in out and "[web](https://example.org/a.html)" in out
    assert "![Open In Colab](assets/colab-badge.svg)" in out and links.COLAB_BADGE not in out
    assert '<img src="figures/01-x.png">' in out and f'<a href="{REPO}/blob/main/CITATION.cff">' in out
    assert "print('[keep](LICENSE)')" in out                       # code is code
    assert out.endswith(f"after [lic]({REPO}/blob/main/LICENSE)\n")


def test_notebook_links_are_rewritten_for_the_notebooks_page():
    """Notebook Markdown is rendered by nbconvert, not MkDocs: links become URLs relative to notebooks/<name>/."""
    kw = {"on_site": ON_SITE, "repo": REPO, "ref": "v1", "page_url": "notebooks/01_a/"}
    text = (f"![b]({links.COLAB_BADGE}) [next](02_b.ipynb#setup) ![f](../figures/01-x.png) [home](../README.md) "
            "[lic](../LICENSE) [self](#setup) [out](../../elsewhere.txt)")
    out = links.rewrite_links(text, "notebooks/01_a.ipynb", **kw)
    assert out == ("![b](../../assets/colab-badge.svg) [next](../02_b/#setup) ![f](../../figures/01-x.png) "
                   f"[home](../../) [lic]({REPO}/blob/v1/LICENSE) [self](#setup) [out](../../elsewhere.txt)")


def test_site_notebook_adds_colab_and_source_links_under_the_title():
    nb, replaced = pages.site_notebook(_notebook(), "notebooks/01_a.ipynb", repo=REPO, ref="main", on_site=ON_SITE)
    banner = pages.cell_source(nb["cells"][1])
    assert replaced == 0 and nb["cells"][0]["source"].startswith("# 01")
    assert "https://colab.research.google.com/github/owner/course/blob/main/notebooks/01_a.ipynb" in banner
    assert f"{REPO}/blob/main/notebooks/01_a.ipynb" in banner and "does not re-run" in banner


def test_toc_entries_point_at_the_headings_the_page_has():
    """mkdocs-jupyter drops inline code from TOC entries; the hook re-points them at the real heading ids."""
    content = ('<h2 id="bug-1-training-with-y-x">Bug 1: training with <code>y = x</code>'
               '<a class="anchor-link" href="#bug-1-training-with-y-x">¶</a></h2>'
               '<h2 id="setup">Setup<a class="anchor-link" href="#setup">¶</a></h2>')
    broken = SimpleNamespace(id="bug-1-training-with", title="Bug 1: training with", children=[])
    fine = SimpleNamespace(id="setup", title="Setup", children=[])
    unknown = SimpleNamespace(id="gone", title="Nowhere", children=[])
    assert hooks.fix_toc_anchors(content, [SimpleNamespace(id="x", title="Top", children=[broken, fine]), unknown]) == 1
    assert (broken.id, broken.title) == ("bug-1-training-with-y-x", "Bug 1: training with y = x")
    assert (fine.id, unknown.id) == ("setup", "gone")


# --- widgets -----------------------------------------------------------------------------------------------

def test_widget_output_becomes_a_static_first_view():
    nb = _notebook(outputs=[_widget_output()], state=_explorer_state())
    out, replaced = widgets.static_widgets(nb, "https://colab.example/nb.ipynb")
    assert replaced == 1 and "widgets" not in out["metadata"]
    data = out["cells"][2]["outputs"][0]["data"]
    assert list(data) == ["text/html"]                          # no widget view, no raw repr left
    shown = data["text/html"]
    assert 'src="data:image/png;base64,iVBORw0KGgoAAAA="' in shown and 'width="360"' in shown
    assert "genre: <code>tap</code> (1 of 2)" in shown and "frame: <code>0</code> (of 0–63)" in shown
    assert "tap_0001.jpg — frame 1 of 64" in shown and 'href="https://colab.example/nb.ipynb"' in shown
    assert not cs.WIDGET_REPRS.search(shown)
    assert VIEW in nb["cells"][2]["outputs"][0]["data"] and "widgets" in nb["metadata"]   # the input is untouched


def test_widget_without_saved_state_still_gets_a_note():
    out, replaced = widgets.static_widgets(_notebook(outputs=[_widget_output("missing")]), "https://colab.example/x")
    shown = out["cells"][2]["outputs"][0]["data"]["text/html"]
    assert replaced == 1 and "state was not saved" in shown and "open the notebook in Colab" in shown


def test_committed_notebooks_show_no_widget_repr_on_the_site():
    """Every widget output of the committed notebooks is replaced, and those with saved state show their image."""
    repo = results_table.repository()
    for path in pages.notebook_paths(ROOT):
        nb = json.loads(path.read_text())
        rel = path.relative_to(ROOT).as_posix()
        n_widgets = sum(VIEW in o.get("data", {}) for c in nb["cells"] for o in c.get("outputs", []))
        site_nb, replaced = pages.site_notebook(nb, rel, repo=repo, ref="main", on_site={rel})
        assert replaced == n_widgets, rel
        for cell in site_nb["cells"]:
            for output in cell.get("outputs", []):
                data = output.get("data", {})
                assert VIEW not in data, rel
                assert not cs.WIDGET_REPRS.search("".join(data.get("text/plain", ""))), rel
                if "widget-fallback" in "".join(data.get("text/html", "")) and nb["metadata"].get("widgets"):
                    assert "<img" in "".join(data["text/html"]), f"{rel}: the widget's saved image is missing"


# --- the check ---------------------------------------------------------------------------------------------

def test_check_finds_every_page_and_names_its_screenshot(tmp_path):
    for rel in ("index.html", "gallery/index.html", "notebooks/01_a/index.html", "404.html",
                "assets/mathjax/index.html", "search/index.html"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("<html></html>")
    pages = cs.pages(tmp_path)
    assert pages == ["", "gallery/", "notebooks/01_a/"]
    assert [cs.shot_name(p) for p in pages] == ["index.png", "gallery.png", "notebooks-01_a.png"]


@pytest.mark.parametrize("text, found", [
    ("VBox(children=(HBox(children=(Dropdown(description='genre'", True),
    ("interactive(children=(IntSlider(value=3", True),
    ("Output()", True),
    ("IntSlider(value=0, max=63)", True),
    ("Interactive widget — shown here as a static copy of its first view.", False),
    ("widgets.frame_scrubber(index)", False),
])
def test_widget_reprs_are_recognised(text, found):
    assert bool(cs.WIDGET_REPRS.search(text)) is found


def test_internal_links_and_anchors_are_checked_over_http(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "index.html").write_text('<html><h2 id="setup">Setup</h2><a name="old"></a></html>')
    (tmp_path / "a" / "index.html").write_text("<html>a</html>")
    server, base, log = cs.serve(tmp_path)
    try:
        links = {base + "#setup": {"/"}, base + "#old": {"/"}, base + "a/": {"/"}, base + "#missing": {"a/"},
                 base + "gone/": {"/"}}
        problems, n_anchors = cs.check_links(links)
    finally:
        server.shutdown()
    assert n_anchors == 3 and len(problems) == 2
    assert any("gone/ answers 404" in p for p in problems) and any("'missing'" in p for p in problems)
    assert ("/gone/", 404) in log


def test_external_links_are_collected_from_the_built_html(tmp_path):
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "index.html").write_text(
        '<a href="https://github.com/o/r#readme">x</a><a href="../">home</a><a href="http://localhost:6006">tb</a>'
        '<img src="https://example.org/i.png"><a href="mailto:a@b.c">m</a>')
    assert cs.external_links(tmp_path) == {"https://github.com/o/r": {"p/index.html"},
                                           "https://example.org/i.png": {"p/index.html"}}


def test_external_check_reports_broken_links_and_says_when_offline(tmp_path, monkeypatch, capsys):
    """`make linkcheck` without a network: no request really leaves; requests is stood in for."""
    import requests

    (tmp_path / "index.html").write_text('<a href="https://ok.example/">a</a><a href="https://gone.example/x">b</a>')
    status = {"https://ok.example/": 200, "https://gone.example/x": 404}
    answer = lambda url, **kw: SimpleNamespace(status_code=status[url], close=lambda: None)  # noqa: E731
    monkeypatch.setattr(requests, "head", answer)
    monkeypatch.setattr(requests, "get", answer)
    assert cs.run_external_check(tmp_path) == 1
    assert "https://gone.example/x: 404 (on index.html)" in capsys.readouterr().err

    def offline(url, **kw):
        raise requests.ConnectionError("no route")

    monkeypatch.setattr(requests, "head", offline)
    assert cs.run_external_check(tmp_path) == 2
    assert "needs internet" in capsys.readouterr().err


def test_no_browser_skips_plainly_except_in_ci(tmp_path, monkeypatch, capsys):
    args = ["--site", str(tmp_path), "--browser", str(tmp_path / "chromium"), "--driver", str(tmp_path / "drv")]
    monkeypatch.delenv("CI", raising=False)
    assert cs.main(args) == 0
    assert "SKIPPED the browser check" in capsys.readouterr().out
    monkeypatch.setenv("CI", "true")
    assert cs.main(args) == 1
    assert "CI=true" in capsys.readouterr().err


# --- packaging ---------------------------------------------------------------------------------------------

def test_docs_extra_is_pinned_and_kept_out_of_dev():
    """`make site` installs the docs extra with the lock; `make colab-check` (dev only) never sees it."""
    from packaging.requirements import Requirement

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    lines = [ln for ln in (ROOT / "requirements" / "constraints.txt").read_text().splitlines()
             if ln and not ln.startswith("#")]
    pins = {ln.split("==")[0].lower().replace("_", "-"): ln.split("==")[1] for ln in lines}
    for spec in extras["docs"]:
        req = Requirement(spec)
        assert req.name in pins and req.specifier.contains(pins[req.name]), spec
    assert not {Requirement(s).name for s in extras["docs"]} & {Requirement(s).name for s in extras["dev"]}


# --- one real build ----------------------------------------------------------------------------------------

@pytest.mark.slow
def test_a_tiny_site_builds_with_mkdocs(tmp_path):
    """Two tiny notebooks (one with a widget) and a README through the real MkDocs build (a few seconds)."""
    pytest.importorskip("mkdocs_jupyter")
    pytest.importorskip("jupyter_server_mathjax")
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "01-x.png").write_bytes((ROOT / "figures" / "01-leakage.png").read_bytes())
    (tmp_path / "notebooks" / "01_a.ipynb").write_text(json.dumps(
        _notebook("# 01 · First", outputs=[_widget_output()], state=_explorer_state())))
    second = _notebook("# 02 · Second `code`")
    second["cells"].append(_md("## Training with `y = x`"))             # mkdocs-jupyter's TOC drops the code
    (tmp_path / "notebooks" / "02_b.ipynb").write_text(json.dumps(second))
    (tmp_path / "README.md").write_text("# Course\n\n[first](notebooks/01_a.ipynb) ![x](figures/01-x.png) "
                                        "[licence](LICENSE)\n")
    (tmp_path / "mkdocs.yml").write_text((ROOT / "mkdocs.yml").read_text())
    src = tmp_path / "artifacts" / "site-src"
    info = build_site.write_sources(tmp_path, src, REPO)
    assert info["notebooks"] == {"notebooks/01_a.ipynb": "01 · First", "notebooks/02_b.ipynb": "02 · Second `code`"}
    assert info["widgets_replaced"] == {"notebooks/01_a.ipynb": 1, "notebooks/02_b.ipynb": 0}
    cmd = [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-f", str(src / "mkdocs.yml")]
    done = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, check=False,
                          env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert done.returncode == 0, done.stderr
    html = tmp_path / "artifacts" / "site" / "html"
    assert cs.pages(html) == ["", "gallery/", "notebooks/01_a/", "notebooks/02_b/"]
    home = (html / "index.html").read_text()
    assert 'href="notebooks/01_a/"' in home and f'href="{REPO}/blob/main/LICENSE"' in home
    first = (html / "notebooks" / "01_a" / "index.html").read_text()
    assert "widget-fallback" in first and "VBox(children=" not in first and "unpkg.com" not in first
    assert "../../assets/mathjax/MathJax.js" in first and (html / "assets" / "mathjax" / "MathJax.js").is_file()
    for asset, built in (("site.css", "assets/site.css"), ("colab-badge.svg", "assets/colab-badge.svg"),
                         ("mathjax-site.js", "assets/mathjax/config/local/site.js")):
        assert (html / built).read_bytes() == (build_site.ASSETS / asset).read_bytes(), built
    assert 'href="../../assets/site.css"' in first
    page = (html / "notebooks" / "02_b" / "index.html").read_text()        # the hooks module re-pointed its TOC
    toc = re.findall(r'<a href="#([^"]+)" class="md-nav__link">', page)
    assert "training-with-y-x" in toc and set(toc) <= set(re.findall(r'\bid="([^"]+)"', page))
