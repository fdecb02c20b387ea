"""PNG charts of an evaluation, drawn on the Agg canvas (no display needed).

Labels are English: Korean fonts may be missing on the machine that draws them.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from reportqa.eval.run import NDCG_K, EvalResult

MODE_COLOURS = {"hybrid": "#1f77b4", "dense": "#ff7f0e", "bm25": "#2ca02c"}
Y_SHARE = "share of answerable questions"


def preferred_k(ks: Sequence[int], wanted: int = 5) -> int:
    """The cut-off shown where one k is shown: `wanted` when evaluated, else the largest k."""
    return wanted if wanted in ks else max(ks)


def grouped_bars(ax: Axes, categories: list[str], series: dict[str, list[float | None]], title: str, ylabel: str) -> None:
    """One group per category, one bar per series (mode), the value printed on each bar."""
    positions = np.arange(len(categories))
    width = 0.8 / max(len(series), 1)
    for i, (label, values) in enumerate(series.items()):
        offsets = positions + (i - (len(series) - 1) / 2) * width
        bars = ax.bar(offsets, [v or 0.0 for v in values], width, label=label, color=MODE_COLOURS.get(label))
        ax.bar_label(bars, labels=["n/a" if v is None else f"{v:.2f}" for v in values], padding=2, fontsize=8)
    ax.set_xticks(positions, categories)
    ax.set_ylim(0, 1.25)  # headroom for the printed values and the legend
    ax.set_yticks(np.linspace(0, 1, 6))
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(title="mode", loc="upper center", ncols=len(series), fontsize=8)
    ax.grid(axis="y", alpha=0.3)


def _save(figure: Figure, path: Path) -> Path:
    FigureCanvasAgg(figure)
    figure.savefig(path, dpi=120, bbox_inches="tight")
    return path


def plot_hits_at_k(result: EvalResult, path: Path) -> Path:
    """hit@k for every evaluated k, grouped by k."""
    summary = result.summary()["modes"]
    figure = Figure(figsize=(7, 4))
    grouped_bars(
        figure.subplots(),
        [f"k={k}" for k in result.ks],
        {mode: [summary[mode][f"hit@{k}"] for k in result.ks] for mode in result.modes},
        "hit@k: evidence among the top k retrieved chunks",
        Y_SHARE,
    )
    figure.axes[0].set_xlabel("cut-off k")
    return _save(figure, path)


def plot_metrics(result: EvalResult, path: Path) -> Path:
    """The rank-aware metrics side by side: recall@5, MRR, nDCG@10, budget@N."""
    summary = result.summary()["modes"]
    names = [f"recall@{preferred_k(result.ks)}", "mrr", f"ndcg@{NDCG_K}", f"budget@{result.budget}"]
    figure = Figure(figsize=(8, 4))
    grouped_bars(
        figure.subplots(),
        names,
        {mode: [summary[mode][name] for name in names] for mode in result.modes},
        "Retrieval metrics by mode",
        "score (0 to 1)",
    )
    figure.axes[0].set_xlabel("metric")
    return _save(figure, path)


def plot_by_language(result: EvalResult, path: Path) -> Path:
    """hit@5 and budget@N per language, one panel each."""
    by_lang = result.summary()["by_lang"]
    languages = result.languages
    names = [f"hit@{preferred_k(result.ks)}", f"budget@{result.budget}"]
    figure = Figure(figsize=(10, 4))
    for ax, name in zip(figure.subplots(1, len(names)), names):
        grouped_bars(
            ax,
            languages,
            {mode: [by_lang[lang][mode][name] for lang in languages] for mode in result.modes},
            f"{name} by question language",
            Y_SHARE,
        )
        ax.set_xlabel("question language")
    return _save(figure, path)


def plot_all(result: EvalResult, out_dir: Path) -> dict[str, Path]:
    """Every chart, keyed by what it shows; files land in `out_dir`."""
    return {
        "hit@k by mode": plot_hits_at_k(result, out_dir / "hit_at_k.png"),
        "metrics by mode": plot_metrics(result, out_dir / "metrics.png"),
        "by language": plot_by_language(result, out_dir / "by_language.png"),
    }
