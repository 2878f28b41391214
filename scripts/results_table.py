#!/usr/bin/env python
"""Write the README's "Results" table from the notebooks' metrics (``artifacts/metrics/*.json``).

``make figures`` runs it after the notebooks, so the numbers a newcomer reads on the front page are the ones
the last clean run produced — never typed in by hand. The table sits between two HTML comments in README.md::

    <!-- results:start -->  ...  <!-- results:end -->

Run it yourself with ``python scripts/results_table.py`` (``--check`` only reports whether README is current).
A notebook whose metrics file is missing gets a row saying which notebook to run.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from choreo_utils.config import metrics_path
from choreo_utils.io_utils import write_bytes_atomic

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- results:start -->", "<!-- results:end -->"
NOTEBOOK_TABLE = ("<!-- notebooks:start -->", "<!-- notebooks:end -->")
#: What the Colab estimate assumes a T4 GPU sustains on convolutions: a quarter of its 8.1 TFLOP/s float32 peak.
T4_EFFECTIVE_GFLOPS = 2000.0
NOTEBOOKS = ("01_dataset_prep", "02_feature_extraction", "03_classifier_training", "04_hyperband_tuning",
             "05_convlstm_prediction", "06_generated_motion", "07_choreographer")
TIMINGS = "run_notebooks"  # written by scripts/run_notebooks.py at the end of `make figures`


def load_metrics(metrics_dir: Path) -> dict[str, dict]:
    """``{notebook name: metrics}`` for every notebook whose metrics file exists."""
    return {name: json.loads((metrics_dir / f"{name}.json").read_text())
            for name in (*NOTEBOOKS, TIMINGS) if (metrics_dir / f"{name}.json").is_file()}


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _spent(d4: dict) -> str:
    """``", spent: hyperband 30–36, random 36"`` from notebook 04's per-tuner rows (empty if not recorded)."""
    rows = [r for r in d4.get("per_tuner_seed", []) if "epochs_spent" in r]
    if not rows:
        return ""
    parts = []
    for tuner in sorted({r["tuner"] for r in rows}):
        spent = sorted(int(r["epochs_spent"]) for r in rows if r["tuner"] == tuner)
        parts.append(f"{tuner} {spent[0]}" + (f"–{spent[-1]}" if spent[-1] != spent[0] else ""))
    return ", spent: " + ", ".join(parts)


def _missing(name: str) -> str:
    return f"*(run `notebooks/{name}.ipynb` to fill this in)*"


