"""Tests for choreo_utils.download: local copies, file:// and a local HTTP server; nothing touches the network."""
from __future__ import annotations

import hashlib
import http.server
import os
import re
import threading
from pathlib import Path

import pytest

from choreo_utils import download


def _touch(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_sha256sum(tmp_path):
    data = os.urandom(3 << 20)
    path = _touch(tmp_path / "blob", data)
    assert download.sha256sum(path) == _sha(data)


def test_download_local_path(tmp_path):
    data = os.urandom(10_000)
    src = _touch(tmp_path / "src" / "rgb.tar.gz", data)
    dest = tmp_path / "data" / "rgb.tar.gz"
    assert download.download(src, dest, sha256=_sha(data), progress=False) == dest
    assert dest.read_bytes() == data
    assert (tmp_path / "data" / "rgb.tar.gz.sha256").read_text() == f"{_sha(data)}  rgb.tar.gz\n"
    # dest is its own source: nothing copied, record verified
    assert download.download(dest, dest, progress=False) == dest
    # corrupting the file is caught by the record
    dest.write_bytes(data[:-1] + b"!")
    with pytest.raises(ValueError, match="corrupt"):
        download.download(src, dest, progress=False)


def test_download_file_url_and_record_check(tmp_path):
    data = os.urandom(50_000)
    src = _touch(tmp_path / "src.bin", data)
    dest = tmp_path / "dl" / "rgb.tar.gz"
    download.download(src.as_uri(), dest, progress=False)
    assert dest.read_bytes() == data
    assert (dest.parent / "rgb.tar.gz.sha256").read_text().split()[0] == _sha(data)
    assert not (dest.parent / "rgb.tar.gz.part").exists()
    # a second call verifies and returns without fetching (the source is gone)
    src.unlink()
    assert download.download(src.as_uri(), dest, sha256=_sha(data), progress=False) == dest
    with pytest.raises(ValueError, match="recorded with SHA-256"):
        download.download(src.as_uri(), dest, sha256="0" * 64, progress=False)


def test_download_mismatch_leaves_no_file_at_dest(tmp_path):
    data = os.urandom(5_000)
    src = _touch(tmp_path / "src.bin", data)
    for i, source in enumerate((src.as_uri(), src)):
        dest = tmp_path / f"dl{i}" / "rgb.tar.gz"
        with pytest.raises(ValueError, match=f"expected {'0' * 64}, got {_sha(data)}"):
            download.download(source, dest, sha256="0" * 64, progress=False)
        assert not dest.exists() and not (dest.parent / "rgb.tar.gz.sha256").exists()
        assert not (dest.parent / "rgb.tar.gz.part").exists()


def test_error_messages_point_to_the_page_when_given(tmp_path):
    with pytest.raises(FileNotFoundError) as err:
        download.download(tmp_path / "nope.bin", tmp_path / "d.bin", progress=False)
    assert str(err.value).endswith("neither an existing file nor an http/https/file URL")
    with pytest.raises(FileNotFoundError, match=r"URL; get data.zip via https://example.org/data and pass its URL"):
        download.download(tmp_path / "nope.bin", tmp_path / "d.bin", progress=False, name="data.zip",
                          page="https://example.org/data")
    with pytest.raises(FileNotFoundError, match=r"get d.bin via https://example.org/data"):   # name: dest's
        download.download(tmp_path / "nope.bin", tmp_path / "d.bin", progress=False, page="https://example.org/data")


def test_download_bad_arguments(tmp_path):
    with pytest.raises(FileNotFoundError, match="neither an existing file"):
        download.download(tmp_path / "nope.tar.gz", tmp_path / "d", progress=False)
    with pytest.raises(ValueError, match="unsupported URL scheme"):
        download.download("ftp://example.invalid/rgb.tar.gz", tmp_path / "d", progress=False)
    with pytest.raises(ValueError, match="64-character"):
        download.download(tmp_path / "nope", tmp_path / "d", sha256="abc", progress=False)


class _RangeHandler(http.server.BaseHTTPRequestHandler):
    """Serves ``server.payload``; honours ``Range: bytes=N-`` unless ``server.ignore_range``;
    sends only ``server.cut_after`` body bytes (then hangs up) when that is set; answers 404 when
    ``server.not_found``."""

    timeout = 5

    def log_message(self, *args):  # keep pytest output clean
        pass

    def do_GET(self):
        srv = self.server
        srv.ranges.append(self.headers.get("Range"))
        srv.if_ranges.append(self.headers.get("If-Range"))
        if srv.not_found:
            self.send_error(404)
            return
        data, start = srv.payload, 0
        match = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range") or "")
        if_range = self.headers.get("If-Range")
        if if_range is not None and if_range != srv.etag and not srv.ignore_if_range:
            match = None                          # RFC 9110: validator changed, send the whole new file
        if match and not srv.ignore_range:
            start = int(match.group(1))
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        if srv.etag:
            self.send_header("ETag", srv.etag)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if srv.cut_after is not None:
            body = body[: srv.cut_after]
            self.close_connection = True
        self.wfile.write(body)


@pytest.fixture
def http_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _RangeHandler)
    server.daemon_threads = True
    server.payload, server.ignore_range, server.cut_after, server.ranges = b"", False, None, []
    server.not_found, server.etag, server.if_ranges, server.ignore_if_range = False, None, [], False
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_download_http_resumes_from_part(http_server, tmp_path):
    data = os.urandom(200_000)
    http_server.payload = data
    url = f"http://127.0.0.1:{http_server.server_address[1]}/rgb.tar.gz"
    dest = tmp_path / "rgb.tar.gz"
    part = tmp_path / "rgb.tar.gz.part"

    http_server.cut_after = 70_000                       # the connection drops mid-way
    with pytest.raises(RuntimeError, match="is kept: re-run download") as err:
        download.download(url, dest, sha256=_sha(data), progress=False)
    assert str(part) in str(err.value)
    assert part.stat().st_size == 70_000 and not dest.exists()

    http_server.cut_after = None
    assert download.download(url, dest, sha256=_sha(data), progress=False) == dest
    assert http_server.ranges == [None, "bytes=70000-"]
    assert dest.read_bytes() == data and not part.exists()
    assert (tmp_path / "rgb.tar.gz.sha256").read_text() == f"{_sha(data)}  rgb.tar.gz\n"


