"""The package's layer contract (DESIGN §2), checked over the AST so that function-level imports count too.

Every module of ``choreo_utils`` has a layer; a module may import its own layer or lower ones, never a higher
one; modules of one layer import each other without cycles; no private name (``_x``) crosses a module boundary.
:data:`KNOWN` would list an import allowed to break the contract for now, with what removes it: the test fails
when a new break appears *and* when a listed one is gone, so such a list can only shrink. It is empty.
"""
from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "choreo_utils"

#: Layer of each top-level module or subpackage (0 lowest). The package root re-exports (top).
LAYERS: dict[str, int] = {
    # 0 base: paths, seeding, argument checks, atomic files, bars, parameter files, intervals, timing
    "config": 0, "runtime": 0, "checks": 0, "io_utils": 0, "bundle": 0, "progress": 0, "params": 0, "stats": 0,
    "profiling": 0, "workers": 0,
    # 1 frames and data
    "video": 1, "download": 1, "letsdance": 1, "synthetic": 1, "datasets": 1, "clips": 1,
    # 2 backbones and features: what a built backbone is, the pretext CNN, the registry, extraction and cache —
    # and the fit contract (training): the pretext CNN is trained when its cached weights are missing, so the one
    # way every model of the package is fitted sits here, below the classifier and the predictor that use it too
    "extractor": 2, "pretext": 2, "backbones": 2, "features": 2, "weights": 2, "training": 2,
    # 3 models and studies
    "classifier": 3, "towers": 3, "sweep": 3, "tuning": 3, "prediction": 3, "choreography": 3,
    # 4 orchestration; the tuning command line (python -m choreo_utils.tuning) exports features through pipeline
    "pipeline": 4, "viz": 4, "widgets": 4, "tuning.cli": 4, "tuning.__main__": 4,
    # the package root: re-exports for notebooks
    "": 5,
}

#: Imports that break the contract: (importer, imported) → what removes it. Empty: keep it so.
KNOWN: dict[tuple[str, str], str] = {}
#: Private names imported across modules today: (importer, imported module, name) → what removes it.
KNOWN_PRIVATE: dict[tuple[str, str, str], str] = {}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _unit(module: str) -> str:
    """The top-level module or subpackage a dotted name belongs to ("" for the package root), or the submodule
    itself where :data:`LAYERS` gives it a layer of its own."""
    parts = module.split(".")
    if ".".join(parts[1:3]) in LAYERS:
        return ".".join(parts[1:3])
    return parts[1] if len(parts) > 1 else ""


def _runtime_nodes(tree: ast.AST):
    """Every node of ``tree`` except those under ``if TYPE_CHECKING:`` (imports for type hints only, which never
    run: import-linter's ``exclude_type_checking_imports``)."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and isinstance(child.test, ast.Name) and child.test.id == "TYPE_CHECKING":
                todo.extend(child.orelse)
                continue
            todo.append(child)


def _imports() -> tuple[set[tuple[str, str]], set[tuple[str, str, str]]]:
    """(importer unit, imported unit) pairs across units, and private names imported across units."""
    edges, private = set(), set()
    for path in PACKAGE.rglob("*.py"):
        here = _unit(_module_name(path))
        for node in _runtime_nodes(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "choreo_utils":
                for alias in node.names:
                    target = _unit(node.module) if node.module != "choreo_utils" else alias.name
                    target = target if target in LAYERS else ""
                    if target != here:
                        edges.add((here, target))
                        if alias.name.startswith("_") and not alias.name.startswith("__"):
                            private.add((here, target, alias.name))
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == "choreo_utils" and _unit(alias.name) != here:
                        edges.add((here, _unit(alias.name)))
            elif isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__") \
                    and isinstance(node.value, ast.Name) and node.value.id in LAYERS and node.value.id != here:
                private.add((here, node.value.id, node.attr))      # features._size(...) after `import features`
    return edges, private


def _breaks(edges: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Upward imports, and same-layer imports that lie on a cycle."""
    upward = {(a, b) for a, b in edges if LAYERS[b] > LAYERS[a]}
    graph = defaultdict(set)
    for a, b in edges:
        graph[a].add(b)

    def reaches(start: str, goal: str) -> bool:
        seen, todo = set(), [start]
        while todo:
            node = todo.pop()
            if node == goal:
                return True
            if node not in seen:
                seen.add(node)
                todo.extend(graph[node])
        return False

    cyclic = {(a, b) for a, b in edges if LAYERS[a] == LAYERS[b] and reaches(b, a)}
    return upward | cyclic


def test_every_module_has_a_layer():
    units = {_unit(_module_name(p)) for p in PACKAGE.rglob("*.py")}
    assert units <= set(LAYERS), f"give these modules a layer in LAYERS (and DESIGN §2): {sorted(units - set(LAYERS))}"


def test_no_upward_import_and_no_cycle_beyond_the_known_ones():
    breaks = _breaks(_imports()[0])
    new = sorted(breaks - set(KNOWN))
    gone = sorted(set(KNOWN) - breaks)
    assert not new, f"imports that break the layer contract (import down, or move the code): {new}"
    assert not gone, f"these known breaks are fixed: delete them from KNOWN: {gone}"


def test_no_private_name_crosses_a_module_boundary_beyond_the_known_ones():
    private = _imports()[1]
    assert not sorted(private - set(KNOWN_PRIVATE)), "make the name public (or move the code that needs it)"
    assert not sorted(set(KNOWN_PRIVATE) - private), "these are fixed: delete them from KNOWN_PRIVATE"


@pytest.mark.parametrize("edges, expected", [
    ({("video", "features")}, {("video", "features")}),                 # upward
    ({("features", "pretext"), ("pretext", "features")},                # a same-layer cycle, both arrows
     {("features", "pretext"), ("pretext", "features")}),
    ({("classifier", "training"), ("pipeline", "classifier")}, set()),  # same layer without a cycle, and down
])
def test_the_contract_check_catches_what_it_names(edges, expected):
    assert _breaks(edges) == expected


def test_no_module_over_400_lines():
    """One job per module: a module that grows past 400 lines is split by job (as genre_eval and features were)."""
    long = {str(p.relative_to(PACKAGE.parent)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400}
    assert not long, f"split these modules by job: {long}"
