"""The before/after table of bench_live_goals.py (markdown, for bench/RESULTS.md)."""

from __future__ import annotations

from procs import percentile

SERVERS = ("gunicorn", "daphne", "celery", "redis", "postgresql")


def _ms(values: list[float], p: float) -> str:
    return f"{percentile(values, p):.1f}" if values else "–"


def _knee(rows: list[dict]) -> str:
    """The highest rate with p99 ≤ 100 ms and nothing lost or doubled."""
    good = [
        r["rate"]
        for r in rows
        if r["delivered"]
        and percentile(r["delivered"], 99) <= 100
        and not r["lost"]
        and not r["duplicates"]
    ]
    return f"{max(good):g} msg/s" if good else "below the lowest rate"


def _idle(x: dict) -> str:
    return (
        f"{x['daphne_pct']:.1f} % of a core, {x['rss_mb']:.0f} MB, {x['kb_per_socket']:.0f} kB "
        f"(PostgreSQL {x['postgresql_pct']:.1f} %; {x['sockets']} open, "
        f"{x.get('refused', 0)} did not open, closed {x['closed']}, pongs {x['pongs']})"
    )


def report(results: dict, args) -> None:
    columns = [
        (name, mode)
        for name in ("before", "after")
        if name in results
        for mode in results[name]["modes"]
    ]
    head = " | ".join(f"{n} ({'form POST' if m == 'http' else 'socket send'})" for n, m in columns)
    print(f"\n| goal | {head} |")
    print("|---" * (len(columns) + 1) + "|")

    def row(label: str, cell) -> None:
        cells = []
        for name, mode in columns:
            try:
                cells.append(cell(results[name], mode))
            except KeyError:
                cells.append("–")
        print(f"| {label} | " + " | ".join(cells) + " |")

    seq = ("sequential",)
    row(
        f"1:1 sequential ({args.messages} messages): send start → delivered p50 / p99",
        lambda r, m: (
            f"{_ms(r[(*seq, m)]['delivered'], 50)} / {_ms(r[(*seq, m)]['delivered'], 99)} ms"
        ),
    )
    row(
        "  the send's answer (POST response / `sent` frame) p50",
        lambda r, m: f"{_ms(r[(*seq, m)]['answered'], 50)} ms",
    )
    row(
        "  server CPU per message, all processes (PostgreSQL included)",
        lambda r, m: f"**{sum(r[(*seq, m)]['cpu_ms'].get(n, 0) for n in SERVERS):.1f} ms**",
    )
    for name in SERVERS:
        row(f"    {name}", lambda r, m, n=name: f"{r[(*seq, m)]['cpu_ms'].get(n, 0):.1f} ms")
    row(
        "  SQL statements per message (everything the servers ran)",
        lambda r, m: f"{r[('statements', m)]:.1f}",
    )
    row(
        "  PostgreSQL commits / new connections per message",
        lambda r, m: (
            f"{r[(*seq, m)]['per_message']['commits']:.2f} / "
            f"{r[(*seq, m)]['per_message']['sessions']:.2f}"
        ),
    )
    row(
        "  lost / doubled; load average after",
        lambda r, m: (
            f"{r[(*seq, m)]['lost']} / {r[(*seq, m)]['duplicates']}; {r[(*seq, m)]['load']}"
        ),
    )
    for rate in args.rates:

        def at(r, m, rate=rate):
            rows, _connections = r[("knee", m)]
            found = [x for x in rows if x["rate"] == rate]
            if not found:
                return "(stopped: past the knee)"
            x = found[0]
            total = sum(x["cpu_ms"].get(n, 0) for n in SERVERS)
            return (
                f"{_ms(x['delivered'], 50)} / {_ms(x['delivered'], 99)} ms, lost {x['lost']}, "
                f"doubled {x['duplicates']}, {total:.1f} ms CPU/msg (load {x['load'].split()[0]})"
            )

        row(f"200 clients, 50 conversations, {rate:g} msg/s: p50 / p99", at)
    row(
        "  highest rate with p99 ≤ 100 ms, nothing lost or doubled",
        lambda r, m: _knee(r[("knee", m)][0]),
    )
    row(
        "  PostgreSQL connections at most (all processes) / idle in transaction seen",
        lambda r, m: f"{r[('knee', m)][1]['most']} / {r[('knee', m)][1]['idle_in_transaction']}",
    )
    sizes = sorted(
        {k[1] for r in results.values() for k in r if isinstance(k, tuple) and k[0] == "idle"}
    )
    for n in sizes:
        row(
            f"{n} idle sockets on one Daphne: CPU (last 30 s), RSS, per socket",
            lambda r, m, n=n: _idle(r[("idle", n)]),
        )
    for name in results:
        errors = results[name].get("errors") or []
        print(
            f"\n{name}: {len(errors)} error lines in the server logs"
            + (f"; first {errors[0]}" if errors else "")
        )
