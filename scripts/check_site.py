#!/usr/bin/env python
"""Check the built course site (``make site-check``) in a real headless browser, offline.

Serves ``artifacts/site/html`` over http on 127.0.0.1 (an ephemeral port) and opens every page in Debian's Chromium,
driven by Selenium through the system chromedriver (never a downloaded browser or driver). On each page:

* no console message of level SEVERE (a script error, a resource that failed to load, …);
* every ``<img>`` has loaded (``naturalWidth > 0``) and nothing is requested from another host (the site is
  self-contained: no CDN, no web fonts — so this check means the same offline as online);
* every internal link answers 200, and its ``#anchor``, if any, names an element of the target page;
* no widget shows up as its raw repr (``VBox(children=…)``, ``interactive(children=…)``, ``Output()``);
* a screenshot (the first ``--shot-height`` pixels) goes to ``artifacts/site/screenshots/<page>.png``.

Without a browser it says so and exits 0 — unless CI=true, where a missing browser is an error. Install one with
``apt-get install chromium chromium-driver`` (.ci/run does, as root). ``--external`` instead checks the links to
other sites (``make linkcheck``); that needs internet, so CI does not run it.
"""
from __future__ import annotations

import argparse
import base64
import html.parser
import json
import os
import re
import shutil
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "artifacts" / "site" / "html"
SHOTS = ROOT / "artifacts" / "site" / "screenshots"
BROWSER = os.environ.get("CHROMIUM", "/usr/bin/chromium")
DRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
INSTALL_HINT = "apt-get install -y chromium chromium-driver (as root; .ci/run does this in CI)"

#: How a widget looks when nothing could render it: its Python repr (text/plain), or nbconvert's placeholder.
WIDGET_REPRS = re.compile(r"\b(?:[A-Z]\w*Box|Tab|Accordion|interactive)\(children=|\bOutput\(\)|"
                          r"\b(?:IntSlider|FloatSlider|Dropdown|Image|Label|HTML)\((?:value|options|description)=|"
                          r"application/vnd\.jupyter\.widget|Loading widgets?\.\.\.")

#: Page text outside code: the inputs of notebook cells and code blocks may legitimately spell a repr.
_PAGE_TEXT_JS = """
const root = document.querySelector('article') || document.body;
const clone = root.cloneNode(true);
clone.querySelectorAll('.jp-InputArea, .jp-InputPrompt, .jp-OutputPrompt').forEach(e => e.remove());
clone.querySelectorAll('pre, code').forEach(e => { if (!e.closest('.jp-OutputArea')) e.remove(); });
return clone.textContent;
"""
_IMAGES_JS = "return Array.from(document.images).map(i => [i.currentSrc || i.src, i.complete, i.naturalWidth]);"
_LINKS_JS = "return Array.from(document.querySelectorAll('a[href]')).map(a => a.href);"
_RESOURCES_JS = "return performance.getEntriesByType('resource').map(e => e.name);"
_SETTLED_JS = ("return document.readyState === 'complete' && Array.from(document.images).every(i => i.complete)"
               " && (!window.MathJax || !MathJax.Hub || MathJax.Hub.queue.pending === 0);")


def is_ci(env: dict | None = None) -> bool:
    """True when running under CI (``CI=true``/``1``/``yes``): a missing browser is then an error."""
    return str((env if env is not None else os.environ).get("CI", "")).lower() in ("true", "1", "yes")


def browser_problem(browser: str, driver: str) -> str | None:
    """Why the browser check cannot run here (a missing browser, driver or Selenium), or None."""
    missing = [f"{what} at {path}" for what, path in (("Chromium", browser), ("chromedriver", driver))
               if not (Path(path).is_file() and os.access(path, os.X_OK))]
    if missing:
        return f"no {' and no '.join(missing)} — install: {INSTALL_HINT}"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "Selenium is not installed — run `make site-check` (it installs the `docs` extra)"
    return None


