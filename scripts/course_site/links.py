"""Links on the course site: where a repository file lives there, and the Markdown/HTML link rewriter.

README and the notebooks link to repository paths (``notebooks/…``, ``figures/…``, ``LICENSE``, ``params/``). The
site keeps the paths it has (relative, so they work offline and on GitHub Pages alike) and sends every other one to
the file on GitHub; the Colab badge image becomes the site's own copy (the site loads nothing from other hosts).
"""
from __future__ import annotations

import posixpath
import re
from pathlib import Path

COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
BADGE_PATH = "assets/colab-badge.svg"

_LINK = re.compile(r"(?P<head>!?\[[^\]\n]*\]\()(?P<target><[^>\n]+>|[^)\s]+)(?P<tail>(?:\s+\"[^\"\n]*\")?\))")
_HTML_ATTR = re.compile(r"(?P<head>\b(?:src|href)=\")(?P<target>[^\"]+)(?P<tail>\")")
_FENCE = re.compile(r"^(```|~~~)", re.MULTILINE)
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def colab_url(repo: str, path: str, ref: str) -> str:
    """The "Open in Colab" address of ``path`` (as README's badges build it: scripts/results_table.py)."""
    return f"{repo.replace('https://github.com/', 'https://colab.research.google.com/github/')}/blob/{ref}/{path}"


def source_url(repo: str, path: str, ref: str, is_dir: bool = False) -> str:
    """The address of ``path`` in the repository on GitHub."""
    return f"{repo}/{'tree' if is_dir else 'blob'}/{ref}/{path}"


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
