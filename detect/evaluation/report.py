"""An evaluation report for people (a table and a chart) and for machines (JSON)."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

from detect.evaluation.metrics import Report


def _pct(part: int, whole: int) -> str:
    return f"{part}/{whole}" if whole else "-"


def _num(value: float | None, unit: str = "") -> str:
    return "-" if value is None else f"{value:.1f}{unit}"


def table(report: Report) -> Table:
    t = Table(title=f"Detection quality: {report.devices} devices x {report.days:.0f} days",
              show_lines=False)
    for col in ("fault", "faults", "found", "failed", ">=48 h early", "before notice",
                "lead med", "lead p10", "diagnosis", "remedy"):
        t.add_column(col, justify="left" if col == "fault" else "right")
    for r in report.rows:
        t.add_row(r.fault, str(r.faults), _pct(r.flagged, r.faults), str(r.failed),
                  _pct(r.before_failure, r.failed),
                  _pct(r.before_notice, r.noticed), _num(r.lead_median_days, " d"),
                  _num(r.lead_p10_days, " d"), _pct(r.diagnosis_ok, r.diagnosed),
                  _pct(r.remedy_ok, r.diagnosed))
    return t


def summary_lines(report: Report) -> list[str]:
    s = report.summary

    def share(key: str) -> str:
        v = s.get(key)
        return "-" if v is None else f"{100 * v:.1f} %"

    return [
        f"predictable faults that failed: {s['predictable_failed']}",
        f"flagged >= 48 h before failure: {share('flagged_48h_before_failure')}",
        f"lead time: median {_num(s['lead_median_days'], ' days')}, "
        f"p10 {_num(s['lead_p10_days'], ' days')}",
        f"flagged before the customer noticed: {share('flagged_before_notice')}",
        f"sensor faults found: {share('sensor_faults_found')}",
        f"precision: {share('precision')} ({report.true_episodes} of {report.episodes} alarm "
        "episodes on a real fault)",
        f"false alarms: {report.false_alarms} = "
        f"{_num(s['false_alarms_per_1000_device_months'])} per 1,000 device-months",
        f"diagnosis: {share('diagnosis_accuracy')} correct; remote check vs visit: "
        f"{share('remedy_accuracy')}",
    ]


def print_report(report: Report, console: Console) -> None:
    console.print(table(report))
    for line in summary_lines(report):
        console.print(line)


def write_json(report: Report, path: Path | None, console: Console) -> None:
    text = json.dumps(report.to_dict(), indent=2)
    if path is None:
        console.print_json(text)
    else:
        Path(path).write_text(text + "\n")


def write_chart(report: Report, path: Path) -> Path:
    """Two panels: share flagged >= 48 h before failure, and lead times, per fault type."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in report.rows if r.faults]
    names = [r.fault.replace("_", "\n") for r in rows]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 4.8))
    early = [100 * r.before_failure / r.failed if r.failed else 0 for r in rows]
    found = [100 * r.flagged / r.faults for r in rows]
    x = range(len(rows))
    ax1.bar([i - 0.2 for i in x], early, 0.4, label=">= 48 h before failure (of failed)")
    ax1.bar([i + 0.2 for i in x], found, 0.4, label="found at all (of all)")
    ax1.axhline(90, color="grey", linestyle="--", linewidth=1)
    ax1.set_xticks(list(x), names, fontsize=7)
    ax1.set_ylabel("% of faults")
    ax1.set_ylim(0, 105)
    ax1.legend(fontsize=8)
    ax1.set_title("Faults caught")
    # a type without a lead time (not flagged before failure, or never fails) gets a label,
    # not a box at zero that reads as "flagged at the moment of failure"
    with_lead = [i for i, r in enumerate(rows) if r.leads]
    if with_lead:
        ax2.boxplot([rows[i].leads for i in with_lead], positions=[i + 1 for i in with_lead])
    ax2.set_xticks(range(1, len(rows) + 1), names)
    ax2.set_xlim(0.5, len(rows) + 0.5)
    ax2.set_ylim(bottom=0)
    for i, r in enumerate(rows):
        if not r.leads:
            ax2.text(i + 1, 0.02, "no lead\n(never fails)" if not r.failed else "no lead",
                     ha="center", va="bottom", fontsize=7, color="dimgrey",
                     transform=ax2.get_xaxis_transform())
    ax2.axhline(5, color="grey", linestyle="--", linewidth=1)
    ax2.set_ylabel("days between first finding and failure")
    ax2.tick_params(axis="x", labelsize=7)
    ax2.set_title("Lead time")
    s = report.summary
    fig.suptitle(f"{report.devices} devices x {report.days:.0f} days - precision "
                 f"{100 * (s['precision'] or 0):.0f} %, "
                 f"{s['false_alarms_per_1000_device_months']} false alarms / 1,000 "
                 f"device-months, diagnosis {100 * (s['diagnosis_accuracy'] or 0):.0f} %")
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)
