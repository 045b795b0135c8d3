"""`make loadtest`: fifty techs at once, against the production server, on a PostgreSQL database of its own.

What it does, start to end:

1. Makes a fresh database on the PostgreSQL server LOADTEST_PG names, migrates it, collects the static files
   (as production does before it starts), and builds the world (world.py): 25 running windows, each worked by
   a pair of techs, at different points of their runbooks, three approvers, every label an active tag.
2. Starts the server with the README's production command (read from README.md, so the two never drift
   apart), on a free port, with DEBUG off, behind a pretend TLS proxy (X-Forwarded-Proto).
3. Logs everyone in through the login form, warms the workers up (each compiles a template the first time it
   renders it, once in its life: those requests are not counted), then for LOADTEST_SECONDS (default 180):
   every phone polls its step every 3 s, each pair taps every 5-15 s (4% wrong labels, 2% taps sent twice),
   three approvers poll the board every 5 s and resolve or release what it shows (phones.py).
4. Races 1, 16 and 50 scanners, each scanning identity checks as fast as the answers come, for
   LOADTEST_SCAN_SECONDS each (default 15): scans per second at each level.
5. Stops the server, runs `manage.py verify_audit`, and checks the database against every answer the phones
   were given: no step signed twice, every tap answered 2xx acted on exactly once (world.check).
6. Prints BENCH lines (p50 and p95 in ms of poll, scan, sign and board; errors; scans per second at 1, 16 and
   50 scanners), where the time went (CPU by process, lock waits in the database, the load average: the
   figures are only as quiet as the machine was), says whether the aims were met, and drops the database.

Exits non-zero when a request failed (5xx, no answer, a tap not answered as a tap) or a check found a problem.
Not part of `make test` or `make bench`: it takes minutes and wants the machine to itself.

Environment: LOADTEST_SECONDS, LOADTEST_SCAN_SECONDS, LOADTEST_PAIRS (25), LOADTEST_APPROVERS (3),
LOADTEST_PG (postgres://postgres@127.0.0.1:5432/postgres: where the throwaway database is made),
LOADTEST_SEED (the traffic's random choices), LOADTEST_KEEP=1 (keep the database and the server's files
afterwards, to look at what the traffic left). DB_CONN_MAX_AGE and the app's other settings pass through.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import random
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path[:0] = [str(ROOT), str(HERE)]

import phones  # noqa: E402
import psycopg  # noqa: E402

AIM_P95_MS = 200
KINDS = ("poll", "scan", "sign", "board")
LEVELS = (1, 16, 50)
SCANS_PER_SECOND_AT_MOST = 150  # to size the scanners' runs: more than this machine answers


def setting(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def main() -> int:
    seconds = setting("LOADTEST_SECONDS", 180)
    scan_seconds = setting("LOADTEST_SCAN_SECONDS", 15)
    pairs = setting("LOADTEST_PAIRS", 25)
    approvers = setting("LOADTEST_APPROVERS", 3)
    seed = setting("LOADTEST_SEED", secrets.randbelow(10**6))
    levels = [level for level in LEVELS if level <= 2 * pairs]
    admin_url = os.environ.get("LOADTEST_PG") or "postgres://postgres@127.0.0.1:5432/postgres"
    name = f"lockstep_loadtest_{os.getpid()}"
    database_url = urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))
    work = Path(tempfile.mkdtemp(prefix="lockstep-loadtest-"))
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "LOCKSTEP_VAR_DIR": str(work / "var"),
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "TRUST_X_FORWARDED_PROTO": "1",
        "LOCKSTEP_PUBLIC_HOST": f"127.0.0.1:{port}",
        # Every refused tap (a 409) is a warning in Django's request log: thousands of lines saying nothing.
        "LOG_LEVEL": "ERROR",
        "DJANGO_SETTINGS_MODULE": "lockstep.settings",
    }
    os.environ.update(env)
    print(
        f"INFO loadtest: {pairs} pairs, {approvers} approvers, {seconds} s of traffic, seed {seed}",
        flush=True,
    )
    print(f"INFO machine: {os.cpu_count()} CPUs, load average {load()} before", flush=True)
    server = None
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        plan, since_seq = prepare(pairs, approvers, levels, scan_seconds)
        server = start_server(port, env, work)
        results = traffic(plan, port, seconds, scan_seconds, levels, seed, name, admin_url, server.pid)
        stop_server(server)
        server = None
        problems = verify(env, results["ledger"], since_seq)
        failed = report(results, problems)
        if failed:
            print("INFO the server's log ends:\n" + (work / "gunicorn.log").read_text()[-4000:], flush=True)
        return failed
    finally:
        if server is not None:
            stop_server(server)
        from django.db import connections

        connections.close_all()
        if os.environ.get("LOADTEST_KEEP"):
            print(
                f"INFO kept for a look: DATABASE_URL={database_url} LOCKSTEP_VAR_DIR={work / 'var'}",
                flush=True,
            )
        else:
            with psycopg.connect(admin_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            shutil.rmtree(work, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load() -> str:
    return " ".join(f"{n:.2f}" for n in os.getloadavg())


def prepare(pairs: int, approvers: int, levels: list[int], scan_seconds: int) -> tuple[dict, int]:
    import django

    django.setup()
    import world
    from django.core.management import call_command
    from django.db import connection, connections

    began = time.monotonic()
    call_command("migrate", verbosity=0)
    call_command("audit_checkpoint", verbosity=0)  # the new log's first checkpoint, as `make run` writes it
    call_command("collectstatic", interactive=False, verbosity=0)
    runs_each = {
        level: math.ceil(SCANS_PER_SECOND_AT_MOST * scan_seconds / level / world.SCANNER_RUN_STEPS) + 1
        for level in levels
    }
    plan = world.build(pairs=pairs, approvers=approvers, scanner_levels=levels, scanner_runs=runs_each)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # as autovacuum soon would: the planner then knows the tables' sizes
    since_seq = world.audit_seq()
    connections.close_all()
    print(f"INFO world built in {time.monotonic() - began:.0f} s", flush=True)
    return plan, since_seq


def production_command(port: int) -> list[str]:
    """The README's production command, exactly, bound to this test's port instead of 8000."""
    for line in (ROOT / "README.md").read_text().splitlines():
        if line.startswith(".venv/bin/gunicorn "):
            args = shlex.split(line, comments=True)
            for i, arg in enumerate(args):
                if arg in ("--bind", "-b"):
                    args[i + 1] = f"127.0.0.1:{port}"
                elif arg.startswith("--bind="):
                    args[i] = f"--bind=127.0.0.1:{port}"
            return [str(ROOT / args[0]), *args[1:]]
    raise SystemExit("README.md names no production command (a line starting .venv/bin/gunicorn)")


def start_server(port: int, env: dict[str, str], work: Path) -> subprocess.Popen:
    command = production_command(port)
    print(f"INFO server: {shlex.join(command[1:])} (the README's command)", flush=True)
    log = (work / "gunicorn.log").open("w")
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    probe = phones.Browser(f"http://127.0.0.1:{port}", phones.Stats(), "probe")
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server stopped at once:\n{(work / 'gunicorn.log').read_text()[-3000:]}")
        answer = probe.request("GET", "/login/", kind="probe")
        if answer is not None and answer.status == 200:
            return server
        time.sleep(0.5)
    raise SystemExit("the server did not answer within 60 s")


def stop_server(server: subprocess.Popen) -> None:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def traffic(
    plan: dict,
    port: int,
    seconds: int,
    scan_seconds: int,
    levels: list[int],
    seed: int,
    db: str,
    admin_url: str,
    server_pid: int,
) -> dict:
    base = f"http://127.0.0.1:{port}"
    stats = phones.Stats()
    rng = random.Random(seed)
    browsers = {u: phones.Browser(base, stats, u) for u in plan["techs"] + plan["approvers"]}
    began = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        logged_in = list(pool.map(lambda u: browsers[u].log_in(u, plan["password"]), browsers))
    if not all(logged_in):
        raise SystemExit(f"logins failed: {stats.errors[:5]}")
    print(
        f"INFO {len(browsers)} people logged in through the login form in {time.monotonic() - began:.0f} s",
        flush=True,
    )
    techs: dict[str, phones.Tech] = {}
    for pair in plan["pairs"]:
        for username in pair["techs"]:
            techs[username] = phones.Tech(browsers[username], username, pair["run"], pair["labels"])
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda t: t.open_current(), techs.values()))
    desks = [
        phones.Desk(browsers[u], u, (n, len(plan["approvers"]))) for n, u in enumerate(plan["approvers"])
    ]
    # Warm-up, not measured: every worker compiles its templates on the first request that needs them, once
    # in its life. The step panel and the board, asked of all the workers before the clock starts.
    warm = [t.poll for t in techs.values()] * 2
    warm += [
        lambda d=d: d.browser.get("/approvals/board/", kind="warm-up", headers={"HX-Request": "true"})
        for d in desks
    ] * 4
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda ask: ask(), warm))
    mixed = phones.Stats()  # from here on: the measured traffic
    for browser in browsers.values():
        browser.stats = mixed
    stop = threading.Event()
    locks: Counter = Counter()
    threads = [threading.Thread(target=sample_locks, args=(admin_url, db, stop, locks), daemon=True)]
    threads += [
        threading.Thread(target=phones.polls, args=(t, stop, random.Random(rng.random())), daemon=True)
        for t in techs.values()
    ]
    threads += [
        threading.Thread(
            target=phones.pair_taps,
            args=([techs[u] for u in pair["techs"]], mixed, stop, random.Random(rng.random())),
            daemon=True,
        )
        for pair in plan["pairs"]
    ]
    threads += [
        threading.Thread(target=d.watch, args=(mixed, stop, random.Random(rng.random())), daemon=True)
        for d in desks
    ]
    print(
        f"INFO traffic for {seconds} s: {len(techs)} phones, {len(plan['pairs'])} pairs, {len(desks)} desks",
        flush=True,
    )
    load_before, cpu_before, traffic_began = load(), cpu_by_process(server_pid), time.monotonic()
    for thread in threads:
        thread.start()
    stop.wait(seconds)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    load_after, cpu = load(), cpu_by_process(server_pid) - cpu_before
    traffic_seconds = time.monotonic() - traffic_began
    # The scanners' races, one level at a time, nothing else running.
    import world
    from django.db import connections

    rates = {}
    race_stats = {}
    for level in levels:
        scanners = plan["scanners"][str(level)]
        world.open_runs([run["run"] for s in scanners for run in s["runs"]])
        connections.close_all()
        race = phones.Stats()
        for browser in browsers.values():
            browser.stats = race
        stop, race_locks = threading.Event(), Counter()
        sampler = threading.Thread(target=sample_locks, args=(admin_url, db, stop, race_locks), daemon=True)
        sampler.start()
        cpu_before = cpu_by_process(server_pid)
        done, elapsed = phones.scan_race(
            [(browsers[s["tech"]], s["tech"], s["runs"]) for s in scanners], race, scan_seconds
        )
        stop.set()
        sampler.join()
        rates[level] = done / elapsed if elapsed else 0.0
        race_stats[level] = race
        race.locks = race_locks
        race.cpu, race.seconds = cpu_by_process(server_pid) - cpu_before, elapsed
        print(f"INFO {level} scanner(s): {done} scans in {elapsed:.1f} s", flush=True)
    ledger = stats.ledger + mixed.ledger + [t for r in race_stats.values() for t in r.ledger]
    return {
        "mixed": mixed,
        "setup": stats,
        "races": race_stats,
        "rates": rates,
        "ledger": ledger,
        "locks": locks,
        "load": (load_before, load_after),
        "cpu": cpu,
        "seconds": traffic_seconds,
    }


def cpu_by_process(server_pid: int) -> Counter:
    """CPU seconds used so far, from /proc: the whole machine's busy time, and that of the server (gunicorn and
    its workers), PostgreSQL's processes, this client, and everything else."""
    tick = os.sysconf("SC_CLK_TCK")
    used: Counter = Counter()
    with open("/proc/stat") as stat:
        user, nice, system, _idle, _iowait, irq, softirq, steal = (
            int(n) for n in stat.readline().split()[1:9]
        )
    used["machine"] = (user + nice + system + irq + softirq + steal) / tick
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                line = stat.read()
        except OSError:
            continue  # gone since the listing
        name = line[line.index("(") + 1 : line.rindex(")")]
        fields = line[line.rindex(")") + 2 :].split()
        # Its own time, and that of its children that have ended: a database session that ended (a worker's
        # connection is renewed every DB_CONN_MAX_AGE seconds) is counted in the postmaster's.
        ppid, seconds = int(fields[1]), sum(int(n) for n in fields[11:15]) / tick
        pid = int(entry)
        if pid == os.getpid():
            used["the load test's clients"] += seconds
        elif server_pid in (pid, ppid):
            used["the server"] += seconds
        elif name == "postgres":
            used["PostgreSQL"] += seconds
    # Everything else, the processes that came and went included.
    used["other processes"] = used["machine"] - sum(v for k, v in used.items() if k != "machine")
    return used


