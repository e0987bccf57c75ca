"""The Markdown report and the latency-against-scale chart, from bench/results/*.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

TARGETS = {
    "list": "p50 within 2x of the floor; queries <= 4 and constant",
    "detail": "p50 within 2x of the floor",
    "search": "p95 < 50 ms at 1M claims, exact totals",
    "search_filtered": "p95 < 50 ms at 1M claims, filters applied",
    "search_postgres": "none (PostgreSQL full-text, for comparison)",
    "public_list": "none: reported against the floor (1M claims, 10% published)",
    "fact_check": "none: reported against the floor (1M claims, 10% published)",
    "freshness": "change → searchable p95 < 1 s",
    "transition": ">= 300 transitions/s, no lost update",
    "webhook": "commit-to-webhook p95 < 300 ms",
    "dashboard": "p95 < 200 ms at 1M claims (the admin's front page, as served)",
    "similar": "lookup p95 < 50 ms at 1M claims (embedding apart)",
}
ROWS = ("list", "detail", "search", "search_filtered", "search_postgres", "public_list",
        "fact_check", "freshness", "transition", "dashboard", "similar", "webhook")  # fmt: skip


def _runs(results: Path) -> list[dict[str, Any]]:
    runs = [json.loads(path.read_text()) for path in results.glob("scale-*.json")]
    return sorted(runs, key=lambda run: run["scale"])


def _searches(run: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """A run's search through the index and through PostgreSQL (runs before the index had
    only the latter, as "search")."""
    if "search_index" not in run:
        return None, run.get("search")
    return run.get("search"), run.get("search_postgres")


def _verdict(name: str, row: dict[str, Any], scale: int) -> str:
    if not row or row.get("p50_ms") is None:
        return "not measured"
    if name == "list":
        sizes = row.get("queries_by_page_size", {})
        constant = len(set(sizes.values())) <= 1
        met = row["ratio_p50"] <= 2 and row["queries"] <= 4 and constant
    elif name == "detail":
        met = row["ratio_p50"] <= 2
    elif name in ("search", "search_filtered"):
        checks = row.get("checks") or {}
        correct = checks.get("counts_agree") and checks.get("counts_exact")
        if name == "search_filtered":
            correct = correct and checks.get("only_matching")
        fast = row["p95_ms"] < 50
        if not correct:
            return "NOT met (checks failed)"
        if scale < 1_000_000:
            return ("met" if fast else "not met") + " (target is at 1M)"
        met = fast
    elif name in ("search_postgres", "public_list", "fact_check"):
        return "for comparison"
    elif name == "freshness":
        met = row["p95_ms"] < 1000
    elif name == "transition":
        met = row["per_s"] >= 300 and row["lost_updates"] == 0
    elif name in ("dashboard", "similar"):
        limit = 200 if name == "dashboard" else 50
        if scale < 1_000_000:
            return ("met" if row["p95_ms"] < limit else "not met") + " (target is at 1M)"
        met = row["p95_ms"] < limit
    else:
        met = row["p95_ms"] < 300
    return "met" if met else "NOT met"


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _chart(runs: list[dict[str, Any]], path: Path) -> bool:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scales = [run["scale"] for run in runs]
    if not scales:
        return False
    figure, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    series = {
        "list": [(r["scale"], r["list"]) for r in runs if r.get("list")],
        "detail": [(r["scale"], r["detail"]) for r in runs if r.get("detail")],
        "search (index)": [(r["scale"], _searches(r)[0]) for r in runs if _searches(r)[0]],
        "search (PostgreSQL)": [(r["scale"], _searches(r)[1]) for r in runs if _searches(r)[1]],
    }
    for (name, points), style in zip(series.items(), ("o", "s", "^", "v"), strict=True):
        if not points:
            continue
        xs = [p[0] for p in points]
        axes[0].plot(
            xs, [p[1]["p50_ms"] for p in points], style, linestyle="-", label=f"{name} API p50"
        )
        axes[0].plot(
            xs, [p[1]["floor_p50_ms"] for p in points], style, alpha=0.4, linestyle="--",
            label=f"{name} floor p50",
        )  # fmt: skip
        axes[1].plot(
            xs, [p[1]["p95_ms"] for p in points], style, linestyle="-", label=f"{name} API p95"
        )
    for name, style in (("transition", "d-"), ("freshness", "x-")):
        points = [(r["scale"], r[name]) for r in runs if r.get(name)]
        if points:
            axes[1].plot(
                [p[0] for p in points], [p[1]["p95_ms"] for p in points], style,
                label=f"{name} p95",
            )  # fmt: skip
    for axis, title in zip(axes, ("p50 latency: API and floor", "p95 latency"), strict=True):
        axis.set_xscale("log")
        axis.set_yscale("log")  # search grows a hundredfold; the others stay flat
        axis.set_xlabel("claims in the database")
        axis.set_ylabel("ms (log scale)")
        axis.set_title(title)
        axis.grid(True, alpha=0.3)
        axis.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return True


def _checked(checks: dict[str, Any]) -> str:
    said = [
        "totals agree" if checks["counts_agree"] else "TOTALS DIFFER",
        "exact" if checks.get("counts_exact") else "not all exact",
        "first pages the same" if checks["first_pages_agree"] else "first pages differ",
    ]
    if not checks["only_matching"]:
        said.append("CLAIMS OUTSIDE THE FILTER")
    return ", ".join(said)


def report_write(results: Path) -> Path:
    runs = _runs(results)
    latest = json.loads((results / "latest.json").read_text())
    scale = latest["scale"]
    lines = [
        "# Benchmark report",
        "",
        f"Latest run: **{scale:,} claims**, corpus loaded in {latest['load_seconds']} s "
        f"({', '.join(f'{k} {v:,}' for k, v in latest['rows'].items())}); "
        f"{latest['duration_s']} s per scenario, {latest['clients']} concurrent clients "
        "(transitions: at least 8) from wrk over loopback, gunicorn "
        "(bench/gunicorn.conf.py) serving config.wsgi with the production settings.",
        "",
        f"Machine: {latest['machine'].get('cpus')} CPUs "
        f"({latest['machine'].get('cpu_model', '?')}), "
        f"{latest['machine'].get('memory_gib', '?')} GiB; load average "
        f"{latest['machine'].get('load_average_at_start')} at the start, "
        f"{latest['machine'].get('load_average_at_end')} at the end. The load generator, "
        "gunicorn and PostgreSQL share these CPUs, and other jobs ran on the machine: "
        "figures are indicative, ratios to the floor more stable than absolute times.",
        "",
        *(
            [
                "This run measured only some scenarios; the figures of "
                + ", ".join(latest["scenarios_from_an_earlier_run"])
                + " are those of the run before (its machine, its load, its corpus).",
                "",
            ]
            if latest.get("scenarios_from_an_earlier_run")
            else []
        ),
        "The floor answers each read with the work the API must do: it checks the token "
        "(one query), then reads with one hand-written query; a search finds the ids and the "
        "exact total in the search index, as the API does (bench/floor.py).",
        "",
        "| scenario | req/s | p50 ms | p95 ms | p99 ms | SQL/request | floor p50 ms | "
        "ratio p50 | target | verdict |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for name in ROWS:
        row = latest.get(name) or {}
        lines.append(
            f"| {name} | {_fmt(row.get('per_s'))} | {_fmt(row.get('p50_ms'))} | "
            f"{_fmt(row.get('p95_ms'))} | {_fmt(row.get('p99_ms'))} | "
            f"{_fmt(row.get('queries'))} | {_fmt(row.get('floor_p50_ms'))} | "
            f"{_fmt(row.get('ratio_p50'))} | {TARGETS[name]} | {_verdict(name, row, scale)} |"
        )
    index = latest.get("search_index")
    if index:
        lines += [
            "",
            f"Search index: {index['claims']:,} claims built in {index['build_seconds']} s "
            f"({index['build_claims_per_s']:,} claims/s), {index['size_mb']} MB on disk"
            + (" (built by an earlier run, reused)" if index.get("reused") else "")
            + f"; the indexer had caught up {index.get('indexer_caught_up_s', '?')} s after "
            "it started.",
        ]
    checks = [
        (name, (latest.get(name) or {}).get("checks"))
        for name in ("search", "search_filtered", "search_postgres")
    ]
    checked = [f"{name}: {_checked(found)}" for name, found in checks if found]
    if checked:
        lines += ["", "Search checks (the API against its floor, 5 queries): " + "; ".join(checked)]
    freshness = latest.get("freshness")
    if freshness:
        probes = ", ".join(
            f"through the {name} p50 {row['p50_ms']} / p95 {row['p95_ms']} / max {row['max_ms']} ms"
            for name, row in freshness["by_probe"].items()
        )
        lines += [
            "",
            f"Freshness: {freshness['changes']} changes at {freshness['rate_per_s']:g}/s with "
            f"the indexer running, each from its commit until a search found it: {probes}."
            + "".join(f" {note}." for note in freshness.get("notes", [])),
        ]
    authentication = latest.get("floor_authentication")
    if authentication:
        lines += [
            "",
            "The floor refused requests without a token or with a wrong one (401): "
            + ("yes." if authentication["as_expected"] else f"NO: {authentication['statuses']}"),
        ]
    dashboard = latest.get("dashboard")
    if dashboard:
        figures = dashboard["figures"]
        lines += [
            "",
            f"Dashboard: a reviewer's `/admin/` (session cookie; {dashboard['page_bytes']:,} "
            f"bytes), its lists live, its figures kept {dashboard['figures_seconds']} s in each "
            f"worker. Computing the figures and drawing their charts, which the request that "
            f"finds them expired pays: p50 {figures['p50_ms']} ms, max {figures['max_ms']} ms "
            f"({figures['runs']} runs). No floor: it reads no API.",
        ]
    similar = latest.get("similar")
    if similar:
        index = similar["index"]
        lines += [
            "",
            f"Similar claims: {similar['lookups']} lookups in one process, one at a time "
            f"({similar['with_suggestions']} with suggestions): the lookup p50 "
            f"{similar['p50_ms']}, p95 {similar['p95_ms']}, p99 {similar['p99_ms']} ms; the "
            f"text's embedding apart, p50 {similar['embedding_p50_ms']}, p95 "
            f"{similar['embedding_p95_ms']} ms. The similar-claim index: {index['claims']:,} "
            f"vectors built in {index['index_build_seconds']} s, {index['size_mb']} MB "
            f"({index['embedded_for_real']:,} of them embedded for real, "
            f"{index['embedding_ms_per_text']} ms a text: about "
            f"{index['embedding_hours_for_all']} hours for all; see bench/similar.py).",
        ]
    transition = latest.get("transition")
    if transition:
        lines += [
            "",
            f"Transitions: {transition['clients']} clients on {transition['claims']} claims "
            f"(each its own, and {transition.get('hot_claims', '?')} hot claims every client "
            f"races on): {transition['accepted']} accepted, "
            f"{transition['refused_stale_412']} refused as stale (412, then re-read), "
            f"{transition['recorded']} recorded in the status history; "
            f"**lost updates: {transition['lost_updates']}**. req/s counts accepted "
            f"transitions; all requests (with the re-reads): {transition['requests_per_s']}/s.",
        ]
    if latest.get("list", {}).get("queries_by_page_size"):
        sizes = latest["list"]["queries_by_page_size"]
        lines += [
            "",
            "SQL queries per list request by page size: "
            + ", ".join(f"{k}: {v}" for k, v in sizes.items())
            + ".",
        ]
    webhook = latest.get("webhook") or {}
    if webhook.get("note"):
        lines += ["", f"Webhook: {webhook['note']}"]
    lines += [
        "",
        "## Cost against scale",
        "",
        "![latency against scale](latency.png)",
        "",
        "| claims | load s | list p50 (floor) | detail p50 (floor) | search p50 / p95 (floor "
        "p50) | PostgreSQL search p50 / p95 | index build s, MB | freshness p95 | "
        "transitions/s |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for run in runs:

        def pair(name: str, run: dict[str, Any] = run) -> str:
            row = run.get(name)
            if not row:
                return "—"
            unauthenticated = "" if "floor_authentication" in run else "†"
            return f"{row['p50_ms']} ({row['floor_p50_ms']}{unauthenticated})"

        indexed, postgres = _searches(run)
        index = run.get("search_index")
        freshness = run.get("freshness")
        transition = run.get("transition")
        cells = [
            f"{run['scale']:,}",
            str(run["load_seconds"]),
            pair("list"),
            pair("detail"),
            f"{indexed['p50_ms']} / {indexed['p95_ms']} ({indexed['floor_p50_ms']})"
            if indexed
            else "—",
            f"{postgres['p50_ms']} / {postgres['p95_ms']}" if postgres else "—",
            f"{index['build_seconds']}, {index['size_mb']}" if index else "—",
            str(freshness["p95_ms"]) if freshness else "—",
            str(transition["per_s"]) if transition else "—",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    if any("floor_authentication" not in run for run in runs):
        lines += ["", "† a floor that did not check the token (runs before it did)."]
    _chart(runs, results / "latency.png")
    path = results / "report.md"
    path.write_text("\n".join(lines) + "\n")
    return path


if __name__ == "__main__":
    print(report_write(Path(__file__).resolve().parent / "results"))
