#!/usr/bin/env python
"""Build the course site (``make site``): README as the front page, the notebooks in order, the figures gallery.

The notebooks are shown exactly as committed — the outputs of the last ``make figures`` run — and are never
executed here. The script writes the site's sources under ``artifacts/site-src/`` (gitignored) in the repository's
own layout, so that README's relative links (``notebooks/…``, ``figures/…``) resolve on the site too:

    artifacts/site-src/mkdocs.yml            INHERITs ../../mkdocs.yml; adds the nav, the repository link, paths,
                                             and scripts/course_site/hooks.py as its MkDocs hooks
    artifacts/site-src/docs/index.md         README.md; links to files that are not on the site → GitHub
    artifacts/site-src/docs/notebooks/*.ipynb  copies of notebooks/[0-9]*.ipynb (whatever exists, in name order),
                                             each with a "Colab · source" line; widget outputs → static copies
    artifacts/site-src/docs/figures/         figures/*.png, *.gif;  docs/gallery.md shows them by notebook
    artifacts/site-src/docs/assets/          scripts/course_site/assets/ (the Colab badge, site.css) and MathJax
                                             (the site loads nothing from other hosts, so the offline browser
                                             check can hold it to that)

then runs MkDocs (``--strict``: a broken link fails the build) into ``artifacts/site/html/``. The parts live in
``scripts/course_site/``: pages, links, widgets (a static copy of each widget's first view) and the hooks module.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

from scripts.course_site import pages
from scripts.course_site.links import BADGE_PATH, rewrite_links
from scripts.results_table import repository

ROOT = Path(__file__).resolve().parent.parent
SRC = Path("artifacts/site-src")         # relative to the repository root
OUT = Path("artifacts/site/html")
ASSETS = Path(__file__).resolve().parent / "course_site" / "assets"
MATHJAX_DIR = "assets/mathjax"
#: Written next to the site; scripts/check_site.py prints it with its own numbers.
BUILD_INFO = "build.json"


def mathjax_static() -> Path:
    """MathJax 2.7 (the version nbconvert's template loads), from the jupyter-server-mathjax package."""
    try:
        import jupyter_server_mathjax
    except ImportError as err:
        raise SystemExit("build_site: jupyter-server-mathjax is missing: run `make site` (it installs the `docs` "
                         "extra: pip install -c requirements/constraints.txt -e '.[docs]')") from err
    return Path(jupyter_server_mathjax.__file__).parent / "static"


def write_assets(docs: Path) -> None:
    """The site's own files and MathJax under ``docs/assets``.

    ``mathjax-site.js`` becomes MathJax's ``config/local/site.js``, loaded after its combined config (mkdocs.yml's
    ``custom_mathjax_url``: ``config=…-full,Safe,local/site``): jupyter-server-mathjax ships MathJax's STIX-Web fonts
    only (not the default TeX ones), and the HTML-CSS output's placeholder font ``url('about:blank')`` is a request
    Chromium refuses and reports as a console error; a ``local()`` font that does not exist serves the same purpose
    without a request."""
    (docs / "assets").mkdir()
    shutil.copyfile(ASSETS / "colab-badge.svg", docs / BADGE_PATH)
    shutil.copyfile(ASSETS / "site.css", docs / "assets" / "site.css")
    shutil.copytree(mathjax_static(), docs / MATHJAX_DIR,
                    ignore=lambda d, names: [n for n in names if Path(d).name == "localization" and n != "en"])
    (docs / MATHJAX_DIR / "config" / "local").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ASSETS / "mathjax-site.js", docs / MATHJAX_DIR / "config" / "local" / "site.js")


def write_sources(root: Path, src: Path, repo: str, ref: str = "main") -> dict:
    """Write the site's sources under ``src`` (wiped first); returns what went in (for build.json)."""
    docs = src / "docs"
    if docs.exists():
        shutil.rmtree(docs)
    (docs / "notebooks").mkdir(parents=True)
    (docs / "figures").mkdir()
    notebooks = pages.notebook_paths(root)
    if not notebooks:
        raise SystemExit(f"build_site: no notebooks match {pages.NOTEBOOK_GLOB} under {root}")
    figures = pages.figure_paths(root)
    rel = [p.relative_to(root).as_posix() for p in notebooks]
    on_site = {"README.md", *rel, *(p.relative_to(root).as_posix() for p in figures)}
    dirs = frozenset(p.relative_to(root).as_posix() for p in root.iterdir() if p.is_dir())
    titles, widgets = {}, {}
    for path, repo_path in zip(notebooks, rel, strict=True):
        nb = json.loads(path.read_text(encoding="utf-8"))
        titles[repo_path] = pages.notebook_title(nb, path.stem)
        copy_, widgets[repo_path] = pages.site_notebook(nb, repo_path, repo=repo, ref=ref, on_site=on_site,
                                                        dirs=dirs)
        (docs / repo_path).write_text(json.dumps(copy_, ensure_ascii=False, indent=1), encoding="utf-8")
    for fig in figures:
        shutil.copy2(fig, docs / "figures" / fig.name)
    readme = (root / "README.md").read_text(encoding="utf-8")
    (docs / "index.md").write_text(rewrite_links(readme, "README.md", on_site=on_site, repo=repo, ref=ref, dirs=dirs),
                                   encoding="utf-8")
    (docs / "gallery.md").write_text(pages.gallery([f"figures/{p.name}" for p in figures], titles), encoding="utf-8")
    write_assets(docs)
    config = pages.site_config(titles, repo, base=os.path.relpath(root / "mkdocs.yml", src),
                               hooks=os.path.relpath(pages.HOOKS, src.resolve()))
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