def sample_locks(admin_url: str, db: str, stop: threading.Event, found: Counter) -> None:
    """Five times a second: how many of the server's database sessions are working, and how many of those
    are waiting for a row lock, on what. Says whether one lock (the audit head, the site) dominates."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        while not stop.wait(0.2):
            rows = conn.execute(
                "SELECT state, wait_event_type, query FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid() AND backend_type = 'client backend'",
                [db],
            ).fetchall()
            found["samples"] += 1
            for state, wait, query in rows:
                if state != "active":
                    continue
                found["active"] += 1
                if wait == "Lock":
                    found["waiting"] += 1
                    found[f"waiting: {lock_of(query)}"] += 1


def lock_of(query: str) -> str:
    for table, words in (
        ("audit_head", "the audit head row"),
        ("inventory_site", "a site row (the interlock's lock)"),
        ("checklists_taprecord", "a tap's key"),
        ('"checklists_step"', "a step row"),
        ('"checklists_run"', "a run row"),
        ("inventory_tag", "a tag row"),
        ("inventory_device", "a device row"),
    ):
        if table in query:
            return words
    return f"other: {query[:80]}"


def verify(env: dict[str, str], ledger: list[dict], since_seq: int) -> list[str]:
    import world

    python = sys.executable
    audit = subprocess.run(
        [python, "manage.py", "verify_audit"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    problems = []
    said = (audit.stdout + audit.stderr).strip().splitlines()
    print(f"CHECK manage.py verify_audit: exit {audit.returncode}: {said[-1] if said else ''}", flush=True)
    if audit.returncode != 0:
        problems.append("verify_audit failed: " + " / ".join(said[-5:]))
    found = world.check(ledger, since_seq=since_seq)
    answered = sum(1 for t in ledger if 200 <= t["status"] < 300)
    if found:
        print(f"CHECK taps and signatures: {len(found)} problem(s)", flush=True)
        for problem in found[:20]:
            print(f"CHECK   {problem}", flush=True)
    else:
        print(
            f"CHECK no step signed twice; each of the {answered} taps answered 2xx (and every STOP) is in the "
            "database exactly once, and nothing else was acted on",
            flush=True,
        )
    print(f"INFO rows: {json.dumps(world.tally())}", flush=True)
    return problems + found


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))] if ordered else 0.0


def report(results: dict, problems: list[str]) -> int:
    mixed: phones.Stats = results["mixed"]
    for kind in KINDS:
        values = mixed.ms.get(kind, [])
        print(f"BENCH loadtest_{kind}_p50 {percentile(values, 50):.0f} ms", flush=True)
        print(f"BENCH loadtest_{kind}_p95 {percentile(values, 95):.0f} ms", flush=True)
    errors = mixed.errors + results["setup"].errors + [e for r in results["races"].values() for e in r.errors]
    print(f"BENCH loadtest_errors {len(errors)} count", flush=True)
    for level, rate in results["rates"].items():
        print(f"BENCH loadtest_scans_per_second_{level} {rate:.1f} /s", flush=True)
    for kind, values in sorted(mixed.ms.items()):
        print(
            f"INFO {kind}: {len(values)} requests, p50 {percentile(values, 50):.0f} ms, "
            f"p95 {percentile(values, 95):.0f} ms, max {max(values):.0f} ms",
            flush=True,
        )
    for level, race in results["races"].items():
        values = race.ms.get("race", [])
        print(
            f"INFO scans with {level} scanner(s): p50 {percentile(values, 50):.0f} ms, p95 {percentile(values, 95):.0f} ms",
            flush=True,
        )
    print(f"INFO taps by answer: {dict(sorted(mixed.counts.items()))}", flush=True)
    phases = [("the traffic", results["locks"])]
    phases += [(f"{level} scanner(s)", race.locks) for level, race in results["races"].items()]
    for phase, locks in phases:
        if not locks["active"]:
            continue
        waits = ", ".join(f"{k[9:]} {v}" for k, v in locks.most_common() if k.startswith("waiting: "))
        print(
            f"INFO database sessions at work during {phase}, sampled 5x a second: {locks['active']} seen "
            f"working, {locks['waiting']} of them waiting for a lock "
            f"({100 * locks['waiting'] / locks['active']:.0f}%)" + (f": {waits}" if waits else ""),
            flush=True,
        )
    print(
        f"INFO load average during the traffic: {results['load'][0]} at its start, {results['load'][1]} at its end",
        flush=True,
    )
    phases = [("the traffic", results["cpu"], results["seconds"])]
    phases += [(f"{level} scanner(s)", race.cpu, race.seconds) for level, race in results["races"].items()]
    cores = os.cpu_count() or 1
    for phase, cpu, seconds in phases:
        print(
            f"INFO CPU during {phase}: {100 * cpu['machine'] / seconds / cores:.0f}% of {cores} cores busy; "
            + ", ".join(
                f"{name} {100 * cpu[name] / seconds / cores:.0f}%"
                for name in ("the server", "PostgreSQL", "the load test's clients", "other processes")
            ),
            flush=True,
        )
    for error in errors[:10]:
        print(f"ERROR {error}", flush=True)
    slow = [k for k in KINDS if percentile(mixed.ms.get(k, []), 95) > AIM_P95_MS]
    rates = list(results["rates"].values())
    falling = any(later < earlier * 0.9 for earlier, later in itertools.pairwise(rates))
    print(
        f"AIM p95 <= {AIM_P95_MS} ms for {', '.join(KINDS)}: {'met' if not slow else 'NOT met for ' + ', '.join(slow)}"
    )
    print(f"AIM no errors: {'met' if not errors else f'NOT met ({len(errors)})'}")
    print(f"AIM scans per second do not fall as scanners are added: {'NOT met' if falling else 'met'}")
    print(f"AIM integrity: {'held' if not problems else f'{len(problems)} PROBLEM(S)'}", flush=True)
    return 1 if errors or problems else 0


if __name__ == "__main__":
    sys.exit(main())
