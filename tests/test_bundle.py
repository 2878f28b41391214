"""choreo_utils.bundle: the one way a model folder is saved and loaded, and its errors."""
import json

import keras
import numpy as np
import pytest

from choreo_utils import bundle


def _model():
    inp = keras.Input((3,))
    return keras.Model(inp, keras.layers.Dense(2, name="d")(inp))


def test_a_bundle_round_trips_and_replaces_the_old_folder_whole(tmp_path):
    m = _model()
    folder = bundle.save(tmp_path / "b", {"net": m}, {"note": 1}, "about.json")
    models, about = bundle.load(folder, ["net"], "about.json", what="test bundle", missing="make one", fix="redo")
    assert about == {"note": 1} and sorted(p.name for p in folder.iterdir()) == ["about.json", "net.keras"]
    x = np.ones((1, 3), np.float32)
    np.testing.assert_allclose(models["net"](x), m(x))
    bundle.save(folder, {"other": m}, {"note": 2}, "about.json")            # a new bundle replaces it whole
    assert sorted(p.name for p in folder.iterdir()) == ["about.json", "other.keras"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]      # no temporary left behind


def test_a_failed_save_leaves_the_previous_bundle(tmp_path):
    folder = bundle.save(tmp_path / "b", {"net": _model()}, {"note": 1}, "about.json")

    def boom(tmp):
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        bundle.save(folder, {"net": _model()}, {"note": 2}, "about.json", extra=boom)
    assert json.loads((folder / "about.json").read_text()) == {"note": 1}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_missing_truncated_and_foreign_files_name_the_folder_and_the_fix(tmp_path):
    folder = bundle.save(tmp_path / "b", {"net": _model()}, {"note": 1}, "about.json")
    kw = dict(what="saved test model", missing="run notebook 99", fix=f"delete {folder} and run notebook 99")
    with pytest.raises(FileNotFoundError, match=r"holds no saved test model \(net.keras \+ about.json\): run notebook"):
        bundle.load(tmp_path / "nothing", ["net"], "about.json", **kw)
    data = (folder / "net.keras").read_bytes()
    (folder / "net.keras").write_bytes(data[: len(data) // 3])              # truncated
    with pytest.raises(bundle.BundleError, match=r"net.keras \(saved test model\) cannot be loaded .*run notebook 99"):
        bundle.load(folder, ["net"], "about.json", **kw)
    (folder / "net.keras").write_bytes(b"not a zip at all")                 # foreign
    with pytest.raises(bundle.BundleError, match="cannot be loaded"):
        bundle.load(folder, ["net"], "about.json", **kw)
    (folder / "about.json").write_text("{")                                  # description truncated
    with pytest.raises(ValueError, match=r"saved test model description\) is corrupt"):
        bundle.load(folder, ["net"], "about.json", **kw)


def test_weights_digest_sees_every_weight_its_shape_and_dtype():
    def tiny(seed):
        keras.utils.set_random_seed(seed)
        return keras.Sequential([keras.Input((3,)), keras.layers.Dense(2), keras.layers.BatchNormalization()])

    a, b = tiny(0), tiny(0)
    assert bundle.weights_digest(a) == bundle.weights_digest(b)            # same values, another object
    assert bundle.weights_digest(tiny(1)) != bundle.weights_digest(a)      # another initialisation
    w = b.get_weights()
    w[-1] = w[-1] + 1.0                                                    # BatchNorm's moving variance only
    b.set_weights(w)
    assert bundle.weights_digest(b) != bundle.weights_digest(a)

    class Arrays:                                                          # what weights_digest reads of a model
        def __init__(self, *arrays):
            self.arrays = arrays

        def get_weights(self):
            return list(self.arrays)

    zeros = np.zeros(6, np.float32)
    assert bundle.weights_digest(Arrays(zeros.reshape(2, 3))) != bundle.weights_digest(Arrays(zeros.reshape(3, 2)))
    assert bundle.weights_digest(Arrays(zeros)) != bundle.weights_digest(Arrays(zeros.astype(np.float64)[:3]))