def render(m: dict[str, dict]) -> str:
    """The Markdown table (with its header and the "why they differ" paragraph) for the metrics ``m``."""
    rows: list[tuple[str, str, str]] = []
    d1, d2, d3, d4, d5, d6, d7 = (m.get(n) for n in NOTEBOOKS)
    if d1:
        data = (f"{d1['data_source']}: {d1['videos']:,} videos, {d1['youtube_ids']:,} YouTube ids, "
                f"{d1['genres']} genres, {d1['frames']:,} frames")
    else:
        data = _missing(NOTEBOOKS[0])
    rows.append(("Data", data, "Let's Dance: 1,384 videos, 16 genres (the report says 1,398)"))
    feats = f"{d2['extractor']}; {d2['extract_fps']:.0f} frames/s on this machine" if d2 else _missing(NOTEBOOKS[1])
    rows.append(("Features", feats, "InceptionV3, ImageNet weights, 2048-d"))
    if d3:
        c, g, seeds = d3["counts"], d3["grouped"], d3["seeds"]
        rows.append(("Split", f"grouped by YouTube id: test {c['test_videos']} videos / {c['test_clips']} clips; every "
                              f"comparison over {len(seeds)} seeds, paired on those videos, 95% intervals",
                     "clip-level shuffle 10:1 (leaky), one run"))
        acc = d3["accuracy"][f"{d3['main_features']} / BiLSTM"]
        sp = d3["splits"]["across"]
        rows.append((f"BiLSTM, Table I — test accuracy ({d3['main_features']} features)",
                     f"**{_pct(acc['mean'])} video** (95% CI {_pct(acc['low'])}–{_pct(acc['high'])}, "
                     f"{acc['n_seeds']} seeds); seed {d3['seed']}: {_pct(g['test_clip_accuracy'])} clip "
                     f"(loss {g['test_clip_loss']:.2f}), train {_pct(g['train_clip_accuracy'])}; over "
                     f"{sp['n_seeds']} grouped splits {_pct(sp['mean'])} (CI {_pct(sp['low'])}–{_pct(sp['high'])})",
                     "90.8% clip (loss 0.48); train 97%"))
        for key, o in d3["order"].items():
            feat, scope = key.split(" / ")
            rows.append((f"Does order help? BiLSTM vs best order-blind — {feat}, {scope}",
                         f"{_pct(o['bilstm'])} vs {_pct(o['order_blind_accuracy'])} ({o['best_order_blind']}): "
                         f"**{o['verdict']}**", "not measured"))
        leak = d3["leakage"]
        fractions = {k: v["test clips with a sibling in train"] for k, v in leak["table"].items()}
        rows.append(("Leakage: same test clips, same training size, siblings in train or not",
                     f"{leak['verdict']} ({_pct(fractions.get('leaky', float('nan')))} vs "
                     f"{_pct(fractions.get('grouped', float('nan')))} of test clips with a sibling in train)", "—"))
    else:
        rows.append(("BiLSTM, Table I — test accuracy", _missing(NOTEBOOKS[2]), "90.8% clip (loss 0.48); train 97%"))
    if d4:
        tv, bn, tu = d4["tuner_verdicts"], d4["bn_lag"], d4["tuned_vs_untuned"]
        seeds = len(d4["tune_seeds"])
        rows.append((f"Hyperband vs random search, same epoch budget ({seeds} seeds)",
                     f"averaged over the budget: **{tv['anytime']['verdict']}**; best at the end: "
                     f"{tv['final_best']['verdict']}. {'; '.join(d4['reach_sentences'])} (budget "
                     f"{d4['budget']['epochs']} epochs per search{_spent(d4)})",
                     "claimed faster (Fig 3), never compared"))
        rows.append(("Input-BatchNorm lag in short trials (momentum "
                     f"{bn['check_momentum']:g} vs {bn['momentum']:g})",
                     f"first-round trials: {bn['short_trial_verdict']}; the tuner verdict "
                     f"{'changes' if bn['verdict_changes'] else 'does not change'}", "not checked"))
        def _tuning(verdict: str) -> str:
            return f"tuning {verdict}" if verdict.startswith("makes") else verdict

        long = d4.get("tuned_vs_untuned_03_budget")
        rows.append((f"Tuned vs untuned — test video accuracy ({len(d4['final_seeds'])} seeds, same clips and epochs)",
                     f"{d4['final_epochs']} epochs at batch 128: {_tuning(tu['video_verdict'])}"
                     + (f"; notebook 03's budget (≤ {long['epochs_max']} epochs, batch {long['batch_size']}, early "
                        f"stopping): {_tuning(long['video_verdict'])}" if long else ""),
                     "95.5% vs 90.8% clip (leaky split)"))
    else:
        rows.append(("Hyperband vs random search", _missing(NOTEBOOKS[3]), "claimed faster (Fig 3), never compared"))
    if d5:
        one, leak, v = d5["one_step"], d5["causal_leak"], d5["verdicts"]
        keras_io = next((val for k, val in leak.items() if "keras-io" in k), float("nan"))
        rows.append((f"ConvLSTM next frame — held-out videos, one step ({len(d5['seeds'])} seeds)",
                     f"MSE {one['model']['mse']:.5f} vs copy-last-frame {one['copy_last']['mse']:.5f} vs linear "
                     f"extrapolation {one['linear']['mse']:.5f}: vs copy-last **{v['convlstm_vs_copy_last']}**; "
                     f"{d5['test_videos']} unseen videos, {d5['size'][0]}×{d5['size'][1]} grayscale",
                     "no held-out metric; trained with `y = x` (loss 0.4886)"))
        rows.append(("ConvLSTM — does its memory help? (same model, state reset every frame)",
                     f"one step: {v['memory']}; over rollouts: {v['rollout_memory']}", "not asked"))
        rows.append(("ConvLSTM — can frame t's output see frame t+1?",
                     f"ours {max(val for k, val in leak.items() if 'keras-io' not in k):.1g}; "
                     f"the keras-io / paper output layer {keras_io:.1e} (it sees the future)", "not checked"))
    else:
        rows.append(("ConvLSTM next frame", _missing(NOTEBOOKS[4]), "no held-out metric; trained with `y = x`"))
    rows.append(_generated_row(d6))
    rows.append(_choreographer_row(d7))

    run = m.get(TIMINGS)
    if run:
        secs = run["seconds"]
        per = " · ".join(f"{name[:2]} {s:.0f} s" for name, s in secs.items())
        rows.append((f"`make figures` wall time ({run['cpu_count']} CPU cores, {run['params']})",
                     f"{per} · **total {sum(secs.values()) / 60:.1f} min**", "—"))

    lines = ["| | ours | paper |", "|---|---|---|"] + [f"| {a} | {b} | {c} |" for a, b, c in rows]
    lines += ["", "Why they differ: the paper's test clips had siblings from the same videos in training (leakage), "
                  "its data are real YouTube videos, and its features come from ImageNet weights; ours are synthetic "
                  "dancers, an offline backbone pretrained on a synthetic pose task (no ImageNet weights), and a split "
                  "grouped by YouTube id. Every "
                  "number here is written by `scripts/results_table.py` from `artifacts/metrics/*.json`, which the "
                  "notebooks write under `make figures`."]
    return "\n".join(lines)


