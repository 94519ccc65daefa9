"""Access-log writes per second from concurrent writers, before and after the keyed chain.

    .venv/bin/python bench/bench_access_log.py [--writers 4] [--writes 2000] [--rounds 3]
        [--seal-every 0.5]

On the local PostgreSQL server (``BENCH_PG``, default postgres://postgres@127.0.0.1:5432): a
database ``rz_bench_log`` is created, migrated and seeded once (a practice, one GP per writer
with a membership, 50 patients) and used as the template of a fresh copy for every measurement,
so that each one starts from the same empty log. Three variants, interleaved round by round in
the same run:

- **before**: the write path of commit fda47a7 (plain SHA-256 chain, no key, no seals): the
  text of ``git show fda47a7:network/access_log.py``, imported as a module of its own;
- **after, no sealing**: ``network.access_log.access_log_write`` today (HMAC-SHA256 chain);
- **after, sealing**: the same, with a sealer process calling ``access_log_seal()`` every
  ``--seal-every`` seconds while the writers write (production seals every 5 minutes): sealing
  takes no database lock, so it must not slow the writers down beyond the CPU it uses.

Each writer is a process of its own (as gunicorn's workers are) that writes ``--writes``
entries, one per ``access_log_write`` call, each in its own transaction, as a page view does
(``ATOMIC_REQUESTS`` is off): advisory lock, the previous hash, insert, commit. The writers
start together; writes/s = all entries / (last writer done − start). Afterwards
``access_log_verify`` walks the copy's whole chain (against the last seal where there are
seals): concurrent writers must still form one unbroken chain. DEBUG as by default. Prints
figures; asserts nothing (but says "NOT OK" when a chain does not verify).
"""

# ruff: noqa: S603, S607  (a bench: it runs git, psql and itself)
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import secrets
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from procs import PG, describe, load, psql

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TEMPLATE_DB = "rz_bench_log"
BEFORE_COMMIT = "fda47a7"
VARIANTS = ("before", "after, no sealing", "after, sealing")


def environment(tmp: Path, database: str, seal_dir: Path | None = None) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "regiozorg.settings",
        "DATABASE_URL": f"{PG}/{database}",
        "DATA_DIR": str(tmp),
        "ACCESS_LOG_SEAL_DIR": str(seal_dir or tmp / "no-seals"),
        "LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)  # nothing here needs Redis: eager Celery, local cache
    return env


