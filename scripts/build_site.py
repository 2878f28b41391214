#!/usr/bin/env python
"""Build the course site (``make site``): README as the front page, the notebooks in order, the figures gallery.

The notebooks are shown exactly as committed — the outputs of the last ``make figures`` run — and are never
executed here. The script writes the site's sources under ``artifacts/site-src/`` (gitignored) in the repository's
own layout, so that README's relative links (``notebooks/…``, ``figures/…``) resolve on the site too:

    artifacts/site-src/mkdocs.yml            INHERITs ../../mkdocs.yml; adds the nav, the repository link, paths
    artifacts/site-src/docs/index.md         README.md; links to files that are not on the site → GitHub
    artifacts/site-src/docs/notebooks/*.ipynb  copies of notebooks/[0-9]*.ipynb (whatever exists, in name order),
                                             each with a "Colab · source" line; widget outputs → static copies
    artifacts/site-src/docs/figures/         figures/*.png, *.gif;  docs/gallery.md shows them by notebook
    artifacts/site-src/docs/assets/          the Colab badge, site.css, MathJax (the site loads nothing from
                                             other hosts, so the offline browser check can hold it to that)

then runs MkDocs (``--strict``: a broken link fails the build) into ``artifacts/site/html/``. Widgets: a committed
notebook keeps a widget as a ``widget-view`` reference plus a text repr (``VBox(children=…)``); without a kernel
nothing can draw it, so each is replaced by a static copy of its first view, rebuilt from the widget state that
Jupyter saved in the notebook (its image, its controls' values, its labels) and a note to open it in Colab.
"""
from __future__ import annotations

import argparse
import copy
import html
import json
import os
import posixpath
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results_table import repository

ROOT = Path(__file__).resolve().parent.parent
SRC = Path("artifacts/site-src")         # relative to the repository root
OUT = Path("artifacts/site/html")
NOTEBOOK_GLOB = "notebooks/[0-9]*.ipynb"
FIGURE_PATTERNS = ("figures/*.png", "figures/*.gif")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
BADGE_PATH = "assets/colab-badge.svg"
MATHJAX_DIR = "assets/mathjax"
#: Written next to the site; scripts/check_site.py prints it with its own numbers.
BUILD_INFO = "build.json"

_LINK = re.compile(r"(?P<head>!?\[[^\]\n]*\]\()(?P<target><[^>\n]+>|[^)\s]+)(?P<tail>(?:\s+\"[^\"\n]*\")?\))")
_HTML_ATTR = re.compile(r"(?P<head>\b(?:src|href)=\")(?P<target>[^\"]+)(?P<tail>\")")
_FENCE = re.compile(r"^(```|~~~)", re.MULTILINE)
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


# --- what is on the site -------------------------------------------------------------------------------------

def notebook_paths(root: Path) -> list[Path]:
    """The course notebooks, in order: ``notebooks/[0-9]*.ipynb`` sorted by name (their number)."""
    return sorted(root.glob(NOTEBOOK_GLOB), key=lambda p: p.name)


def figure_paths(root: Path) -> list[Path]:
    """Every figure the gallery shows: ``figures/*.png`` and ``figures/*.gif``, sorted by name."""
    return sorted({p for pattern in FIGURE_PATTERNS for p in root.glob(pattern)}, key=lambda p: p.name)


def notebook_title(nb: dict, fallback: str) -> str:
    """The notebook's first ``# H1`` heading (its title in the sidebar), else ``fallback``."""
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "markdown":
            found = re.search(r"^#\s+(.+?)\s*#*\s*$", _source(cell), re.MULTILINE)
            if found:
                return found.group(1)
    return fallback


def nav(titles: dict[str, str]) -> list:
    """The sidebar: Home (README), each notebook in order (``{repo path: title}``), the figures gallery."""
    return [{"Home": "index.md"},
            {"Notebooks": [{title: path} for path, title in titles.items()]},
            {"Figures": "gallery.md"}]


def colab_url(repo: str, path: str, ref: str) -> str:
    """The "Open in Colab" address of ``path`` (as README's badges build it: scripts/results_table.py)."""
    return f"{repo.replace('https://github.com/', 'https://colab.research.google.com/github/')}/blob/{ref}/{path}"