def pages(site: Path) -> list[str]:
    """Every page of the built site as a URL path (``""``, ``"notebooks/01_dataset_prep/"``, …), home first."""
    found = []
    for index in site.rglob("index.html"):
        rel = index.parent.relative_to(site).as_posix()
        if not (rel + "/").startswith(("assets/", "search/")):
            found.append("" if rel == "." else rel + "/")
    return sorted(found, key=lambda p: (p != "", p))


def shot_name(page: str) -> str:
    """``notebooks/01_dataset_prep/`` → ``notebooks-01_dataset_prep.png``; the home page → ``index.png``."""
    return (page.strip("/").replace("/", "-") or "index") + ".png"


class _Ids(html.parser.HTMLParser):
    """Collects every ``id=`` and ``name=`` of a page: the anchors a ``#fragment`` may name."""

    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for key, value in attrs:
            if key in ("id", "name") and value:
                self.ids.add(value)


def anchors(page_html: str) -> set[str]:
    """The ids (and names) a fragment can point at in ``page_html``."""
    parser = _Ids()
    parser.feed(page_html)
    return parser.ids


class _Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        for key, value in attrs:
            if (tag, key) in (("a", "href"), ("img", "src"), ("script", "src"), ("link", "href")) and value:
                self.hrefs.append(value)


def external_links(site: Path) -> dict[str, set[str]]:
    """``{external URL: pages that use it}`` over the built HTML (links to other hosts; localhost excluded)."""
    found: dict[str, set[str]] = {}
    for path in sorted(site.rglob("*.html")):
        page = path.relative_to(site).as_posix()
        if page.startswith("assets/"):
            continue
        parser = _Links()
        parser.feed(path.read_text(encoding="utf-8", errors="replace"))
        for href in parser.hrefs:
            parts = urlsplit(href)
            if parts.scheme in ("http", "https") and parts.hostname not in ("localhost", "127.0.0.1", "::1"):
                found.setdefault(urldefrag(href)[0], set()).add(page)
    return found


# --- the server ----------------------------------------------------------------------------------------------

class _Handler(SimpleHTTPRequestHandler):
    log: list[tuple[str, int]]

    def log_request(self, code="-", size="-"):
        self.log.append((self.path, int(code) if str(code).isdigit() else 0))

    def log_message(self, *args):      # quiet: the summary says what matters
        pass


def serve(site: Path) -> tuple[ThreadingHTTPServer, str, list[tuple[str, int]]]:
    """Serve ``site`` on 127.0.0.1 in a daemon thread; returns the server, its base URL and its request log."""
    log: list[tuple[str, int]] = []
    handler = type("Handler", (_Handler,), {"log": log})
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/", log


def fetch(url: str) -> tuple[int, str]:
    """HTTP status and body of ``url`` (one of ours, on 127.0.0.1)."""
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.read().decode("utf-8", errors="replace")
    except urllib.error.HTTPError as err:
        return err.code, ""


# --- the browser ---------------------------------------------------------------------------------------------

def start_browser(browser: str, driver: str, width: int):
    """Headless Chromium through the system chromedriver; Selenium Manager is never asked for anything."""
    os.environ.setdefault("SE_OFFLINE", "true")        # belt and braces: never download a browser or driver
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = browser
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--disable-extensions", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--hide-scrollbars", f"--window-size={width},1000",
                # every host but ours resolves to nothing: online or off, the site may load nothing from elsewhere
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(executable_path=driver), options=opts)


def settle(drv, timeout: float = 20.0) -> None:
    """Wait until the page, its images and MathJax are done and no new resource arrived for a moment."""
    end, last, calm = time.monotonic() + timeout, -1, 0
    while time.monotonic() < end:
        n = len(drv.execute_script(_RESOURCES_JS))
        calm = calm + 1 if n == last and drv.execute_script(_SETTLED_JS) else 0
        if calm >= 2:
            return
        last = n
        time.sleep(0.25)


def screenshot(drv, path: Path, width: int, max_height: int) -> int:
    """The first ``max_height`` CSS pixels of the page (all of it if shorter) as a PNG; returns its height."""
    metrics = drv.execute_cdp_cmd("Page.getLayoutMetrics", {})
    height = int(min(metrics.get("cssContentSize", metrics.get("contentSize"))["height"], max_height))
    shot = drv.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}})
    path.write_bytes(base64.b64decode(shot["data"]))
    return height


