"""The load test's phones and desks: HTTP clients that do what the pages' own scripts do, nothing more.

A tech's phone logs in through the login form, opens the current step of its run, and asks for the step panel
every 3 s as htmx does (`HX-Request`), keeping the panel it has unless its `data-state` changed (as the page
does). A pair taps every 5-15 s: whichever of its two phones shows a form to tap (a STOP to answer first)
sends it as static/lockstep/taps.js sends a tap: the form's fields, urlencoded, with `Idempotency-Key` and
`X-Requested-With: fetch`; the answer is the new panel. A tap at a scan reads the label the plan says is on
the asset (4% of the time the label of the port beside it); 2% of taps are sent again with the same key, as
the phone does when a reply is lost. An approver's desk asks for the board every 5 s, resolves the
discrepancies and releases the hold points it shows, through the pages' own forms.

Every request is timed from connect to the last byte. Each tap the server answered is written to a ledger,
which run.py checks against the database afterwards. Only the standard library: http.client, one connection
per request (gunicorn's sync workers close each one after answering, as a proxy's upstream would).
"""

from __future__ import annotations

import http.client
import random
import re
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

POLL_SECONDS = 3.0
BOARD_SECONDS = 5.0
TAP_SECONDS = (5.0, 15.0)
WRONG_LABEL = 0.04
RESENT = 0.02
TIMEOUT = 30.0

STEP_ACTION = re.compile(r"^/runs/(\d+)/steps/(\d+)/(scan|sign|stopped|release)/$")


