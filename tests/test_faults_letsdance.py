"""Fault injection on the Let's Dance route: a real subprocess is killed (SIGKILL) part-way through a download
or an archive extraction, the same job is run again, and the result must equal an uninterrupted run."""
from __future__ import annotations

import hashlib
import http.server
import os
import re
import signal
import subprocess
import sys
import tarfile
import textwrap
import threading
import time
from pathlib import Path

import pytest

from choreo_utils import datasets, synthetic

pytestmark = [pytest.mark.slow, pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")]


def _start(code: str, root: Path) -> subprocess.Popen:
    env = {**os.environ, "CHOREO_ROOT": str(root)}
    env.pop("CHOREO_SMOKE", None)
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _run(code: str, root: Path) -> str:
    proc = _start(code, root)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    return out


def _kill_when(proc: subprocess.Popen, ready, timeout: float = 60) -> None:
    """SIGKILL ``proc`` as soon as ``ready()`` is true (it must still be running then)."""
    deadline = time.monotonic() + timeout
    while not ready():
        assert proc.poll() is None, f"finished before it could be interrupted: {proc.communicate()}"
        assert time.monotonic() < deadline, "the job made no progress"
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# ------------------------------------------------------------------ download


class _SlowHandler(http.server.BaseHTTPRequestHandler):
    """Serves ``server.payload`` with an ETag, honouring ``Range`` and ``If-Range``, ``server.step`` bytes per
    ``server.delay`` seconds."""

    def log_message(self, *args):
        pass

    def do_GET(self):
        srv, data = self.server, self.server.payload
        srv.requests.append((self.headers.get("Range"), self.headers.get("If-Range")))
        match = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range") or "")
        if match and self.headers.get("If-Range") in (None, srv.etag):
            start = int(match.group(1))
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            start = 0
            self.send_response(200)
        self.send_header("ETag", srv.etag)
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        try:
            for i in range(start, len(data), srv.step):
                self.wfile.write(data[i:i + srv.step])
                self.wfile.flush()
                time.sleep(srv.delay)
        except (BrokenPipeError, ConnectionResetError):      # the client was killed
            pass


@pytest.fixture
def slow_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _SlowHandler)
    server.daemon_threads = True
    server.payload, server.etag, server.step, server.delay, server.requests = b"", '"a1"', 32 << 10, 0.02, []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_download_killed_mid_way_resumes_to_the_same_bytes(slow_server, tmp_path):
    data = os.urandom(3 << 20)
    digest = hashlib.sha256(data).hexdigest()
    slow_server.payload = data
    url = f"http://127.0.0.1:{slow_server.server_address[1]}/rgb.tar.gz"
    dest = tmp_path / "data" / "rgb.tar.gz"
    part = dest.with_name("rgb.tar.gz.part")
    job = f"""
        from choreo_utils import letsdance
        letsdance.download({url!r}, {str(dest)!r}, sha256={digest!r}, progress=False)
        print("done")
    """
    proc = _start(job, tmp_path)
    _kill_when(proc, lambda: part.is_file() and part.stat().st_size >= 512 << 10)
    killed_at = part.stat().st_size
    assert 0 < killed_at < len(data) and not dest.exists()

    slow_server.delay = 0                                   # the rerun need not be slow
    assert _run(job, tmp_path).strip() == "done"
    assert dest.read_bytes() == data                         # nothing lost, nothing duplicated
    assert (tmp_path / "data" / "rgb.tar.gz.sha256").read_text() == f"{digest}  rgb.tar.gz\n"
    assert slow_server.requests[0] == (None, None)
    assert slow_server.requests[1] == (f"bytes={killed_at}-", '"a1"')   # resumed where it stopped
    assert sorted(p.name for p in dest.parent.iterdir()) == ["rgb.tar.gz", "rgb.tar.gz.sha256"]


# ------------------------------------------------------------------ extraction


def _letsdance_archive(tmp_path: Path) -> Path:
    """rgb.tar.gz in the Let's Dance layout, as tests/test_real_data_route.py builds it (smaller)."""
    src = synthetic.generate_dataset(tmp_path / "src", videos_per_genre=1, frames_per_video=8, size=(32, 48),
                                     seed=11, progress=False, workers=1)
    archive = tmp_path / "shared" / "rgb.tar.gz"
    archive.parent.mkdir()
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(src / "rgb", arcname="rgb")
    return archive


def test_extraction_killed_mid_way_resumes_to_the_same_files(tmp_path):
    archive = _letsdance_archive(tmp_path)
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    n_frames = sum(m.isfile() for m in tarfile.open(archive))
    job = """
        import shutil, sys, time
        from choreo_utils import datasets
        if "slow" in sys.argv:                      # slow each frame down so the kill lands mid-extraction
            copy = shutil.copyfileobj
            shutil.copyfileobj = lambda *a, **k: (time.sleep(0.03), copy(*a, **k))
        index = datasets.load_frame_index("letsdance", letsdance_archive={archive!r}, sha256={digest!r},
                                          progress=False)
        print(len(index))
    """.format(archive=str(archive), digest=digest)
    interrupted = tmp_path / "interrupted"
    rgb = interrupted / "data" / "letsdance" / "rgb"
    proc = _start(job.replace('"slow" in sys.argv', "True"), interrupted)
    _kill_when(proc, lambda: rgb.is_dir() and sum(1 for p in rgb.rglob("*.jpg")) >= 20)
    partial = sum(1 for _ in rgb.rglob("*.jpg"))
    assert 20 <= partial < n_frames

    out = _run(job, interrupted)
    assert "resuming the extraction of data/letsdance" in out and out.splitlines()[-1] == str(n_frames)

    clean = tmp_path / "clean"
    assert _run(job, clean).splitlines()[-1] == str(n_frames)
    got, want = _tree(interrupted / "data" / "letsdance"), _tree(clean / "data" / "letsdance")
    assert got == want                                      # same files, same bytes, same completion record
    assert len([f for f in got if f.endswith(".jpg")]) == n_frames

    index = datasets.load_frame_index("letsdance", letsdance_root=interrupted / "data" / "letsdance")
    assert len(index) == n_frames and index["path"].map(lambda p: Path(p).name).is_unique