def source_url(repo: str, path: str, ref: str, is_dir: bool = False) -> str:
    """The address of ``path`` in the repository on GitHub."""
    return f"{repo}/{'tree' if is_dir else 'blob'}/{ref}/{path}"


# --- links ---------------------------------------------------------------------------------------------------

def site_url(repo_path: str) -> str | None:
    """Where a repository file lives on the site (relative to its root), or None when the site lacks it."""
    if repo_path == "README.md":
        return ""
    if re.fullmatch(r"notebooks/[0-9][^/]*\.ipynb", repo_path):
        return f"notebooks/{Path(repo_path).stem}/"
    if re.fullmatch(r"figures/[^/]+\.(png|gif)", repo_path):
        return repo_path
    return None


def rewrite_target(target: str, source: str, *, on_site: set[str], repo: str, ref: str,
                   page_url: str | None = None, dirs: frozenset[str] = frozenset()) -> str:
    """One link found in the repository file ``source``, as the site needs it.

    Absolute URLs and in-page anchors stay; the Colab badge image becomes the site's local copy. A relative link to a
    file the site has (``on_site``: repository paths) stays relative — as written when MkDocs resolves it (Markdown
    pages: ``page_url`` None), or as a URL relative to ``page_url`` for HTML that MkDocs does not read (notebooks).
    A link to anything else in the repository (LICENSE, params/, a script) goes to that file on GitHub."""
    if target == COLAB_BADGE:
        return _relative(BADGE_PATH, page_url) if page_url is not None else _relative_md(BADGE_PATH, source)
    if not target or target.startswith(("#", "/")) or _SCHEME.match(target):
        return target
    path, hash_, fragment = target.partition("#")
    repo_path = posixpath.normpath(posixpath.join(posixpath.dirname(source), path))
    if repo_path.startswith("../") or repo_path == "..":
        return target                                   # outside the repository: not ours to judge
    if repo_path == ".":
        return repo + hash_ + fragment
    if repo_path in on_site:
        if page_url is None:
            return target
        url = site_url(repo_path)
        return _relative(repo_path if url is None else url, page_url) + hash_ + fragment
    is_dir = repo_path in dirs or path.endswith("/")
    return source_url(repo, repo_path.rstrip("/"), ref, is_dir) + hash_ + fragment


def _relative(url: str, page_url: str) -> str:
    """``url`` (from the site's root; "" is the home page) as seen from the page at the directory URL ``page_url``."""
    rel = posixpath.relpath(url.rstrip("/") or ".", page_url.rstrip("/") or ".")
    return rel + "/" if not url or url.endswith("/") else rel


def _relative_md(path: str, source: str) -> str:
    """``path`` (from the docs root) relative to the Markdown file ``source`` (which sits where it does in the repo)."""
    return posixpath.relpath(path, posixpath.dirname(source) or ".")


