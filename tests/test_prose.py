"""Prose and run together: what the committed notebooks' markdown says is what their outputs print.

* Every number with two or more significant digits in a markdown cell appears in that notebook's outputs (or in
  the code that ran), or is marked as a quoted external fact in the same cell: ``<!-- quoted: 95.5 1,384 -->``
  (the paper's, a dataset's, an architecture's). Years of citations ("Shi et al. 2015") count as quoted.
* Every "exercise N" a notebook mentions exists in the exercises it points at.
* Every exercise that sets a parameter (`` `NAME = value` ``) names a parameter of its notebook, with a value
  of the default's kind.
* A verdict word in prose ("inflates", "helps", ...) agrees with the ``stats.verdict`` line the run printed
  for that metric (the table :data:`CLAIMS`).
"""
import ast
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = {p.name[:2]: p for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))}

_NUMBER = re.compile(r"(?<![\w.,])[-−+]?\d(?:\d|,(?=\d{3}))*(?:\.\d+)?")
_QUOTED = re.compile(r"<!--\s*quoted:(.*?)-->", re.S)
_CITATION_YEAR = re.compile(r"et al\.?,?\s+(?:\(?)(?:19|20)\d\d[a-z]?")


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text())["cells"]


def _strip_markdown(text: str) -> str:
    """The prose a reader reads as claims: no code, comments, link targets, addresses or version strings."""
    for pattern, flags in ((r"```.*?```", re.S), (r"`[^`]*`", 0), (r"<!--.*?-->", re.S), (r"\]\([^)]*\)", 0),
                           (r"https?://\S+", 0), (r"\d+(?:\.\d+){2,}", 0), (r"arXiv[: ]*\d{4}\.\d{4,5}", re.I)):
        text = re.sub(pattern, " ", text, flags=flags)
    return _CITATION_YEAR.sub(" ", text)


def _significant_digits(token: str) -> int:
    return len(token.lstrip("-−+").replace(",", "").replace(".", "").lstrip("0"))


def _normal(token: str) -> str:
    return token.replace("−", "-").lstrip("+").replace(",", "")


def _ran(cells: list[dict]) -> set[str]:
    """Every number in the code that ran and in what it printed or displayed."""
    texts = []
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        texts.append("".join(cell["source"]))
        for out in cell.get("outputs", []):
            texts.append("".join(out.get("text", "")))
            texts += ["".join(v) for k, v in out.get("data", {}).items() if k.startswith("text/")]
    return {_normal(t) for t in _NUMBER.findall("\n".join(texts))}


def unsupported_numbers(cells: list[dict]) -> list[tuple[int, str]]:
    """(cell index, number) for every prose number that the run did not print and the cell does not quote."""
    ran = _ran(cells)
    missing = []
    for i, cell in enumerate(cells):
        if cell["cell_type"] != "markdown":
            continue
        source = "".join(cell["source"])
        quoted = {_normal(t) for q in _QUOTED.findall(source) for t in _NUMBER.findall(q)}
        for token in _NUMBER.findall(_strip_markdown(source)):
            n = _normal(token)
            if _significant_digits(token) < 2 or n in quoted or n.lstrip("-") in quoted:
                continue
            signed = token[0] in "-−"
            if n in ran or (not signed and "-" + n in ran):
                continue
            missing.append((i, token))
    return missing


@pytest.mark.parametrize("key", sorted(NOTEBOOKS))
def test_every_number_in_the_prose_is_printed_by_the_run_or_quoted(key):
    missing = unsupported_numbers(_cells(NOTEBOOKS[key]))
    assert not missing, (f"{NOTEBOOKS[key].name}: numbers in markdown that no output prints "
                         f"(fix the sentence, print the number, or mark it <!-- quoted: ... -->): {missing}")


def test_a_planted_wrong_number_is_caught():
    cells = _cells(NOTEBOOKS["03"])
    assert not unsupported_numbers(cells)
    planted = [dict(c) for c in cells]
    i = next(i for i, c in enumerate(planted) if c["cell_type"] == "markdown" and "leak" in "".join(c["source"]))
    planted[i] = {**planted[i], "source": ["The leak inflates accuracy by 98.765 points."]}
    assert unsupported_numbers(planted) == [(i, "98.765")]
    planted[i] = {**planted[i], "source": ["The paper reports 98.765%. <!-- quoted: 98.765 (a planted quote) -->"]}
    assert not unsupported_numbers(planted)
    # a sign is part of the number: a printed -2.3 does not support a written +2.3's opposite
    planted[i] = {**planted[i], "source": ["A change of −1234.5 points."]}
    assert unsupported_numbers(planted) == [(i, "−1234.5")]


def _exercises(key: str) -> dict[int, str]:
    """Exercise number → its text, from the notebook's exercises paragraph or section."""
    text = "\n".join("".join(c["source"]) for c in _cells(NOTEBOOKS[key]) if c["cell_type"] == "markdown")
    start = re.search(r"\*\*Exercises?\.\*\*|^## Exercises", text, re.M)
    assert start, f"notebook {key} has no exercises"
    body = re.sub(r"```.*?```", " ", text[start.end():], flags=re.S)   # code to type, not parameters to set
    numbered = list(re.finditer(r"(?:^|\s)\((\d)\)\s|^(\d)\.\s", body, re.M))
    if not numbered:
        return {1: body}
    ends = [m.start() for m in numbered[1:]] + [len(body)]
    return {int(m.group(1) or m.group(2)): body[m.end():end] for m, end in zip(numbered, ends)}