def check_page(drv, base: str, page: str, shots: Path, width: int, max_height: int) -> dict:
    """Open one page and collect what it shows: console errors, images, links, widget reprs, foreign requests."""
    url = urljoin(base, page)
    drv.get(url)
    settle(drv)
    host = urlsplit(base).netloc
    images = drv.execute_script(_IMAGES_JS)
    text = drv.execute_script(_PAGE_TEXT_JS) or ""
    return {
        "page": page or "/",
        "console": [f"{e.get('level')}: {e.get('message')}" for e in drv.get_log("browser")
                    if e.get("level") == "SEVERE"],
        "images": len(images),
        "broken_images": [src[:120] for src, complete, w in images if not complete or not w],
        "links": [href for href in drv.execute_script(_LINKS_JS) if urlsplit(href).netloc == host],
        "foreign": sorted({r for r in drv.execute_script(_RESOURCES_JS)
                           if urlsplit(r).scheme in ("http", "https") and urlsplit(r).netloc != host}),
        "widget_reprs": sorted(set(m.group(0) for m in WIDGET_REPRS.finditer(text))),
        "widget_fallbacks": drv.execute_script("return document.querySelectorAll('.widget-fallback').length;"),
        "shot_height": screenshot(drv, shots / shot_name(page), width, max_height),
    }


def check_links(links: dict[str, set[str]]) -> tuple[list[str], int]:
    """Fetch every internal link once (status 200), and check each ``#anchor`` against its page's ids."""
    problems, bodies, n_anchors = [], {}, 0
    for href in sorted(links):
        target, fragment = urldefrag(href)
        if target not in bodies:
            bodies[target] = fetch(target)
        status, body = bodies[target]
        where = ", ".join(sorted(links[href])[:3])
        if status != 200:
            problems.append(f"link {href} answers {status} (on {where})")
        elif fragment and body and "<html" in body[:500].lower():
            n_anchors += 1
            if unquote(fragment) not in anchors(body):
                problems.append(f"link {href}: no element with id '{fragment}' on its page (on {where})")
    return problems, n_anchors


def run_browser_check(site: Path, shots: Path, browser: str, driver: str, width: int, max_height: int) -> int:
    start = time.perf_counter()
    todo = pages(site)
    if not todo:
        print(f"check_site: no pages under {site}: run `make site` first", file=sys.stderr)
        return 1
    if shots.exists():
        shutil.rmtree(shots)
    shots.mkdir(parents=True)
    server, base, log = serve(site)
    drv = start_browser(browser, driver, width)
    try:
        drv.get_log("browser")                              # start from an empty console
        results = [check_page(drv, base, page, shots, width, max_height) for page in todo]
    finally:
        drv.quit()
    links: dict[str, set[str]] = {}
    for r in results:
        for href in r["links"]:
            links.setdefault(href, set()).add(r["page"])
    problems, n_anchors = check_links(links)
    server.shutdown()
    for r in results:
        where = r["page"]
        problems += [f"{where}: console {m}" for m in r["console"]]
        problems += [f"{where}: image did not load: {src}" for src in r["broken_images"]]
        problems += [f"{where}: loads {url} from another host (the site must be self-contained)"
                     for url in r["foreign"]]
        problems += [f"{where}: a widget shows as its raw repr '{m}' (no static fallback)" for m in r["widget_reprs"]]
    problems += [f"server: {path} answered {code}" for path, code in log if code >= 400]
    seconds = time.perf_counter() - start
    info_path = site.parent / "build.json"
    built = json.loads(info_path.read_text()) if info_path.is_file() else {}
    print(f"site check ({browser_version(browser)}, headless, offline, {base}):")
    for r in results:
        print(f"  {r['page']:<36} {r['images']:>3} images  {len(set(r['links'])):>4} internal links  "
              f"{r['widget_fallbacks']} static widgets  screenshot {r['shot_height']} px")
    print(f"{len(results)} pages, {sum(r['images'] for r in results)} images, {len(links)} internal links "
          f"({n_anchors} with anchors), {sum(r['widget_fallbacks'] for r in results)} static widget outputs; "
          f"build {built.get('seconds', '?')} s, check {seconds:.1f} s; screenshots in "
          f"{shots.relative_to(ROOT) if shots.is_relative_to(ROOT) else shots}/")
    if problems:
        print(f"\n{len(problems)} problems:", *problems, sep="\n  ", file=sys.stderr)
        return 1
    print("site check passed: no console errors, every image loaded, every internal link and anchor resolves")
    return 0


