"""Fetch one file over HTTP(S) or ``file://``, or copy a local one, resumably and checked by SHA-256.

:func:`download` streams a URL into ``<dest>.part`` (resumed with an HTTP ``Range`` request after an
interruption, with ``If-Range`` so that a file changed on the server is fetched anew, never spliced), renames
it to ``dest`` only once complete and verified, and records the digest in
``<dest>.sha256`` so a later call verifies instead of fetching again. ``letsdance.download`` is this with the
Let's Dance archive's name and project page in its error messages.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import IO, Any

from choreo_utils.io_utils import atomic_path, write_bytes_atomic
from choreo_utils.progress import bar as progress_bar

_CHUNK = 1 << 20


def sha256sum(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file (streamed, never read whole into memory)."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _record_path(dest: Path) -> Path:
    """``<dest>.sha256``, where the digest of ``dest`` is recorded."""
    return dest.with_name(dest.name + ".sha256")


def _read_record(record: Path) -> str:
    """The digest in a ``<sha256>  <filename>`` record."""
    text = record.read_text().split()
    if not text or not re.fullmatch(r"[0-9a-f]{64}", text[0].lower()):
        raise ValueError(f"{record} is not a '<sha256>  <filename>' record; delete it and re-run download(...)")
    return text[0].lower()


def recorded_sha256(dest: str | os.PathLike) -> str | None:
    """The digest recorded for ``dest`` in ``<dest>.sha256`` by :func:`download`, or None if there is none."""
    record = _record_path(Path(dest))
    return _read_record(record) if record.is_file() else None


def _write_record(dest: Path, digest: str) -> None:
    """Record ``digest`` for ``dest`` (atomically), in the format ``sha256sum -c`` reads."""
    write_bytes_atomic(_record_path(dest), f"{digest}  {dest.name}\n".encode())


def _copy_stream(source: IO[bytes], out: IO[bytes], bar: Any) -> int:
    """Copy ``source`` to ``out`` in chunks, advancing ``bar``; the number of bytes copied."""
    n = 0
    for chunk in iter(lambda: source.read(_CHUNK), b""):
        out.write(chunk)
        bar.update(len(chunk))
        n += len(chunk)
    return n


def download(url_or_path: str | os.PathLike, dest: str | os.PathLike, sha256: str | None = None,
             progress: bool = True, *, name: str | None = None, page: str | None = None) -> Path:
    """Fetch a URL (http, https, file) or copy a local file to ``dest``, resuming and checking SHA-256.

    URLs stream into ``<dest>.part`` (resumed with an HTTP Range request on the next call if
    interrupted) and are renamed to ``dest`` only once complete and, if ``sha256`` is given,
    verified; a mismatching file is moved to ``<dest>.corrupt`` and ValueError is raised. The digest
    is recorded in ``<dest>.sha256``; when ``dest`` and that record exist, the file is verified
    against it and nothing is fetched. An existing ``dest`` without a record is adopted (it is
    hashed and checked against ``sha256``). Returns ``dest``.

    ``page``, when given, is the web page that publishes the file's current URL: error messages about a
    wrong source point there, naming the file as ``name`` (default: ``dest``'s file name).
    """
    dest = Path(dest)
    expected = sha256.strip().lower() if sha256 else None
    if expected is not None and not re.fullmatch(r"[0-9a-f]{64}", expected):
        raise ValueError(f"sha256={sha256!r} is not a 64-character hex digest")
    source = os.fspath(url_or_path)
    scheme = urllib.parse.urlparse(source).scheme.lower()
    is_url = scheme in {"http", "https", "file"}
    local = None if is_url else Path(source)
    if local is not None and not local.is_file():
        if len(scheme) > 1:
            raise ValueError(f"unsupported URL scheme {scheme!r} in {source!r}; use http, https, file or a local path")
        where = f"; get {name or dest.name} via {page} and pass its URL or local path" if page else ""
        raise FileNotFoundError(f"{source} is neither an existing file nor an http/https/file URL{where}")
    record = _record_path(dest)

    if dest.is_file():
        recorded = _read_record(record) if record.is_file() else None
        if recorded is not None or is_url or os.path.samefile(local, dest):
            return _verify_existing(dest, recorded, expected)

    dest.parent.mkdir(parents=True, exist_ok=True)
    if local is not None:
        with atomic_path(dest) as tmp:
            with local.open("rb") as src, tmp.open("wb") as out, \
                    progress_bar(total=local.stat().st_size, unit="B", unit_scale=True, desc=f"copy {local.name}",
                         disable=not progress) as bar:
                _copy_stream(src, out, bar)
            digest = sha256sum(tmp)
            _check_digest(digest, expected, source, "nothing was written to " + str(dest))
        _write_record(dest, digest)
        return dest

    part = dest.with_name(dest.name + ".part")
    _fetch_resumable(source, part, progress, page)
    digest = sha256sum(part)
    if expected is not None and digest != expected:
        corrupt = dest.with_name(dest.name + ".corrupt")
        os.replace(part, corrupt)
        _check_digest(digest, expected, source, f"the download is kept as {corrupt}, not {dest.name}")
    os.replace(part, dest)
    _write_record(dest, digest)
    _validator_path(part).unlink(missing_ok=True)
    return dest


def _check_digest(actual: str, expected: str | None, source: str, kept: str) -> None:
    """Raise ValueError (saying what was ``kept``) when ``expected`` is given and differs from ``actual``."""
    if expected is not None and actual != expected:
        raise ValueError(f"SHA-256 mismatch for {source}: expected {expected}, got {actual}; {kept}. Check the "
                         "expected digest, delete any leftover file and download again.")


def _verify_existing(dest: Path, recorded: str | None, expected: str | None) -> Path:
    """Check an already-present ``dest`` against its record and/or ``expected``; write the record if missing."""
    if recorded is not None and expected is not None and recorded != expected:
        raise ValueError(f"{dest} is recorded with SHA-256 {recorded} in {_record_path(dest)}, but {expected} was "
                         "expected; delete both files to download again, or fix the expected digest.")
    actual = sha256sum(dest)
    want = recorded or expected
    if want is not None and actual != want:
        raise ValueError(f"{dest} is corrupt or not the expected file: SHA-256 {actual}, expected {want}. Delete "
                         f"it (and {_record_path(dest).name}) and download it again, or correct the expected "
                         "digest if the file is right.")
    if recorded is None:
        _write_record(dest, actual)
    return dest


def _content_range_total(value: str | None) -> int | None:
    """The total size in a ``Content-Range: bytes a-b/total`` (or ``*/total``) header, else None."""
    match = re.fullmatch(r"bytes\s+(?:\d+-\d+|\*)/(\d+)", (value or "").strip())
    return int(match.group(1)) if match else None


def _validator_path(part: Path) -> Path:
    """``<dest>.part.json``: the server's validator (ETag or Last-Modified) and size when ``part`` was started."""
    return part.with_name(part.name + ".json")


def _read_validator(part: Path) -> dict:
    """The validator recorded for ``part`` ({} when none was recorded or the record is unreadable)."""
    try:
        meta = json.loads(_validator_path(part).read_text())
    except (OSError, ValueError):
        return {}
    return meta if isinstance(meta, dict) else {}


def _validator_of(headers: Any) -> dict:
    """A strong ETag (usable in If-Range), else Last-Modified, plus the total size, from response headers."""
    etag = headers.get("ETag")
    total = _content_range_total(headers.get("Content-Range"))
    if total is None and (length := headers.get("Content-Length") or "").isdigit():
        total = int(length)
    return {"etag": etag if etag and not etag.startswith("W/") else None,
            "last_modified": headers.get("Last-Modified"), "total": total}


def _if_range(meta: dict) -> str | None:
    return meta.get("etag") or meta.get("last_modified")


def _fetch_resumable(url: str, part: Path, progress: bool, page: str | None = None) -> None:
    """Stream ``url`` into ``part``, appending from its current size when the server honours Range.

    A resumed request carries ``If-Range`` with the validator recorded when ``part`` was started, so a file
    that changed on the server comes back whole (200) and the download restarts from zero instead of
    splicing two versions."""
    offset = part.stat().st_size if part.is_file() else 0
    meta = _read_validator(part) if offset else {}
    headers = {"Range": f"bytes={offset}-"} if offset else {}
    if offset and _if_range(meta):
        headers["If-Range"] = _if_range(meta)
    request = urllib.request.Request(url, headers=headers)
    written = 0

    def interrupted(exc: BaseException) -> RuntimeError:
        return RuntimeError(f"download of {url} failed after {offset + written} bytes ({exc}). The partial file "
                            f"{part} is kept: re-run download(...) with the same arguments to resume.")

    def start_over() -> None:
        part.unlink(missing_ok=True)
        _validator_path(part).unlink(missing_ok=True)
        return _fetch_resumable(url, part, progress, page)

    try:
        try:
            response = urllib.request.urlopen(request, timeout=60)
        except urllib.error.HTTPError as exc:
            if exc.code != 416 or not offset:
                raise
            total = _content_range_total(exc.headers.get("Content-Range"))
            exc.close()
            if total == offset:       # the .part already holds the whole file
                return
            return start_over()       # .part does not match the remote file
        with response:
            status = getattr(response, "status", None)
            length = response.headers.get("Content-Length")
            length = int(length) if length and length.isdigit() else None
            now = _validator_of(response.headers)
            if offset and status == 206:
                start = re.match(r"bytes\s+(\d+)-", response.headers.get("Content-Range", ""))
                if not start or int(start.group(1)) != offset:
                    raise urllib.error.URLError(f"server answered Range bytes={offset}- with Content-Range "
                                                f"{response.headers.get('Content-Range')!r}")
                changed = [k for k in ("etag", "last_modified", "total") if meta.get(k) and now[k]
                           and meta[k] != now[k]]
                if changed:           # a server that ignored If-Range: the file changed since part was started
                    response.close()
                    return start_over()
                mode = "ab"
            else:                     # 200 (Range ignored, or If-Range: the file changed) or file:// URL
                offset, mode = 0, "wb"
                part.unlink(missing_ok=True)      # never pair a new validator with old bytes
                write_bytes_atomic(_validator_path(part), json.dumps(now).encode())
            total = offset + length if length is not None else None
            read = getattr(response, "read1", response.read)   # what has arrived: progress survives a kill
            with part.open(mode) as out, progress_bar(total=total, initial=offset, unit="B", unit_scale=True,
                                              desc=f"download {part.name[:-5]}", disable=not progress) as bar:
                for chunk in iter(lambda: read(_CHUNK), b""):
                    out.write(chunk)
                    written += len(chunk)
                    bar.update(len(chunk))
            if length is not None and written < length:
                raise ConnectionError(f"connection closed after {written} of {length} bytes")
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as exc:
        if isinstance(exc, urllib.error.HTTPError) and exc.code in (403, 404, 410):
            check = f"Check the URL on {page}." if page else "Check the URL."
            raise RuntimeError(f"download of {url} failed: HTTP {exc.code} {exc.reason}. {check}") from exc
        raise interrupted(exc) from exc