def test_every_exercise_reference_resolves():
    refs = []
    for key, path in NOTEBOOKS.items():
        for cell in _cells(path):
            if cell["cell_type"] != "markdown":
                continue
            src = "".join(cell["source"])
            for m in re.finditer(r"(?:notebook (\d\d), )?[Ee]xercises? (\d)(?: and (\d))?", src):
                refs += [(key, m.group(1) or key, int(n)) for n in m.group(2, 3) if n]
    assert refs, "no exercise references found: the pattern is wrong"
    bad = [(where, target, n) for where, target, n in refs if n not in _exercises(target)]
    assert not bad, f"(notebook, points at notebook, exercise) that does not exist: {bad}"


def _declared(key: str) -> dict:
    cell = next(c for c in _cells(NOTEBOOKS[key]) if "parameters" in c.get("metadata", {}).get("tags", []))
    scope: dict = {}
    exec("".join(cell["source"]), {}, scope)
    return scope


def _parameter_changes(text: str) -> dict:
    """An exercise's `` `NAME = value` `` changes, values read as Python literals."""
    return {name: ast.literal_eval(value) for name, value in re.findall(r"`([A-Z][A-Z0-9_]+)\s*=\s*([^`]+)`", text)}


def test_every_exercise_parameter_is_declared_with_a_value_of_its_kind():
    checked = 0
    for key in NOTEBOOKS:
        declared = _declared(key)
        for n, text in _exercises(key).items():
            for name, new in _parameter_changes(text).items():
                assert name in declared, f"notebook {key}, exercise {n}: {name} is not one of its parameters"
                old = declared[name]
                if old is not None and new is not None:
                    kinds = (list, tuple) if isinstance(old, (list, tuple)) else type(old)
                    assert isinstance(new, kinds), f"notebook {key}, exercise {n}: {name} = {new!r} vs {old!r}"
                checked += 1
    assert checked >= 8


#: (notebook, the printed verdict line's start, a prose pattern naming that metric, {verdict: words that agree})
CLAIMS = [
    ("03", "leakage: the leaky protocol", r"leak[^.]*?(inflates|no measurable difference|lowers)",
     {"inflates": {"inflates"}, "no measurable difference": {"no measurable difference"}, "lowers": {"lowers"}}),
    ("05", "memory, one step ahead", r"use its memory, one step ahead\?\s*(\w+)",
     {"helps": {"Yes"}, "no measurable difference": {"Not", "No"}, "hurts": {"No"}}),
]


def _printed_verdict(key: str, start: str) -> str:
    for cell in _cells(NOTEBOOKS[key]):
        for out in cell.get("outputs", []):
            text = " ".join("".join(out.get("text", "")).split())
            if start in text:
                line = text[text.index(start):]
                for verdict in ("no measurable difference", "inflates", "lowers", "helps", "hurts", "beats"):
                    if verdict in line[:160]:
                        return verdict
    raise AssertionError(f"notebook {key} prints no verdict line starting {start!r}")


@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: f"{c[0]}: {c[1]}")
def test_verdict_words_in_prose_agree_with_the_printed_verdict(claim):
    key, start, pattern, agree = claim
    verdict = _printed_verdict(key, start)
    prose = "\n".join(" ".join("".join(c["source"]).split()) for c in _cells(NOTEBOOKS[key])
                      if c["cell_type"] == "markdown")
    said = [m.group(1) for m in re.finditer(pattern, prose)]
    wrong = [w for w in said if w not in agree[verdict]]
    assert not wrong, f"notebook {key}: the run says {verdict!r} but the prose says {wrong}"


@pytest.mark.parametrize("key", sorted(NOTEBOOKS))
def test_what_we_learned_comes_with_the_numbers_of_its_run(key):
    """Each notebook's "What we learned" is followed by a cell that shows this run's numbers from its metrics."""
    cells = _cells(NOTEBOOKS[key])
    at = [i for i, c in enumerate(cells)
          if c["cell_type"] == "markdown" and "## What we learned" in "".join(c["source"])]
    assert len(at) == 1, f"{key}: one 'What we learned' section"
    numbers = cells[at[0] + 1]
    assert numbers["cell_type"] == "code" and "viz.in_numbers(" in "".join(numbers["source"]), \
        f"{key}: 'What we learned' must be followed by its viz.in_numbers(...) cell"
    shown = "".join("".join(o.get("data", {}).get("text/markdown", "")) for o in numbers.get("outputs", []))
    assert len(_NUMBER.findall(shown)) >= 3, f"{key}: the numbers cell shows no numbers — run the notebook"


def test_every_exercise_parameter_change_goes_through_the_params_reader_into_its_notebook(tmp_path):
    """Each exercise's `NAME = value`, written over the smoke parameters, is accepted by the params reader and
    injected into its notebook by the runner (``--prepare-only``: no execution, which would take minutes)."""
    import yaml

    from scripts import run_notebooks

    base = yaml.safe_load((ROOT / "params" / "smoke.yaml").read_text())
    tried = 0
    for key, path in NOTEBOOKS.items():
        for n, text in _exercises(key).items():
            changes = _parameter_changes(text)
            if not changes:
                continue
            params = tmp_path / f"{key}-ex{n}.yaml"
            params.write_text(yaml.safe_dump({**base, **changes}))
            out = tmp_path / f"{key}-ex{n}"
            assert run_notebooks.main(["--params", str(params), "--prepare-only", "--output-dir", str(out),
                                       str(path)]) == 0
            injected = next(c for c in _cells(out / path.name)
                            if "injected-parameters" in c.get("metadata", {}).get("tags", []))
            scope: dict = {}
            exec("".join(injected["source"]), {}, scope)
            for name, value in changes.items():
                assert scope[name] == value, f"notebook {key}, exercise {n}: {name} was injected as {scope[name]!r}"
            tried += 1
    assert tried >= 6