def rewrite_links(text: str, source: str, **kwargs) -> str:
    """Every Markdown link/image and HTML ``src=``/``href=`` in ``text`` through ``rewrite_target``; code fences
    are left alone."""
    def one(match: re.Match) -> str:
        target = match.group("target")
        bare = target[1:-1] if target.startswith("<") else target
        return match.group("head") + rewrite_target(bare, source, **kwargs) + match.group("tail")

    parts = _FENCE.split(text)      # text, fence, text, fence, …: every other stretch of text is a code block
    for i in range(0, len(parts), 2):
        if (i // 2) % 2 == 0:
            parts[i] = _HTML_ATTR.sub(one, _LINK.sub(one, parts[i]))
    return "".join(parts)


# --- widgets -------------------------------------------------------------------------------------------------

def widget_fallback(view: dict, state: dict, colab: str) -> str:
    """Static HTML for one widget output: its first view rebuilt from the saved widget ``state`` (images, control
    values, labels) and a note that it is interactive in Jupyter or Colab."""
    model_id = view.get("model_id", "")
    body = _render_widget(model_id, state, depth=0) if model_id in state else ""
    note = ("<strong>Interactive widget</strong> — shown here as a static copy of its first view. "
            if body else "<strong>Interactive widget</strong> — its state was not saved with the notebook. ")
    note += f'To use it, <a href="{html.escape(colab)}">open the notebook in Colab</a> or run it in Jupyter.'
    return f'<div class="widget-fallback">\n<p class="widget-fallback-note">{note}</p>\n{body}</div>\n'


def _render_widget(model_id: str, state: dict, depth: int) -> str:
    model = state.get(model_id)
    if model is None or depth > 20:
        return ""
    name = model.get("model_name", "")
    s = model.get("state", {})
    desc = html.escape(str(s.get("description") or ""))
    label = f"{desc}: " if desc else ""
    if name in ("VBoxModel", "HBoxModel", "BoxModel", "GridBoxModel", "TabModel", "AccordionModel",
                "InteractiveModel") or "children" in s and isinstance(s.get("children"), list):
        kind = "row" if name == "HBoxModel" else "column"
        inner = "".join(_render_widget(_ref(c), state, depth + 1) for c in s.get("children", []))
        return f'<div class="widget-fallback-{kind}">{inner}</div>'
    if name == "ImageModel":
        data = next((b["data"] for b in model.get("buffers", []) if b.get("path") == ["value"]), None)
        if data is None:
            return ""
        fmt = str(s.get("format") or "png").lower()
        mime = "image/svg+xml" if fmt == "svg" else f"image/{'jpeg' if fmt == 'jpg' else fmt}"
        width = f' width="{html.escape(str(s["width"]))}"' if str(s.get("width") or "").isdigit() else ""
        return f'<img class="widget-fallback-image" src="data:{mime};base64,{data}"{width} alt="first view">'
    if name in ("DropdownModel", "SelectModel", "RadioButtonsModel", "ToggleButtonsModel", "SelectionSliderModel"):
        labels, index = s.get("_options_labels") or [], s.get("index")
        value = labels[index] if isinstance(index, int) and 0 <= index < len(labels) else ""
        more = f" (1 of {len(labels)})" if len(labels) > 1 else ""
        return f'<span class="widget-fallback-control">{label}<code>{html.escape(str(value))}</code>{more}</span>'
    if name.endswith("SliderModel") or name.endswith("TextModel") and "value" in s or name in (
            "BoundedIntTextModel", "BoundedFloatTextModel", "CheckboxModel", "ToggleButtonModel"):
        bounds = f" (of {s['min']}–{s['max']})" if "min" in s and "max" in s else ""
        return (f'<span class="widget-fallback-control">{label}<code>{html.escape(str(s.get("value")))}</code>'
                f"{bounds}</span>")
    if name in ("LabelModel",):
        return f'<p class="widget-fallback-label">{label}{html.escape(str(s.get("value", "")))}</p>'
    if name in ("HTMLModel", "HTMLMathModel"):
        return f'<div class="widget-fallback-label">{label}{s.get("value", "")}</div>'
    if name == "OutputModel":
        return "".join(_render_output(o) for o in s.get("outputs", []))
    if name.endswith("Model") and not name.endswith(("LayoutModel", "StyleModel")):
        return f'<span class="widget-fallback-control">{label}<em>{html.escape(name[:-5])}</em></span>'
    return ""


def _render_output(output: dict) -> str:
    """An Output widget's captured output as static HTML (stream text, an image, or text/plain)."""
    if output.get("output_type") == "stream":
        return f"<pre>{html.escape(''.join(output.get('text', '')))}</pre>"
    data = output.get("data", {})
    for mime in ("image/png", "image/jpeg"):
        if mime in data:
            return f'<img src="data:{mime};base64,{"".join(data[mime]).strip()}" alt="output">'
    if "text/html" in data:
        return "".join(data["text/html"])
    if "text/plain" in data:
        return f"<pre>{html.escape(''.join(data['text/plain']))}</pre>"
    return ""


def _ref(child: str) -> str:
    return str(child).removeprefix("IPY_MODEL_")


def static_widgets(nb: dict, colab: str) -> tuple[dict, int]:
    """A copy of ``nb`` whose widget outputs are static HTML (``widget_fallback``), without the saved widget state
    (nothing on the site runs a widget manager); returns it and how many outputs were replaced."""
    nb = copy.deepcopy(nb)
    saved = nb.get("metadata", {}).pop("widgets", {}) or {}
    state = saved.get(WIDGET_STATE, {}).get("state", {})
    replaced = 0
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_VIEW in data:
                output["data"] = {"text/html": widget_fallback(data[WIDGET_VIEW], state, colab)}
                output.get("metadata", {}).pop(WIDGET_VIEW, None)
                replaced += 1
    return nb, replaced


# --- pages ---------------------------------------------------------------------------------------------------

def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def site_notebook(nb: dict, path: str, *, repo: str, ref: str, on_site: set[str],
                  dirs: frozenset[str] = frozenset()) -> tuple[dict, int]:
    """The site's copy of the notebook at repository ``path``: static widgets, links that work from its page, and
    a line under its title cell with Colab, source and "as committed" (the copy is never executed)."""
    colab = colab_url(repo, path, ref)
    nb, replaced = static_widgets(nb, colab)
    page = site_url(path)
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "markdown":
            cell["source"] = rewrite_links(_source(cell), path, on_site=on_site, repo=repo, ref=ref,
                                           page_url=page, dirs=dirs)
    banner = {"cell_type": "markdown", "id": "course-site-links", "metadata": {},
              "source": (f"[Open in Colab]({colab}) · [Source on GitHub]({source_url(repo, path, ref)}) · "
                         f"*The outputs below are those of the committed notebook (the last `make figures` run); "
                         f"the site does not re-run it.*")}
    first_markdown = next((i for i, c in enumerate(nb.get("cells", [])) if c.get("cell_type") == "markdown"), -1)
    nb.setdefault("cells", []).insert(first_markdown + 1, banner)
    return nb, replaced


def gallery(figures: list[str], titles: dict[str, str]) -> str:
    """The gallery page: every figure (``figures/NN-…``), under the notebook whose number it carries."""
    by_number = {Path(path).name[:2]: (path, title) for path, title in titles.items()}
    groups: dict[str, list[str]] = {}
    for fig in figures:
        groups.setdefault(Path(fig).name[:2] if Path(fig).name[:2] in by_number else "", []).append(fig)
    lines = ["# Figures", "",
             "Every figure in `figures/`, as the last `make figures` run wrote it, grouped by the notebook that "
             "makes it. Each notebook shows them inline where they are made.", ""]
    for number in sorted(groups, key=lambda n: (n == "", n)):
        if number:
            path, title = by_number[number]
            lines += [f"## [{title}]({path})", ""]
        else:
            lines += ["## Other figures", ""]
        lines.append('<div class="gallery" markdown>')
        for fig in groups[number]:
            caption = Path(fig).stem[3:].replace("-", " ") if number else Path(fig).stem
            lines += ['<figure markdown="span">', f"[![{caption}]({fig})]({fig})",
                      f"<figcaption>{caption} — <code>{fig}</code></figcaption>", "</figure>"]
        lines += ["</div>", ""]
    return "\n".join(lines)


def site_config(titles: dict[str, str], repo: str, base: str = "../../mkdocs.yml",
                hooks: str = "../../scripts/build_site.py") -> dict:
    """The generated MkDocs config: inherits the repository's ``mkdocs.yml`` and adds what follows the files (and
    this script as a hook: ``on_page_content``)."""
    return {"INHERIT": base, "docs_dir": "docs", "site_dir": "../site/html", "nav": nav(titles), "hooks": [hooks],
            "extra": {"social": [{"icon": "fontawesome/brands/github", "link": repo, "name": "Source on GitHub"}]}}


def _plain(fragment: str, keep_case: bool = False) -> str:
    """Heading text without tags, permalink signs (or case): what a TOC entry and its heading share."""
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", "", fragment)).replace("¶", "").split())
    return text if keep_case else text.lower()


def fix_toc_anchors(content: str, toc) -> int:
    """Point each table-of-contents entry whose anchor ``content`` lacks at its heading, and give it that title.

    mkdocs-jupyter 0.26 builds a notebook's TOC from a Markdown conversion that drops inline code from headings:
    "Bug 1: training with `y = x`" becomes the entry "Bug 1: training with" → ``#bug-1-training-with``, while the
    page's heading id is ``#bug-1-training-with-y-x`` (the browser check finds such dead anchors). An entry is
    matched to the heading with the same text, or the same text once code spans are removed. Returns how many."""
    ids = set(re.findall(r'\bid="([^"]+)"', content))
    headings: dict[str, tuple[str, str]] = {}
    for hid, inner in re.findall(r'<h[1-6][^>]*?\bid="([^"]+)"[^>]*>(.*?)</h[1-6]>', content, re.S):
        title = _plain(inner, keep_case=True)
        headings.setdefault(_plain(inner), (hid, title))
        headings.setdefault(_plain(re.sub(r"<code>.*?</code>", "", inner, flags=re.S)), (hid, title))
    fixed, stack = 0, list(toc or [])
    while stack:
        item = stack.pop()
        stack.extend(getattr(item, "children", []) or [])
        if getattr(item, "id", None) not in ids and _plain(item.title) in headings:
            item.id, item.title = headings[_plain(item.title)]
            fixed += 1
    return fixed


def on_page_content(content: str, page, config, files) -> str:
    """MkDocs hook (registered by the generated config): repair TOC anchors the page does not have."""
    fix_toc_anchors(content, page.toc)
    return content


BADGE_SVG = """\
<svg xmlns="http://www.w3.org/2000/svg" width="117" height="20" role="img" aria-label="Open in Colab">
<title>Open in Colab</title>
<rect width="117" height="20" rx="3" fill="#555"/><rect x="50" width="67" height="20" rx="3" fill="#f9ab00"/>
<rect x="50" width="6" height="20" fill="#f9ab00"/>
<g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11" text-anchor="middle">
<text x="25" y="14">Open in</text><text x="83" y="14" fill="#222">Colab</text></g>
</svg>
"""

#: Loaded after MathJax's own combined config (mkdocs.yml's ``custom_mathjax_url``: ``config=…-full,Safe,local/site``):
#: jupyter-server-mathjax ships MathJax's STIX-Web fonts only (not the default TeX ones), and the HTML-CSS output's
#: placeholder font ``url('about:blank')`` is a request Chromium refuses and reports as a console error; a
#: ``local()`` font that does not exist serves the same purpose without a request.
MATHJAX_LOCAL = """\
MathJax.Hub.Config({"HTML-CSS": {
  availableFonts: ["STIX-Web"], preferredFont: "STIX-Web", webFont: "STIX-Web", imageFont: null,
  styles: {"@font-face": {"font-family": "MathJax_Blank", src: "local('MathJax_Blank_None')"}}
}});
MathJax.Ajax.loadComplete("[MathJax]/config/local/site.js");
"""

SITE_CSS = """\
/* widget outputs: a static copy of the first view (scripts/build_site.py) */
.widget-fallback { border: 1px dashed #9e9e9e; border-radius: 4px; padding: .5em .8em; margin: .4em 0; }
.widget-fallback-note { font-size: .85em; color: #555; margin: 0 0 .4em; }
.widget-fallback-row { display: flex; gap: 1.2em; flex-wrap: wrap; }
.widget-fallback-column { display: flex; flex-direction: column; gap: .3em; align-items: flex-start; }
.widget-fallback-label { margin: 0; font-size: .9em; }
.md-typeset .widget-fallback img { max-width: 100%; height: auto; }
/* the figures gallery */
.gallery { display: grid; grid-template-columns: repeat(auto-fill, minmax(16rem, 1fr)); gap: 1rem; }
.md-typeset .gallery figure { margin: 0; }
.md-typeset .gallery img { max-width: 100%; height: auto; border: 1px solid #e0e0e0; }
"""


# --- build ---------------------------------------------------------------------------------------------------

def mathjax_static() -> Path:
    """MathJax 2.7 (the version nbconvert's template loads), from the jupyter-server-mathjax package."""
    try:
        import jupyter_server_mathjax
    except ImportError as err:
        raise SystemExit("build_site: jupyter-server-mathjax is missing: run `make site` (it installs the `docs` "
                         "extra: pip install -c requirements/constraints.txt -e '.[docs]')") from err
    return Path(jupyter_server_mathjax.__file__).parent / "static"


def write_sources(root: Path, src: Path, repo: str, ref: str = "main") -> dict:
    """Write the site's sources under ``src`` (wiped first); returns what went in (for build.json)."""
    docs = src / "docs"
    if docs.exists():
        shutil.rmtree(docs)
    (docs / "notebooks").mkdir(parents=True)
    (docs / "figures").mkdir()
    notebooks = notebook_paths(root)
    if not notebooks:
        raise SystemExit(f"build_site: no notebooks match {NOTEBOOK_GLOB} under {root}")
    figures = figure_paths(root)
    rel = [p.relative_to(root).as_posix() for p in notebooks]
    on_site = {"README.md", *rel, *(p.relative_to(root).as_posix() for p in figures)}
    dirs = frozenset(p.relative_to(root).as_posix() for p in root.iterdir() if p.is_dir())
    titles, widgets = {}, {}
    for path, repo_path in zip(notebooks, rel, strict=True):
        nb = json.loads(path.read_text(encoding="utf-8"))
        titles[repo_path] = notebook_title(nb, path.stem)
        copy_, widgets[repo_path] = site_notebook(nb, repo_path, repo=repo, ref=ref, on_site=on_site, dirs=dirs)
        (docs / repo_path).write_text(json.dumps(copy_, ensure_ascii=False, indent=1), encoding="utf-8")
    for fig in figures:
        shutil.copy2(fig, docs / "figures" / fig.name)
    readme = (root / "README.md").read_text(encoding="utf-8")
    (docs / "index.md").write_text(rewrite_links(readme, "README.md", on_site=on_site, repo=repo, ref=ref, dirs=dirs),
                                   encoding="utf-8")
    (docs / "gallery.md").write_text(gallery([f"figures/{p.name}" for p in figures], titles), encoding="utf-8")
    (docs / "assets").mkdir()
    (docs / BADGE_PATH).write_text(BADGE_SVG)
    (docs / "assets" / "site.css").write_text(SITE_CSS)
    shutil.copytree(mathjax_static(), docs / MATHJAX_DIR,
                    ignore=lambda d, names: [n for n in names if Path(d).name == "localization" and n != "en"])
    (docs / MATHJAX_DIR / "config" / "local").mkdir(parents=True, exist_ok=True)
    (docs / MATHJAX_DIR / "config" / "local" / "site.js").write_text(MATHJAX_LOCAL)
    config = site_config(titles, repo, base=os.path.relpath(root / "mkdocs.yml", src),
                         hooks=os.path.relpath(Path(__file__).resolve(), src.resolve()))
    (src / "mkdocs.yml").write_text("# Generated by scripts/build_site.py — edit mkdocs.yml at the repository root.\n"
                                    + yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
    return {"notebooks": titles, "widgets_replaced": widgets, "figures": len(figures)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ref", default="main", help="branch or tag the Colab and source links open (default: main)")
    ap.add_argument("--sources-only", action="store_true", help="write artifacts/site-src/ but do not run MkDocs")
    args = ap.parse_args(argv)
    start = time.perf_counter()
    os.chdir(ROOT)                                    # mkdocs.yml's relative paths (the notebook cache) start here
    info = write_sources(ROOT, ROOT / SRC, repository(), args.ref)
    if not args.sources_only:
        out = ROOT / OUT
        done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--clean", "--quiet",
                               "-f", str(SRC / "mkdocs.yml")],
                              env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})  # README says where MkDocs is going
        if done.returncode:
            print(f"build_site: MkDocs failed (exit {done.returncode}); its messages are above", file=sys.stderr)
            return done.returncode
        info["seconds"] = round(time.perf_counter() - start, 1)
        (out.parent / BUILD_INFO).write_text(json.dumps(info, indent=1, ensure_ascii=False))
    seconds = time.perf_counter() - start
    replaced = sum(info["widgets_replaced"].values())
    print(f"site: {len(info['notebooks'])} notebooks (not re-executed), {info['figures']} figures, {replaced} widget "
          f"outputs made static, in {seconds:.1f} s -> "
          + (f"{SRC}/ (sources only)" if args.sources_only else f"{OUT}/index.html"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
