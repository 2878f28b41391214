"""MkDocs hooks of the course site: the generated config's ``hooks:`` entry loads this file by its path.

``on_page_content`` repairs the table-of-contents anchors that mkdocs-jupyter gets wrong (``fix_toc_anchors``).
MkDocs loads a hook as a lone file, outside any package, so this module imports nothing of the project.
"""
from __future__ import annotations

import html
import re


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