def _generated_row(d6: dict | None) -> tuple[str, str, str]:
    """Notebook 06's row: genre accuracy and Fréchet distance of the rollouts by horizon window, with the verdicts."""
    label = "Generated motion keeps its genre? ConvLSTM rollouts judged by a genre classifier of real motion"
    paper = "not measured (pixels only)"
    if not d6:
        return label, _missing(NOTEBOOKS[5]), paper
    horizons, acc, fr = d6["horizons"], d6["accuracy"], d6["frechet"]
    sources = ("real", "ConvLSTM", "copy-last", "linear")

    def series(values: list[dict], fmt) -> str:
        return " / ".join(fmt(v["mean"]) for v in values)

    def dist(x: float) -> str:
        return f"{x:,.0f}" if x >= 100 else f"{x:.1f}"

    accuracy = ", ".join(f"{s} {series(acc[s], _pct)}" for s in sources if s in acc)
    distance = ", ".join(f"{s} {series(fr['by_source'][s], dist)}" for s in sources[1:] if s in fr["by_source"])
    kept = d6["keeps_genre"]["kept"]
    keeps = f"up to horizon {d6['kept_up_to_horizon']}" if kept else f"in no window, not even horizons {horizons[0]}"
    at = max(kept, 1) - 1
    text = (f"genre accuracy at horizons {' / '.join(horizons)}: {accuracy} (chance {_pct(d6['chance'])}); the rollout "
            f"keeps its genre (as often as the real continuation, and above chance) **{keeps}**; at {horizons[at]}, "
            f"vs copy-last: **{d6['accuracy_verdicts']['vs_copy_last'][at]}**. Fréchet distance on the {fr['space']}: "
            f"{distance} vs the real-vs-real floor {series(fr['by_source']['real'], dist)}; at {horizons[at]}, vs "
            f"copy-last: {fr['verdicts']['copy-last'][at]}. Evaluated on {d6['counts']['eval_units']} YouTube ids "
            + ("notebook 05 never touched" if d6.get("videos_mode") == "unseen" else "of notebook 05's test split"))
    return f"{label} ({len(d6['seeds'])} seeds)", text, paper