def run_role(env: dict[str, str], *args: str) -> str:
    """This script in a process of its own; returns its standard output."""
    return subprocess.run(
        [sys.executable, __file__, *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


# --- the roles (each a process of its own) ---------------------------------------------------


def seed_main() -> None:
    import django

    django.setup()
    from accounts.levels import Level
    from accounts.models import Membership, Organisation, OrganisationKind, User
    from network.models import Patient

    practice = Organisation.objects.create(
        name="Huisartsenpraktijk Bench", kind=OrganisationKind.GP_PRACTICE, agb_code="01099999"
    )
    users = [
        User.objects.create(
            email=f"huisarts{i}@bench.nl", first_name=f"Gerrit{i}", last_name="Postma", password="x"
        )
        for i in range(16)
    ]
    memberships = [
        Membership.objects.create(
            user=user, organisation=practice, level=Level.A, has_patient_data_access=True
        )
        for user in users
    ]
    patients = Patient.objects.bulk_create(
        Patient(
            practice=practice,
            his_id=f"bench-{i}",
            surname=f"Patiënt{i}",
            first_name="Bench",
            birth_date="1940-01-01",
        )
        for i in range(50)
    )
    print(
        json.dumps(
            {"memberships": [m.pk for m in memberships], "patients": [p.pk for p in patients]}
        )
    )


def load_before_module(path: str):
    """The write path of ``BEFORE_COMMIT``, imported from its own text (it needs only Django and
    ``network.models``, which have not changed in a way it notices: ``key_id`` defaults to "")."""
    spec = importlib.util.spec_from_file_location("access_log_before", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def writer_main(args) -> None:
    import django

    django.setup()
    from django.db import connection

    from accounts.models import Membership
    from network.access import Actor
    from network.models import AccessAction, AccessRelationship, DataCategory

    if args.variant == "before":
        write = load_before_module(args.before_module).access_log_write
    else:
        from network.access_log import access_log_write as write

    seeded = json.loads(args.seeded)
    membership = Membership.objects.select_related("user", "organisation").get(
        pk=seeded["memberships"][args.index]
    )
    patients = seeded["patients"]
    connection.ensure_connection()
    print("READY", flush=True)
    go_at = float(sys.stdin.readline())
    time.sleep(max(0.0, go_at - time.monotonic()))

    latencies = []
    cpu0 = time.process_time()
    for n in range(args.writes):
        actor = Actor(
            user=membership.user,
            membership=membership,
            ip_address=f"192.0.2.{args.index + 10}",
            user_agent="Mozilla/5.0 (bench)",
            request_id=secrets.token_hex(16),
        )
        t0 = time.monotonic()
        write(
            actor=actor,
            action=AccessAction.READ,
            relationship=AccessRelationship.OWN_PRACTICE,
            patient_id=patients[(args.index * 7 + n) % len(patients)],
            data=[DataCategory.IDENTITY],
            object_ref=f"patient-detail:{n}",
        )
        latencies.append((time.monotonic() - t0) * 1000)
    cpu = time.process_time() - cpu0
    print(json.dumps({"done_at": time.monotonic(), "latencies": latencies, "cpu": cpu}), flush=True)


def sealer_main(args) -> None:
    """``access_log_seal()`` every ``--seal-every`` s until a line arrives on standard input."""
    import django

    django.setup()
    from network.access_log_seals import AccessLogSealRefused, access_log_seal

    written = refused = 0
    timings = []
    print("READY", flush=True)
    cpu0, t_start = time.process_time(), time.monotonic()
    while True:
        t0 = time.monotonic()
        try:
            written += access_log_seal().written
        except AccessLogSealRefused as exc:
            refused += 1
            print(f"sealing refused: {exc}", file=sys.stderr)
        timings.append((time.monotonic() - t0) * 1000)
        if select.select([sys.stdin], [], [], args.seal_every)[0]:
            break
    busy = (time.process_time() - cpu0) / (time.monotonic() - t_start)
    print(
        json.dumps({"written": written, "refused": refused, "timings": timings, "busy": busy}),
        flush=True,
    )


def verify_main() -> None:
    import django

    django.setup()
    from network.access_log import access_log_verify

    report = access_log_verify()
    print(
        json.dumps(
            {
                "ok": report.ok,
                "total": report.total,
                "checked": report.checked,
                "legacy": report.legacy,
                "broken_id": report.broken_id,
                "problem": report.problem,
                "sealed_head": report.sealed.head_id if report.sealed else None,
                "seal_problems": list(report.seal_problems),
            }
        )
    )


# --- one measurement -------------------------------------------------------------------------


def measure(args, tmp: Path, variant: str, round_no: int, seeded: str, before_module: Path):
    database = f"{TEMPLATE_DB}_{round_no}_{VARIANTS.index(variant)}"
    psql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    psql(f"CREATE DATABASE {database} TEMPLATE {TEMPLATE_DB}")
    seal_dir = tmp / f"seals-{database}" if variant == "after, sealing" else None
    env = environment(tmp, database, seal_dir)
    try:
        sealer = None
        if seal_dir is not None:
            sealer = subprocess.Popen(
                [
                    sys.executable,
                    __file__,
                    "--role",
                    "sealer",
                    "--seal-every",
                    str(args.seal_every),
                ],
                cwd=ROOT,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            assert sealer.stdout.readline().strip() == "READY"
        writers = [
            subprocess.Popen(
                [
                    *(sys.executable, __file__, "--role", "writer", "--variant", variant),
                    *("--index", str(index), "--writes", str(args.writes)),
                    *("--seeded", seeded, "--before-module", str(before_module)),
                ],
                cwd=ROOT,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            for index in range(args.writers)
        ]
        for writer in writers:
            assert writer.stdout.readline().strip() == "READY"
        go_at = time.monotonic() + 0.5
        for writer in writers:
            writer.stdin.write(f"{go_at}\n")
            writer.stdin.flush()
        results = []
        for writer in writers:
            results.append(json.loads(writer.stdout.readline()))
            writer.wait()
        sealed = None
        if sealer is not None:
            sealer.stdin.write("stop\n")
            sealer.stdin.flush()
            sealed = json.loads(sealer.stdout.readline())
            sealer.wait()
        elapsed = max(r["done_at"] for r in results) - go_at
        latencies = [ms for r in results for ms in r["latencies"]]
        verified = json.loads(run_role(env, "--role", "verify"))
    finally:
        psql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    return {
        "variant": variant,
        "writes_per_s": len(latencies) / elapsed,
        "elapsed": elapsed,
        "latencies": latencies,
        "cpu_us_per_write": sum(r["cpu"] for r in results) / len(latencies) * 1e6,
        "sealed": sealed,
        "verified": verified,
        "expected": args.writers * args.writes,
    }


def report_line(m: dict) -> str:
    v = m["verified"]
    chain = (
        f"verify {'ok' if v['ok'] else 'NOT OK'}: {v['total']}/{m['expected']} entries"
        + (f" ({v['legacy']} unkeyed)" if v["legacy"] else "")
        + (f", last seal at #{v['sealed_head']}" if v["sealed_head"] else "")
        + (f", broken at #{v['broken_id']}: {v['problem']}" if v["broken_id"] else "")
        + (f", seal problems: {v['seal_problems']}" if v["seal_problems"] else "")
    )
    line = (
        f"  {m['variant']:18s} {m['writes_per_s']:7.0f} writes/s "
        f"({m['expected']} in {m['elapsed']:.2f} s); per write {describe(m['latencies'])}, "
        f"writer CPU {m['cpu_us_per_write']:.0f} µs; "
        f"{chain}"
    )
    if m["sealed"]:
        s = m["sealed"]
        line += (
            f"\n  {'':18s} sealer: {s['written']} seals written, {s['refused']} refused, "
            f"each {describe(s['timings'])}; sealer CPU {s['busy']:.0%} of a core"
        )
    return line


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--writes", type=int, default=2000, help="entries per writer")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seal-every", type=float, default=0.5, help="seconds between seals")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--role", default="", help=argparse.SUPPRESS)
    parser.add_argument("--variant", default="", help=argparse.SUPPRESS)
    parser.add_argument("--index", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--seeded", default="", help=argparse.SUPPRESS)
    parser.add_argument("--before-module", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    roles = {
        "seed": seed_main,
        "writer": lambda: writer_main(args),
        "sealer": lambda: sealer_main(args),
        "verify": verify_main,
    }
    if args.role:
        roles[args.role]()
        return

    print(f"machine: nproc={os.cpu_count()}; load {load()}")
    tmp = Path(tempfile.mkdtemp(prefix="regiozorg-benchlog-"))
    # The key the "after" variants write with (the "before" code has none).
    os.environ["ACCESS_LOG_HMAC_KEY"] = secrets.token_urlsafe(48)
    try:
        before_module = tmp / "access_log_before.py"
        before_module.write_text(
            subprocess.run(
                ["git", "show", f"{BEFORE_COMMIT}:network/access_log.py"],
                cwd=ROOT,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        )
        psql(f"DROP DATABASE IF EXISTS {TEMPLATE_DB} WITH (FORCE)")
        psql(f"CREATE DATABASE {TEMPLATE_DB}")
        env = environment(tmp, TEMPLATE_DB)
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True
        )
        seeded = run_role(env, "--role", "seed").strip().splitlines()[-1]
        print(
            f"database {TEMPLATE_DB} migrated and seeded in {time.perf_counter() - t0:.1f}s; "
            f"{args.writers} writers × {args.writes} writes, {args.rounds} rounds, "
            f"sealing every {args.seal_every} s in the sealing variant"
        )
        measurements: dict[str, list[dict]] = {variant: [] for variant in VARIANTS}
        for round_no in range(1, args.rounds + 1):
            print(f"round {round_no} (load {load()}):")
            # Each round in another order: no variant always follows the same one.
            shift = (round_no - 1) % len(VARIANTS)
            for variant in VARIANTS[shift:] + VARIANTS[:shift]:
                m = measure(args, tmp, variant, round_no, seeded, before_module)
                measurements[variant].append(m)
                print(report_line(m), flush=True)
        print("median over the rounds:")
        for variant, ms in measurements.items():
            rates = [m["writes_per_s"] for m in ms]
            everything = [ms_ for m in ms for ms_ in m["latencies"]]
            cpu = statistics.median(m["cpu_us_per_write"] for m in ms)
            all_ok = all(m["verified"]["ok"] for m in ms)
            print(
                f"  {variant:18s} {statistics.median(rates):7.0f} writes/s "
                f"(rounds: {', '.join(f'{r:.0f}' for r in rates)}); "
                f"per write {describe(everything)}, writer CPU {cpu:.0f} µs; "
                f"chains {'all verify' if all_ok else 'NOT OK'}"
            )
    finally:
        psql(f"DROP DATABASE IF EXISTS {TEMPLATE_DB} WITH (FORCE)")
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        print(f"(cleaned up; databases dropped; load {load()})")


if __name__ == "__main__":
    main()
