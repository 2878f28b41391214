"""The course site's pages: which notebooks and figures it has, their order and titles, the site's copy of each
notebook, the figures gallery, and the generated MkDocs config that ties them together."""
from __future__ import annotations

import re
from pathlib import Path

from scripts.course_site.links import colab_url, rewrite_links, site_url, source_url
from scripts.course_site.widgets import static_widgets

NOTEBOOK_GLOB = "notebooks/[0-9]*.ipynb"
FIGURE_PATTERNS = ("figures/*.png", "figures/*.gif")
#: The MkDocs hooks module the generated config registers (``hooks:``).
HOOKS = Path(__file__).resolve().with_name("hooks.py")


def notebook_paths(root: Path) -> list[Path]:
    """The course notebooks, in order: ``notebooks/[0-9]*.ipynb`` sorted by name (their number)."""
    return sorted(root.glob(NOTEBOOK_GLOB), key=lambda p: p.name)


def figure_paths(root: Path) -> list[Path]:
    """Every figure the gallery shows: ``figures/*.png`` and ``figures/*.gif``, sorted by name."""
    return sorted({p for pattern in FIGURE_PATTERNS for p in root.glob(pattern)}, key=lambda p: p.name)


def cell_source(cell: dict) -> str:
    """A cell's source as one string (nbformat stores it as a string or a list of lines)."""
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def notebook_title(nb: dict, fallback: str) -> str:
    """The notebook's first ``# H1`` heading (its title in the sidebar), else ``fallback``."""
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "markdown":
            found = re.search(r"^#\s+(.+?)\s*#*\s*$", cell_source(cell), re.MULTILINE)
            if found:
                return found.group(1)
    return fallback


def nav(titles: dict[str, str]) -> list:
    """The sidebar: Home (README), each notebook in order (``{repo path: title}``), the figures gallery."""
    return [{"Home": "index.md"},
            {"Notebooks": [{title: path} for path, title in titles.items()]},
            {"Figures": "gallery.md"}]


def site_notebook(nb: dict, path: str, *, repo: str, ref: str, on_site: set[str],
                  dirs: frozenset[str] = frozenset()) -> tuple[dict, int]:
    """The site's copy of the notebook at repository ``path``: static widgets, links that work from its page, and
    a line under its title cell with Colab, source and "as committed" (the copy is never executed)."""
    colab = colab_url(repo, path, ref)
    nb, replaced = static_widgets(nb, colab)
    page = site_url(path)
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "markdown":
            cell["source"] = rewrite_links(cell_source(cell), path, on_site=on_site, repo=repo, ref=ref,
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
                hooks: str = "../../scripts/course_site/hooks.py") -> dict:
    """The generated MkDocs config: inherits the repository's ``mkdocs.yml`` and adds what follows the files (and
    the site's hooks module: ``on_page_content``)."""
    return {"INHERIT": base, "docs_dir": "docs", "site_dir": "../site/html", "nav": nav(titles), "hooks": [hooks],
            "extra": {"social": [{"icon": "fontawesome/brands/github", "link": repo, "name": "Source on GitHub"}]}}