def _choreographer_row(d7: dict | None) -> tuple[str, str, str]:
    """Notebook 07's row: recognition of generated pose windows by window vs real and the ablations, energy, FID
    against its floor, diversity, not-a-copy."""
    label = "Choreographer: genre-conditioned pose generation, 120 frames from 10, judged like ACTOR"
    paper = "future work (an encoder–decoder generator, joints instead of pixels, the classifier as judge)"
    if not d7:
        return label, _missing(NOTEBOOKS[6]), paper
    rows = {(r["source"], r["window"]): r for r in d7["table"]}
    wins = d7["windows"]

    def series(source: str, key: str, fmt) -> str:
        return " / ".join(fmt(rows[source, w][key]) for w in wins)

    def ratio(x: float) -> str:
        return f"{x:.2f}"

    met = [w for w in wins if d7["targets"][w]["recognition ≥ 0.9 × real"]]
    vs_tf = d7["verdicts"][wins[-1]]["teacher-forced"]["verdict"]
    text = (f"recognised as the asked genre, frames {' / '.join(wins)}: choreographer "
            f"{series('choreographer', 'recognition', _pct)} vs real {series('real', 'recognition', _pct)}, "
            f"teacher-forced {series('teacher-forced', 'recognition', _pct)}, zero-velocity "
            f"{series('zero-velocity', 'recognition', _pct)} (ratio to real ≥ 0.9 in {len(met)} of {len(wins)} "
            f"windows; at {wins[-1]} vs teacher-forced: **{vs_tf}**); motion energy ÷ real "
            f"{series('choreographer', 'energy_ratio', ratio)}; FID {series('choreographer', 'fid', ratio)} vs "
            f"floor {series('real', 'fid', ratio)}; diversity ÷ real "
            f"{series('choreographer', 'diversity_ratio', ratio)}; nearest-training distance "
            f"{d7['not_a_copy']['choreographer']:.2f} vs held-out real {d7['not_a_copy']['real']:.2f} (not a copy). "
            f"{d7['counts']['eval_dances']} evaluation dances the generator and judge never saw")
    video = d7.get("from_video")
    if video:
        seen = {r["window"]: r["recognition"] for r in video["table"] if r["source"] == "from video"}
        text += (f". From a video's first frames (pose read by notebook 02's CNN, context R² "
                 f"{video['context_r2']:.2f}): recognised {' / '.join(_pct(seen[w]) for w in wins)}"
                 f"; at {wins[-1]} vs from oracle pose: {video['verdicts'][wins[-1]]['from oracle pose']['verdict']}")
    px = d7.get("pixels")
    if px:
        cell = {(r["source"], r["horizons"]): r["recognition"] for r in px["table"]}
        shown = [s for s in ("choreographer", "real video", "real, redrawn", "ConvLSTM", "zero-velocity")
                 if (s, px["horizons"][0]) in cell]
        rates = ", ".join(f"{s} {' / '.join(_pct(cell[s, h]) for h in px['horizons'])}" for s in shown)
        text += (f". Drawn as video and judged by notebook 06's motion-only classifier, horizons "
                 f"{' / '.join(px['horizons'])}: {rates} ({px['dances']} dances"
                 + (", ids notebook 05 never touched" if px["convlstm"] else "") + ")")
        if px["convlstm"]:
            last = px["horizons"][-1]
            text += f"; at {last} vs ConvLSTM: **{px['verdicts']['ConvLSTM / ' + last]['verdict']}**"
    asked = d7.get("tempo_request")
    if asked:
        text += (f". Asked tempo ({', '.join(f'{hz:g}' for hz in asked['asked_hz'])} Hz, every genre): within one "
                 f"frequency bin for {_pct(asked['hit_best'])} with the best of {asked['candidates']} latents vs "
                 f"{_pct(asked['hit_one_latent'])} with one ({asked['verdict']['verdict']})")
    return f"{label} ({len(d7['seeds'])} seeds)", text, paper


#: The README's notebook table: what each notebook answers (its badge and run times are added by render_notebooks).
QUESTIONS = {
    "01_dataset_prep": "What is in the data, and how do we cut it into clips without leaking videos between train "
                       "and test?",
    "02_feature_extraction": "How does transfer learning turn each frame into a vector, fast — and which backbone "
                             "that runs offline exposes the dancers' pose?",
    "03_classifier_training": "Can a BiLSTM over 30-frame clips tell 16 genres apart? Does it use motion? Does the "
                              "paper's leaky split inflate the score?",
    "04_hyperband_tuning": "Does Hyperband find good hyperparameters faster than random search at the same budget?",
    "05_convlstm_prediction": "Can a ConvLSTM predict the next frame of a dance better than copying the last one?",
    "06_generated_motion": "Does the generated dance keep its genre? ConvLSTM rollouts judged by a genre classifier "
                           "and the Fréchet distance, by horizon",
    "07_choreographer": "Can we generate a dance of a chosen genre that a classifier recognises, and keep it "
                        "moving? A pose-space generator, its ablations and baselines, judged like ACTOR",
}


def repository() -> str:
    """The GitHub address, from its one home: ``pyproject.toml`` ``[project.urls] Repository``."""
    import tomllib

    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]["Repository"]