def test_download_http_server_ignoring_range_restarts(http_server, tmp_path):
    data = os.urandom(100_000)
    http_server.payload, http_server.ignore_range = data, True
    url = f"http://127.0.0.1:{http_server.server_address[1]}/rgb.tar.gz"
    dest = tmp_path / "rgb.tar.gz"
    _touch(tmp_path / "rgb.tar.gz.part", b"stale bytes from another file")
    download.download(url, dest, progress=False)
    assert http_server.ranges == ["bytes=29-"]
    assert dest.read_bytes() == data


def test_download_http_complete_part_and_bad_hash(http_server, tmp_path):
    data = os.urandom(30_000)
    http_server.payload = data
    url = f"http://127.0.0.1:{http_server.server_address[1]}/rgb.tar.gz"
    dest = tmp_path / "rgb.tar.gz"
    _touch(tmp_path / "rgb.tar.gz.part", data)           # interrupted just before the rename
    with pytest.raises(ValueError, match="SHA-256 mismatch") as err:
        download.download(url, dest, sha256="f" * 64, progress=False)   # server answers 416
    assert "rgb.tar.gz.corrupt" in str(err.value)
    assert not dest.exists() and (tmp_path / "rgb.tar.gz.corrupt").read_bytes() == data


def test_download_network_error_keeps_part(http_server, tmp_path):
    url = f"http://127.0.0.1:{http_server.server_address[1]}/missing"
    http_server.shutdown()
    http_server.server_close()
    with pytest.raises(RuntimeError, match="re-run download"):
        download.download(url, tmp_path / "x.bin", progress=False)


