import json

import pytest

from choreo_utils import io_utils


def test_read_json_round_trips_what_write_json_wrote(tmp_path):
    path = io_utils.write_json(tmp_path / "meta.json", {"a": 1, "b": [1, 2]})
    assert io_utils.read_json(path, what="test metadata", required=("a",)) == {"a": 1, "b": [1, 2]}
    assert not list(tmp_path.glob(".*.part"))               # no temporary file left behind


@pytest.mark.parametrize("content, reason", [
    (b'{"key": {"version": 3', "JSONDecodeError"),         # truncated mid-write
    (b"", "JSONDecodeError"),                                # empty
    (b"\xff\xfe\x00garbage", "Error"),                       # binary junk
    (b"[1, 2, 3]", "expected a JSON object"),                # wrong shape
    (b'{"other": 1}', "missing 'key'"),                      # a required field missing
])
def test_corrupt_json_names_the_file_and_what_to_do(tmp_path, content, reason):
    path = tmp_path / "meta.json"
    path.write_bytes(content)
    with pytest.raises(io_utils.CorruptFileError) as err:
        io_utils.read_json(path, what="feature-cache metadata", fix=f"delete the folder {tmp_path} and run again",
                           required=("key",))
    msg = str(err.value)
    assert str(path) in msg and "feature-cache metadata" in msg and "is corrupt" in msg and reason in msg
    assert f"delete the folder {tmp_path} and run again" in msg
    assert isinstance(err.value, ValueError)


def test_missing_json_is_file_not_found_naming_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.json"):
        io_utils.read_json(tmp_path / "nope.json", what="manifest")


def test_write_json_replaces_atomically(tmp_path, monkeypatch):
    path = io_utils.write_json(tmp_path / "m.json", {"v": 1})

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(json, "dumps", boom)
    with pytest.raises(OSError):
        io_utils.write_json(path, {"v": 2})
    assert io_utils.read_json(path) == {"v": 1}