def browser_version(browser: str) -> str:
    try:
        import subprocess

        out = subprocess.run([browser, "--version"], capture_output=True, text=True, timeout=20).stdout
        return out.strip().split(" built on")[0] or Path(browser).name
    except (OSError, subprocess.SubprocessError):
        return Path(browser).name


# --- external links ------------------------------------------------------------------------------------------

def run_external_check(site: Path, timeout: float = 20.0) -> int:
    """Every link to another site, once: HEAD (GET where HEAD is refused). Needs internet."""
    import requests

    links = external_links(site)
    if not links:
        print(f"check_site --external: no pages under {site}: run `make site` first", file=sys.stderr)
        return 1
    print(f"checking {len(links)} external links — this needs internet access (CI does not run it) ...")
    headers = {"User-Agent": "ai-choreographer-linkcheck (+make linkcheck)"}

    def one(url: str) -> tuple[str, int | None, str]:
        try:
            resp = requests.head(url, allow_redirects=True, timeout=timeout, headers=headers)
            if resp.status_code in (403, 405, 501) or resp.status_code >= 500:
                resp = requests.get(url, allow_redirects=True, timeout=timeout, headers=headers, stream=True)
                resp.close()
            return url, resp.status_code, ""
        except requests.RequestException as err:
            return url, None, type(err).__name__

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(one, sorted(links)))
    unreachable = [r for r in results if r[1] is None]
    if len(unreachable) == len(results):
        print(f"no internet: none of the {len(results)} external links could be reached ({unreachable[0][2]}). "
              "`make linkcheck` needs internet access; run it on a connected machine.", file=sys.stderr)
        return 2
    bad = [(u, s, e) for u, s, e in results if s is None or (s >= 400 and s != 429)]
    for url, status, err in results:
        print(f"  {status or err:>5}  {url}")
    if bad:
        print(f"\n{len(bad)} broken external links:", file=sys.stderr)
        for url, status, err in bad:
            print(f"  {url}: {status or err} (on {', '.join(sorted(links[url])[:3])})", file=sys.stderr)
        return 1
    print(f"{len(results)} external links answer (429 = rate-limited, not judged)")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--site", type=Path, default=SITE, help="the built site (default: artifacts/site/html)")
    ap.add_argument("--screenshots", type=Path, default=SHOTS, help="where the page screenshots go")
    ap.add_argument("--browser", default=BROWSER, help="Chromium binary (env CHROMIUM; default /usr/bin/chromium)")
    ap.add_argument("--driver", default=DRIVER, help="chromedriver (env CHROMEDRIVER; default /usr/bin/chromedriver)")
    ap.add_argument("--width", type=int, default=1280, help="window width in CSS pixels")
    ap.add_argument("--shot-height", type=int, default=3000, help="screenshot at most this many pixels of each page")
    ap.add_argument("--external", action="store_true",
                    help="check the links to other sites instead (needs internet; `make linkcheck`)")
    args = ap.parse_args(argv)
    if args.external:
        return run_external_check(args.site)
    problem = browser_problem(args.browser, args.driver)
    if problem:
        if is_ci():
            print(f"check_site: CI=true and the browser check cannot run: {problem}", file=sys.stderr)
            return 1
        print(f"check_site: SKIPPED the browser check of the site: {problem}. (The site itself was built; "
              "CI installs the browser and runs this check.)")
        return 0
    return run_browser_check(args.site, args.screenshots, args.browser, args.driver, args.width, args.shot_height)


if __name__ == "__main__":
    sys.exit(main())