class Stats:
    """Timings by kind of request, the errors, and the ledger of answered taps. Shared by every thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ms: dict[str, list[float]] = {}
        self.errors: list[str] = []
        self.ledger: list[dict] = []
        self.counts: dict[str, int] = {}
        self.locks: Counter = Counter()  # the database's lock waits, sampled while these requests ran
        self.cpu: Counter = Counter()  # CPU seconds by process while these requests ran, and over how long
        self.seconds = 0.0

    def time(self, kind: str, ms: float) -> None:
        with self.lock:
            self.ms.setdefault(kind, []).append(ms)

    def error(self, what: str) -> None:
        with self.lock:
            self.errors.append(what)

    def count(self, what: str) -> None:
        with self.lock:
            self.counts[what] = self.counts.get(what, 0) + 1

    def tap(self, entry: dict) -> None:
        with self.lock:
            self.ledger.append(entry)


@dataclass
class Form:
    action: str
    attrs: dict[str, str]
    fields: dict[str, str] = field(default_factory=dict)


class Page(HTMLParser):
    """What a client needs from a page: its forms, its links, and the step panel's state."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.links: list[tuple[str, str]] = []
        self.state: str | None = None
        self.follow: str | None = None
        self.verdicts: list[str] = []
        self._form: Form | None = None
        self._link: list | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = Form(a.get("action", ""), a)
            self.forms.append(self._form)
        elif tag in ("input", "textarea") and self._form is not None and a.get("name"):
            self._form.fields[a["name"]] = a.get("value", "")
        elif tag == "a" and a.get("href"):
            self._link = [a["href"], ""]
        elif tag == "div" and a.get("id") == "step-panel":
            self.state = a.get("data-state", "")
            self.follow = a.get("data-follow") or None
        if "data-verdict" in a:
            self.verdicts.append(a["data-verdict"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "a" and self._link is not None:
            self.links.append((self._link[0], self._link[1].strip()))
            self._link = None

    def handle_data(self, data: str) -> None:
        if self._link is not None:
            self._link[1] += data

    @property
    def verdict(self) -> str | None:
        """What the answer says of the tap: a refusal, whatever else the panel shows (a STOP still waiting
        to be answered); "stop" for a scan that did not match; "good"."""
        if "refused" in self.verdicts:
            return "refused"
        return self.verdicts[0] if self.verdicts else None

    def link(self, starts: str) -> str | None:
        return next((href for href, text in self.links if text.startswith(starts)), None)

    def tap_forms(self) -> list[Form]:
        return [f for f in self.forms if "data-tap" in f.attrs]


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: str
    ms: float

    def page(self) -> Page:
        return Page(self.body)


class Browser:
    """One person's browser: its own cookies (session, CSRF, the phone's device id), behind the TLS proxy."""

    def __init__(self, base: str, stats: Stats, name: str) -> None:
        parts = urlsplit(base)
        self.host, self.port = parts.hostname, parts.port
        self.origin = f"https://{parts.netloc}"  # what the proxy in front of it serves
        self.stats = stats
        self.name = name
        self.cookies: dict[str, str] = {}
        self.lock = threading.Lock()

    def request(self, method: str, path: str, *, kind: str, body: str = "", headers=None) -> Answer | None:
        """One request, timed and counted under `kind`; None (and an error) when no answer came."""
        with self.lock:
            cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        sent = {
            "Host": f"{self.host}:{self.port}",
            "X-Forwarded-Proto": "https",
            "User-Agent": f"lockstep-loadtest ({self.name})",
            "Accept": "text/html,*/*",
            **({"Cookie": cookie} if cookie else {}),
            **(headers or {}),
        }
        if method == "POST":
            sent.setdefault("Content-Type", "application/x-www-form-urlencoded")
            sent.setdefault("Origin", self.origin)
        start = time.perf_counter()
        try:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT)
            try:
                conn.request(method, path, body=body.encode() if body else None, headers=sent)
                response = conn.getresponse()
                data = response.read()
            finally:
                conn.close()
        except (OSError, http.client.HTTPException) as exc:
            self.stats.error(f"{kind} {method} {path}: {type(exc).__name__}: {exc}")
            return None
        ms = (time.perf_counter() - start) * 1000
        self.stats.time(kind, ms)
        for header in response.headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(header)
            with self.lock:
                for name, morsel in jar.items():
                    if morsel["max-age"] == "0" or not morsel.value:
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.value
        if response.status >= 500:
            self.stats.error(f"{kind} {method} {path}: {response.status}")
        return Answer(response.status, response.headers, data.decode("utf-8", "replace"), ms)

    def get(self, path: str, *, kind: str, headers=None) -> Answer | None:
        return self.request("GET", path, kind=kind, headers=headers)

    def open(self, path: str, *, kind: str = "page") -> tuple[str, Answer | None]:
        """A page as the browser opens it: redirects followed. Returns where it ended up, and its answer."""
        for _ in range(5):
            answer = self.get(path, kind=kind)
            if answer is None or answer.status not in (301, 302, 303):
                if answer is not None and answer.status != 200:
                    self.stats.error(f"{kind} GET {path}: {answer.status}")
                return path, answer
            path = urlsplit(answer.headers["Location"]).path
        self.stats.error(f"{kind} GET {path}: too many redirects")
        return path, None

    def post_form(
        self, page_path: str, form: Form, fields: dict[str, str], *, kind: str, tap: bool
    ) -> Answer | None:
        headers = {"Referer": self.origin + page_path}
        if tap:  # as taps.js sends it, with a step panel on the page
            headers |= {"Idempotency-Key": fields["idem"], "X-Requested-With": "fetch"}
        return self.request("POST", form.action, kind=kind, body=urlencode(fields), headers=headers)

    def log_in(self, username: str, password: str) -> bool:
        _path, answer = self.open("/login/", kind="login")
        if answer is None or answer.status != 200:
            return False
        form = next(f for f in answer.page().forms if f.action == "/login/")
        fields = form.fields | {"username": username, "password": password}
        done = self.post_form("/login/", form, fields, kind="login", tap=False)
        if done is None or done.status != 302 or "sessionid" not in self.cookies:
            self.stats.error(f"login {username}: {done.status if done else 'no answer'}")
            return False
        return True


class Tech:
    """A tech's phone on the step page of their run: polls the panel and keeps the one the page shows."""

    def __init__(self, browser: Browser, username: str, run: int, labels: dict[str, dict[str, str]]) -> None:
        self.browser = browser
        self.username = username
        self.run = run
        self.labels = labels
        self.lock = threading.Lock()
        self.path = f"/runs/{run}/current/"
        self.panel: Page | None = None

    def open_current(self) -> None:
        self.goto(f"/runs/{self.run}/current/")

    def goto(self, path: str) -> None:
        where, answer = self.browser.open(path)
        if answer is not None and answer.status == 200:
            with self.lock:
                self.path, self.panel = where, answer.page()

    def poll(self) -> None:
        answer = self.browser.get(
            self.path,
            kind="poll",
            headers={
                "HX-Request": "true",
                "HX-Current-URL": self.browser.origin + self.path,
                "HX-Target": "step-panel",
                "HX-Trigger": "step-panel",
            },
        )
        if answer is None:
            return
        if answer.status != 200:
            self.browser.stats.error(f"poll {self.path}: {answer.status}")
            return
        fresh = answer.page()
        with self.lock:
            if self.panel is None or fresh.state != self.panel.state:
                self.panel = fresh
        self.move_on(fresh)

    def move_on(self, panel: Page) -> None:
        """The page goes where the work went: the next step once this one is complete, or the rollback."""
        if panel.follow:
            self.goto(panel.follow)
        elif (next_step := panel.link("Next:")) is not None and not panel.tap_forms():
            self.goto(next_step)

    def show(self, answer: Answer) -> None:
        """A tap's answer is the panel the page shows now."""
        page = answer.page()
        if page.state is not None:
            with self.lock:
                self.panel = page


def tap(tech: Tech, form: Form, stats: Stats, rng: random.Random) -> None:
    """Send one tap as the page's script does, then (sometimes) again with the same key."""
    match = STEP_ACTION.match(form.action)
    if match is None:
        stats.error(f"tap: unexpected form {form.action}")
        return
    run, position, kind = int(match[1]), int(match[2]), match[3]
    fields = dict(form.fields)
    if kind == "scan":
        label = tech.labels[str(position)]
        wrong = rng.random() < WRONG_LABEL
        fields |= {"method": "camera", "code": label["wrong" if wrong else "code"]}
        if "serial" in fields:
            fields["serial"] = label["serial"]
    answer = tech.browser.post_form(tech.path, form, fields, kind=kind, tap=True)
    if answer is None:
        return
    if "Idempotent-Answer" not in answer.headers:
        stats.error(f"{kind} {form.action}: {answer.status} without Idempotent-Answer")
        return
    page = answer.page()
    entry = {
        "kind": kind,
        "user": tech.username,
        "run": run,
        "position": position,
        "key": fields["idem"],
        "status": answer.status,
        "verdict": page.verdict,
    }
    stats.tap(entry)
    stats.count(f"{kind} {answer.status}{' stop' if page.verdict == 'stop' else ''}")
    if rng.random() < RESENT:
        again = tech.browser.post_form(tech.path, form, fields, kind="resent", tap=True)
        if again is not None and (
            again.status != answer.status or again.headers.get("Idempotent-Replay") != "true"
        ):
            stats.error(
                f"resent {kind} {form.action}: {again.status}, replay={again.headers.get('Idempotent-Replay')}"
            )
    tech.show(answer)


def pair_taps(techs: list[Tech], stats: Stats, stop: threading.Event, rng: random.Random) -> None:
    """One tap per pair every 5-15 s, by whichever of the two phones has something to tap."""
    while not stop.wait(rng.uniform(*TAP_SECONDS)):
        offered = []
        for tech in techs:
            with tech.lock:
                panel = tech.panel
            for form in panel.tap_forms() if panel else []:
                offered.append((tech, form))
        stops = [(t, f) for t, f in offered if f.action.endswith("/stopped/")]
        if stops or offered:
            tech, form = rng.choice(stops or offered)
            tap(tech, form, stats, rng)


def polls(tech: Tech, stop: threading.Event, rng: random.Random) -> None:
    stop.wait(rng.uniform(0, POLL_SECONDS))
    while not stop.is_set():
        began = time.monotonic()
        tech.poll()
        stop.wait(max(0.0, POLL_SECONDS - (time.monotonic() - began)))


class Desk:
    """An approver at the board: it refreshes every 5 s; the discrepancies and hold points it shows are
    resolved and released by one of the approvers (each takes its share)."""

    def __init__(self, browser: Browser, username: str, share: tuple[int, int]) -> None:
        self.browser = browser
        self.username = username
        self.share = share

    def mine(self, href: str) -> bool:
        return sum(int(n) for n in re.findall(r"\d+", href)) % self.share[1] == self.share[0]

    def watch(self, stats: Stats, stop: threading.Event, rng: random.Random) -> None:
        self.browser.open("/approvals/board/")
        stop.wait(rng.uniform(0, BOARD_SECONDS))
        while not stop.is_set():
            began = time.monotonic()
            answer = self.browser.get("/approvals/board/", kind="board", headers={"HX-Request": "true"})
            if answer is not None and answer.status != 200:
                stats.error(f"board: {answer.status}")
            elif answer is not None:
                board = answer.page()
                for href, text in board.links:
                    if text.startswith("Resolve") and self.mine(href):
                        self.act(
                            href, "/resolve/", "resolve", stats, {"resolution": "Label checked at the rack."}
                        )
                    elif text.startswith("Review and release") and self.mine(href):
                        self.act(href, "/release/", "release", stats, {})
            stop.wait(max(0.0, BOARD_SECONDS - (time.monotonic() - began)))

    def act(self, href: str, ending: str, kind: str, stats: Stats, extra: dict[str, str]) -> None:
        where, answer = self.browser.open(href)
        if answer is None or answer.status != 200:
            return
        form = next((f for f in answer.page().forms if f.action.endswith(ending)), None)
        if form is None:
            return  # already done by the time the page opened
        fields = form.fields | extra
        done = self.browser.post_form(where, form, fields, kind=kind, tap=False)
        if done is None:
            return
        if "Idempotent-Answer" not in done.headers:
            stats.error(f"{kind} {form.action}: {done.status} without Idempotent-Answer")
            return
        stats.count(f"{kind} {done.status}")
        step = STEP_ACTION.match(form.action)
        stats.tap(
            {
                "kind": kind,
                "user": self.username,
                "run": int(step[1]) if step else None,
                "position": int(step[2]) if step else None,
                "object": None if step else int(re.findall(r"\d+", form.action)[0]),
                "key": fields["idem"],
                "status": done.status,
                "verdict": None,
            }
        )


def scan_race(
    scanners: list[tuple[Browser, str, list[dict]]], stats: Stats, seconds: float
) -> tuple[int, float]:
    """Each scanner scans the identity checks of its runs in order, each scan sent as the page sends it once
    the previous answer is in, until `seconds` have passed. Returns the scans answered 2xx and the seconds
    from the first scan sent to the last answer."""
    done = [0] * len(scanners)

    def race(n: int, browser: Browser, username: str, runs: list[dict], token: str) -> None:
        for run in runs:
            for position, code in run["steps"]:
                if time.monotonic() >= deadline:
                    return
                key = uuid.uuid4().hex  # the shape of the key the server puts in the form
                fields = {"csrfmiddlewaretoken": token, "idem": key, "method": "camera", "code": code}
                form = Form(f"/runs/{run['run']}/steps/{position}/scan/", {})
                answer = browser.post_form(
                    f"/runs/{run['run']}/steps/{position}/", form, fields, kind="race", tap=True
                )
                if answer is None:
                    continue
                if answer.status != 200 or "Idempotent-Answer" not in answer.headers:
                    stats.error(f"race scan {form.action}: {answer.status}")
                    continue
                done[n] += 1
                stats.tap(
                    {
                        "kind": "scan",
                        "user": username,
                        "run": run["run"],
                        "position": position,
                        "key": key,
                        "status": answer.status,
                        "verdict": "good",
                    }
                )
        stats.error(f"race: {username} ran out of steps to scan")

    tokens = []
    for browser, _username, runs in scanners:
        _path, page = browser.open(f"/runs/{runs[0]['run']}/steps/1/")
        forms = page.page().forms if page is not None and page.status == 200 else []
        tokens.append(
            next((f.fields["csrfmiddlewaretoken"] for f in forms if "csrfmiddlewaretoken" in f.fields), "")
        )
    began = time.monotonic()
    deadline = began + seconds
    threads = [
        threading.Thread(target=race, args=(n, browser, username, runs, tokens[n]), daemon=True)
        for n, (browser, username, runs) in enumerate(scanners)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done), time.monotonic() - began
