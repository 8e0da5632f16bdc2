"""``vmlab report DIR``: one HTML page summarising a sweep (figures for slides + the table).

The page is self-contained by default (plotly.js inlined, about 4.5 MB) so it opens on a
classroom projector without a network; ``plotlyjs="cdn"`` makes a small file that loads
plotly.js from the CDN instead.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from vmlab.sweep.store import REPORT, SweepError, atomic_write, read_sweep

__all__ = ["write_report"]

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; padding: 0 1.5rem; max-width: 70rem; color: #222; }
h1 { font-size: 1.6rem; } h2 { margin-top: 2.5rem; border-bottom: 1px solid #ddd; }
table.sweep { border-collapse: collapse; font-size: 0.85rem; }
table.sweep th, table.sweep td { border: 1px solid #ddd; padding: 0.25rem 0.5rem; text-align: right; }
table.sweep th { background: #f4f4f4; position: sticky; top: 0; }
table.sweep td.text { text-align: left; }
tr.failed td { background: #fde8e8; }
.summary span { margin-right: 1.5rem; }
.figure { margin: 1.5rem 0; }
"""


def _cell(value: Any) -> tuple[str, str]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "", ""
    if isinstance(value, bool):
        return str(value), ""
    if isinstance(value, float):
        return f"{value:.4g}", ""
    if isinstance(value, int):
        return str(value), ""
    return html.escape(str(value)), "text"


def _table_html(table) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in table.columns)
    rows = []
    for record in table.to_dict("records"):
        cells = []
        for column in table.columns:
            text, css = _cell(record[column])
            cells.append(f'<td class="{css}">{text}</td>' if css else f"<td>{text}</td>")
        css = ' class="failed"' if record.get("status") == "failed" else ""
        rows.append(f"<tr{css}>{''.join(cells)}</tr>")
    return f'<table class="sweep"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def write_report(
    out: str | Path,
    output: str | Path | None = None,
    *,
    metrics: Sequence[str] | None = None,
    plotlyjs: str = "inline",
) -> Path:
    """Write the HTML report of the sweep in ``out``; return its path (default ``out/report.html``).

    Parameters
    ----------
    out : path
        A sweep folder (``vmlab sweep ... --out out``), finished or not.
    output : path, optional
        Where to write the page.
    metrics : list of str, optional
        The result columns to draw (default: the grid file's ``metrics:``, else every numeric
        or boolean result).
    plotlyjs : {"inline", "cdn"}
        Embed plotly.js in the page, or load it from the CDN.
    """
    from vmlab.figures.sweep import metric_columns, sweep_figures

    if plotlyjs not in ("inline", "cdn"):
        raise ValueError(f"plotlyjs must be 'inline' or 'cdn', got {plotlyjs!r}")
    out = Path(out)
    table = read_sweep(out)
    available = metric_columns(table)
    notes: list[str] = []
    if metrics is not None:
        unknown = [m for m in metrics if m not in table.attrs["results"]]
        if unknown:
            raise SweepError(
                f"unknown metric(s) {', '.join(map(repr, unknown))}; the sweep's results are: "
                f"{', '.join(table.attrs['results']) or '(none)'}"
            )
        available = [m for m in metrics if m in available]
    elif table.attrs.get("metrics"):  # the grid file's choice
        missing = [m for m in table.attrs["metrics"] if m not in table.attrs["results"]]
        chosen = [m for m in table.attrs["metrics"] if m in available]
        if missing and len(table):
            notes.append(f"the grid's metrics {', '.join(missing)} were not published by the notebook")
        available = chosen or available
    figures = sweep_figures(table, available) if len(table) else []
    parts = []
    for i, fig in enumerate(figures):
        include = (True if plotlyjs == "inline" else "cdn") if i == 0 else False
        fig.update_layout(height=450)
        parts.append(f'<div class="figure">{fig.to_html(full_html=False, include_plotlyjs=include, div_id=f"figure-{i}")}</div>')
    n_ok = int((table["status"] == "ok").sum()) if len(table) else 0
    n_failed = len(table) - n_ok
    pending = table.attrs["n_cases"] - len(table)
    name = html.escape(table.attrs.get("notebook", ""))
    description = html.escape(table.attrs.get("description", ""))
    failed_items = "".join(
        f"<li><code>{html.escape(r['case_id'])}</code>: {html.escape(str(r['error']))}</li>"
        for r in table[table["status"] == "failed"].to_dict("records")
    ) if n_failed else ""
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    if not figures:
        why = "no finished case published a numeric result" if len(table) else "no case has finished yet"
        if len(table) and not table.attrs["varying"]:
            why = "no parameter varies between the cases"
        parts.append(f"<p>No figures: {why}.</p>")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Sweep of {name}</title>
<style>{_STYLE}</style></head><body>
<h1>Sweep of <code>{name}</code></h1>
{f"<p>{description}</p>" if description else ""}
<p class="summary"><span><b>{table.attrs["n_cases"]}</b> cases</span><span><b>{n_ok}</b> ok</span>
<span><b>{n_failed}</b> failed</span>{f"<span><b>{pending}</b> not run yet</span>" if pending else ""}
<span>varying: {html.escape(", ".join(table.attrs["varying"]) or "nothing")}</span>
<span>report written {when}</span></p>
<h2>Figures</h2>
{"".join(f"<p><em>Note: {html.escape(n)}.</em></p>" for n in notes)}
{"".join(parts)}
<h2>Results</h2>
{_table_html(table)}
{f"<h2>Failed cases</h2><ul>{failed_items}</ul><p>Each case's executed notebook, with the traceback, is in <code>runs/</code>.</p>" if failed_items else ""}
</body></html>
"""
    path = Path(output) if output is not None else out / REPORT
    atomic_write(path, page)
    return path
