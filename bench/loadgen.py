"""A load generator that calls like Twilio: form posts signed with RequestValidator, keep-alive connections.

`concurrency` simulated callers run as threads spread over a few processes
(one Python process cannot drive 128 connections fast enough alone); each
caller plays `script(client, call_number)` again and again until the call
budget or the time budget is used up.
"""
from __future__ import annotations

import http.client
import multiprocessing as mp
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from twilio.request_validator import RequestValidator

from bench.core import percentiles
from bench.workers import run_parallel


@dataclass
class Tally:
    """What one simulated caller saw: step latencies and answer codes."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    failures: int = 0  # no HTTP answer at all (connection refused, reset, timeout)
    calls: int = 0
    completed: int = 0  # calls whose script reached its goal (e.g. a booking)
    kinds: Counter = field(default_factory=Counter)  # what the answers were, as the script classifies them


class SignedClient:
    """One keep-alive connection that posts forms signed as Twilio signs them."""

    def __init__(self, base_url: str, token: str, tally: Tally, timeout: float = 30) -> None:
        parsed = urllib.parse.urlsplit(base_url)
        self.base_url, self.host, self.port = base_url.rstrip("/"), parsed.hostname, parsed.port
        self.validator, self.tally, self.timeout = RequestValidator(token), tally, timeout
        self.conn: http.client.HTTPConnection | None = None

    def post(self, path: str, params: dict[str, str], headers: dict | None = None) -> tuple[int, str]:
        """POST a signed form; returns (status, body), status 0 when nothing came back."""
        url = path if path.startswith("http") else self.base_url + path
        signature = self.validator.compute_signature(url, params)
        body = urllib.parse.urlencode(params)
        hdrs = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature,
                **(headers or {})}
        parts = urllib.parse.urlsplit(url)
        return self.request("POST", (parts.path or "/") + (f"?{parts.query}" if parts.query else ""), body, hdrs)

    def request(self, method: str, path: str, body: str | bytes | None = None,
                headers: dict | None = None) -> tuple[int, str]:
        """One request on the kept-alive connection, timed; reconnects once if the server closed it."""
        for attempt in range(2):
            started = time.perf_counter()
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
                self.conn.request(method, path, body=body, headers=headers or {})
                response = self.conn.getresponse()
                text = response.read().decode("utf-8", "replace")
            except (http.client.HTTPException, OSError):
                self.close()
                if attempt == 0:
                    continue
                self.tally.failures += 1
                return 0, ""
            self.tally.latencies.append(time.perf_counter() - started)
            self.tally.statuses[response.status] += 1
            if response.getheader("Connection", "").lower() == "close":
                self.close()
            return response.status, text
        return 0, ""

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


Script = Callable[[SignedClient, int], bool]


class LoadJob:
    """One load-generator process: `threads` callers sharing a global call counter."""

    def prepare(self, index, *args):
        return None

    def __call__(self, index, _prepared, base_url, token, script, threads, duration_s, max_calls, counter,
                 first_number=0):
        deadline = time.monotonic() + duration_s
        tallies = [Tally() for _ in range(threads)]

        def caller(tally: Tally) -> None:
            client = SignedClient(base_url, token, tally)
            while time.monotonic() < deadline:
                with counter.get_lock():
                    if counter.value >= first_number + max_calls:
                        break
                    counter.value += 1
                    number = counter.value
                tally.calls += 1
                if script(client, number):
                    tally.completed += 1
            client.close()

        workers = [threading.Thread(target=caller, args=(t,)) for t in tallies]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        merged = Tally()
        for t in tallies:
            merged.latencies += t.latencies
            merged.statuses.update(t.statuses)
            merged.failures += t.failures
            merged.calls += t.calls
            merged.completed += t.completed
            merged.kinds.update(t.kinds)
        return merged


def run_load(base_url: str, token: str, script: Script, concurrency: int, duration_s: float, max_calls: int,
             processes: int = 2, first_number: int = 0) -> dict:
    """Drive `concurrency` callers for at most `duration_s` seconds or `max_calls` calls; a summary.

    Calls are numbered from `first_number` + 1, so runs on one database never reuse a caller or person.
    """
    processes = max(1, min(processes, concurrency))
    counter = mp.get_context("fork").Value("l", first_number)
    per_process = [concurrency // processes + (1 if i < concurrency % processes else 0) for i in range(processes)]
    job = LoadJob()
    tallies, seconds = _run_split(job, per_process, (base_url, token, script), duration_s, max_calls, counter,
                                  first_number)
    return summarise(tallies, seconds, concurrency)


def _run_split(job, per_process, args, duration_s, max_calls, counter, first_number):
    """run_parallel with a different thread count per process."""
    class Split:
        def prepare(self, index, *a):
            return None

        def __call__(self, index, prepared, *a):
            return job(index, prepared, *args, per_process[index], duration_s, max_calls, counter, first_number)

    return run_parallel(Split(), len(per_process), (), timeout=duration_s + 120)


def summarise(tallies: list[Tally], seconds: float, concurrency: int) -> dict:
    """Steps per second, latency percentiles, answer codes, 5xx and failures."""
    latencies = [x for t in tallies for x in t.latencies]
    statuses, kinds = Counter(), Counter()
    for t in tallies:
        statuses.update(t.statuses)
        kinds.update(t.kinds)
    steps = len(latencies)
    return {"concurrency": concurrency, "seconds": round(seconds, 3), "calls": sum(t.calls for t in tallies),
            "completed_calls": sum(t.completed for t in tallies), "steps": steps,
            "steps_per_s": round(steps / seconds, 1) if seconds else 0.0, **percentiles(latencies),
            "status_5xx": sum(n for s, n in statuses.items() if s >= 500),
            "no_answer": sum(t.failures for t in tallies),
            "statuses": {str(k): v for k, v in sorted(statuses.items())},
            **({"answers": dict(kinds)} if kinds else {})}
