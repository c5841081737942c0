"""Render an evaluation summary: a text table, a Markdown report and a PNG chart."""

from __future__ import annotations

from pathlib import Path

HEADLINE = ("answer_accuracy", "citation_accuracy", "hit@1", "hit@5", "mrr@10")


def _fmt(v) -> str:
    return "–" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)


def text_summary(s: dict) -> str:
    lines = [
        f"{s['n']} questions: answer accuracy {_fmt(s['answer_accuracy'])}, citation accuracy "
        f"{_fmt(s['citation_accuracy'])}, abstention precision {_fmt(s['abstention_precision'])} / recall "
        f"{_fmt(s['abstention_recall'])}, hit@1 {_fmt(s['hit@1'])}, hit@5 {_fmt(s['hit@5'])}, "
        f"MRR@10 {_fmt(s['mrr@10'])}, latency median {s['median_ms']} ms / p95 {s['p95_ms']} ms"
    ]
    for key in ("by_kind", "by_lang"):
        for name, b in s[key].items():
            lines.append(f"  {key[3:]:>4} {name:<13} n={b['n']:<3} accuracy {_fmt(b['answer_accuracy'])}")
    return "\n".join(lines)


def _table(blocks: dict) -> list[str]:
    rows = ["| group | n | answer acc. | citation acc. | hit@1 | hit@5 | MRR@10 | median ms |",
            "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for name, b in blocks.items():
        rows.append(
            f"| {name} | {b['n']} | {_fmt(b['answer_accuracy'])} | {_fmt(b['citation_accuracy'])} | "
            f"{_fmt(b['hit@1'])} | {_fmt(b['hit@5'])} | {_fmt(b['mrr@10'])} | {b['median_ms']} |"
        )
    return rows


def markdown(summary: dict, results: list[dict], questions: Path, chart: Path | None, out: Path) -> None:
    a = summary["abstention"]
    lines = [
        f"# Evaluation: {questions.name}",
        "",
        text_summary(summary).splitlines()[0],
        "",
        f'Abstention ("not in the documents"): tp {a["tp"]}, fp {a["fp"]}, fn {a["fn"]}, tn {a["tn"]}; '
        f"citation offsets round-trip for {_fmt(summary['offsets_round_trip'])} of answers.",
        "",
    ]
    if chart:
        lines += [f"![summary]({chart.name})", ""]
    lines += [
        "## By kind",
        "",
        *_table(summary["by_kind"]),
        "",
        "## By language",
        "",
        *_table(summary["by_lang"]),
    ]
    wrong = [r for r in results if not r["correct"]]
    lines += ["", f"## Wrong answers ({len(wrong)})", ""]
    for r in wrong:
        lines.append(f"- **{r['id']}** ({r['kind']}, {r['lang']}) {r['question']} → {r['answer'][:200]}")
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")


def chart(summary: dict, out: Path) -> Path | None:
    """Bars of the headline metrics, overall and per kind; None without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    groups = {"all": summary, **summary["by_kind"]}
    fig, ax = plt.subplots(figsize=(10, 4.5))
    width = 0.8 / len(HEADLINE)
    for i, metric in enumerate(HEADLINE):
        values = [(g.get(metric) or 0) for g in groups.values()]
        ax.bar([x + i * width for x in range(len(groups))], values, width, label=metric)
    ax.set_xticks([x + 0.4 - width / 2 for x in range(len(groups))])
    ax.set_xticklabels([f"{k}\n(n={g['n']})" for k, g in groups.items()])
    ax.set_ylim(0, 1.05)
    ax.set_title(f"Answers and retrieval by question kind (latency median {summary['median_ms']} ms)")
    ax.legend(ncol=len(HEADLINE), fontsize=8, loc="lower center", bbox_to_anchor=(0.5, -0.32))
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