def test_download_adopts_existing_dest_without_record(tmp_path):
    data = os.urandom(1_000)
    dest = _touch(tmp_path / "rgb.tar.gz", data)          # e.g. copied in by hand
    url = (tmp_path / "does-not-exist").as_uri()           # never fetched
    with pytest.raises(ValueError, match="corrupt"):
        download.download(url, dest, sha256="0" * 64, progress=False)
    assert download.download(url, dest, sha256=_sha(data), progress=False) == dest
    assert (tmp_path / "rgb.tar.gz.sha256").read_text().split()[0] == _sha(data)


def test_download_http_not_found_says_check_the_url(http_server, tmp_path):
    http_server.not_found = True
    url = f"http://127.0.0.1:{http_server.server_address[1]}/gone.bin"
    with pytest.raises(RuntimeError, match=r"HTTP 404 .*\. Check the URL\.$"):
        download.download(url, tmp_path / "gone.bin", progress=False)
    with pytest.raises(RuntimeError, match=r"HTTP 404 .*Check the URL on https://example.org/data\.$"):
        download.download(url, tmp_path / "gone.bin", progress=False, page="https://example.org/data")


def test_download_http_resume_sends_if_range_and_restarts_when_the_file_changed(http_server, tmp_path):
    old, new = os.urandom(120_000), os.urandom(150_000)
    http_server.payload, http_server.etag, http_server.cut_after = old, '"v1"', 50_000
    url = f"http://127.0.0.1:{http_server.server_address[1]}/rgb.tar.gz"
    dest = tmp_path / "rgb.tar.gz"
    with pytest.raises(RuntimeError, match="is kept"):
        download.download(url, dest, progress=False)
    assert (tmp_path / "rgb.tar.gz.part").stat().st_size == 50_000

    http_server.payload, http_server.etag, http_server.cut_after = new, '"v2"', None   # replaced on the server
    download.download(url, dest, sha256=_sha(new), progress=False)
    assert http_server.ranges == [None, "bytes=50000-"] and http_server.if_ranges == [None, '"v1"']
    assert dest.read_bytes() == new                          # not old[:50000] + new[50000:]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rgb.tar.gz", "rgb.tar.gz.sha256"]


def test_download_http_resume_with_unchanged_validator_appends(http_server, tmp_path):
    data = os.urandom(90_000)
    http_server.payload, http_server.etag, http_server.cut_after = data, '"same"', 30_000
    url = f"http://127.0.0.1:{http_server.server_address[1]}/f.bin"
    with pytest.raises(RuntimeError, match="is kept"):
        download.download(url, tmp_path / "f.bin", progress=False)
    http_server.cut_after = None
    download.download(url, tmp_path / "f.bin", sha256=_sha(data), progress=False)
    assert http_server.ranges == [None, "bytes=30000-"] and http_server.if_ranges == [None, '"same"']
    assert (tmp_path / "f.bin").read_bytes() == data


def test_download_http_server_ignoring_if_range_is_caught_by_the_etag(http_server, tmp_path):
    old, new = os.urandom(80_000), os.urandom(80_000)
    http_server.payload, http_server.etag, http_server.cut_after = old, '"v1"', 20_000
    url = f"http://127.0.0.1:{http_server.server_address[1]}/f.bin"
    with pytest.raises(RuntimeError, match="is kept"):
        download.download(url, tmp_path / "f.bin", progress=False)
    http_server.payload, http_server.etag, http_server.cut_after = new, '"v2"', None
    http_server.ignore_if_range = True                    # answers 206 with the new file's tail and ETag
    download.download(url, tmp_path / "f.bin", progress=False)
    assert http_server.ranges == [None, "bytes=20000-", None]   # saw the new ETag, started over
    assert (tmp_path / "f.bin").read_bytes() == new