def render_notebooks(m: dict[str, dict], repo: str, ref: str = "main") -> str:
    """The notebook table: link, question, Colab badge (built from ``repo``), and the run time of each notebook —
    measured on this machine's CPU by `make figures`, and estimated for Colab's GPU.

    The estimate keeps every CPU-bound second (data generation, graph tracing, small LSTMs: Colab's free runtime
    has 2 vCPUs too) and rescales only the convolution-bound work the notebooks time themselves — feature
    extraction (02) and ConvLSTM training (05) — by the GEMM rate measured in the same run (notebook 02) over
    ``T4_EFFECTIVE_GFLOPS``; notebook 06's classifier training and rollouts are rescaled the same way."""
    run = m.get(TIMINGS) or {}
    seconds = {name.removesuffix(".ipynb"): secs for name, secs in run.get("seconds", {}).items()}
    d2, d5, d6 = m.get(NOTEBOOKS[1], {}), m.get(NOTEBOOKS[4], {}), m.get(NOTEBOOKS[5], {})
    gemm = d2.get("gemm_gflops")
    train5 = d5.get("training_seconds", 0.0) or 0.0
    if isinstance(train5, dict):                  # per model trained (ConvLSTM, no-memory ablation, ...)
        train5 = float(sum(sum(v) if isinstance(v, list) else v for v in train5.values()))   # lists: per seed
    gpu_bound = {NOTEBOOKS[1]: d2.get("extract_seconds", 0.0) or 0.0, NOTEBOOKS[4]: train5,
                 NOTEBOOKS[5]: float(sum((d6.get("timing") or {}).values()))}
    cpu_head = f"{run.get('cpu_count', 2)}-core CPU (measured)"
    lines = [f"| notebook | question it answers | | {cpu_head} | Colab T4 GPU (estimated) |", "|---|---|---|---|---|"]
    badge = "https://colab.research.google.com/assets/colab-badge.svg"
    colab = repo.replace("https://github.com/", "https://colab.research.google.com/github/")
    total_cpu = total_gpu = 0.0
    for name in NOTEBOOKS:
        link = f"[{name}](notebooks/{name}.ipynb)"
        open_in = f"[![Open In Colab]({badge})]({colab}/blob/{ref}/notebooks/{name}.ipynb)"
        if name in seconds:
            secs = seconds[name]
            # the notebook's own timings may come from a later run than `make figures` (a notebook re-run by hand
            # rewrites its metrics, not the timings file): never rescale more seconds than the notebook took
            fast = min(gpu_bound.get(name, 0.0), secs)
            gpu = secs - fast + (fast * gemm / T4_EFFECTIVE_GFLOPS if gemm else fast)
            total_cpu, total_gpu = total_cpu + secs, total_gpu + gpu
            cpu_cell, gpu_cell = _duration(secs), f"≈ {_duration(gpu)}"
        else:
            cpu_cell = gpu_cell = "*(run `make figures`)*"
        lines.append(f"| {link} | {QUESTIONS[name]} | {open_in} | {cpu_cell} | {gpu_cell} |")
    if seconds:
        count = {5: "five", 6: "six", 7: "seven"}.get(len(NOTEBOOKS), str(len(NOTEBOOKS)))
        lines.append(f"| **all {count}** | | | **{_duration(total_cpu)}** | **≈ {_duration(total_gpu)}** |")
        lines += ["", "Run times: measured by the last `make figures` "
                  f"({run['params']}, {run['cpu_count']} CPU cores); "
                      f"the Colab estimate keeps the CPU-bound work and rescales feature extraction, ConvLSTM "
                      f"training and notebook 06's classifier training and rollouts from this CPU's measured "
                      f"{gemm or float('nan'):.0f} GFLOP/s to {T4_EFFECTIVE_GFLOPS:.0f} GFLOP/s (a quarter of a T4's "
                      "float32 peak). A notebook opened alone first rebuilds what earlier ones cached (01–02); "
                      "notebook 06 judges the models notebook 05 saved, so run 05 first."]
    return "\n".join(lines)


def _duration(secs: float) -> str:
    return f"{secs:.0f} s" if secs < 90 else f"{secs / 60:.1f} min"


def replace_block(readme: str, table: str, markers: tuple[str, str] = (START, END)) -> str:
    """``readme`` with the text between the two ``markers`` replaced by ``table``."""
    start, end = markers
    if readme.count(start) != 1 or readme.count(end) != 1 or readme.index(start) > readme.index(end):
        raise ValueError(f"README must contain exactly one {start} … {end} block")
    head, rest = readme.split(start)
    _, tail = rest.split(end)
    return f"{head}{start}\n{table}\n{end}{tail}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--metrics", default=str(metrics_path(TIMINGS).parent), help="folder of <notebook>.json")
    ap.add_argument("--readme", default=str(ROOT / "README.md"))
    ap.add_argument("--check", action="store_true", help="exit 1 if README's table differs from the metrics")
    args = ap.parse_args(argv)
    metrics = load_metrics(Path(args.metrics))
    if not metrics:
        print(f"no metrics in {args.metrics}: run `make figures` first", file=sys.stderr)
        return 1
    readme = Path(args.readme)
    old = readme.read_text()
    new = replace_block(replace_block(old, render(metrics)), render_notebooks(metrics, repository()), NOTEBOOK_TABLE)
    if args.check:
        print("README results table is current" if new == old else "README results table is out of date")
        return int(new != old)
    if new != old:
        write_bytes_atomic(readme, new.encode())
    found = sum(name in metrics for name in NOTEBOOKS)
    print(f"README results table written from {found} of {len(NOTEBOOKS)} notebooks' metrics"
          + (" and the last `make figures` timings" if TIMINGS in metrics else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
