"""The measuring parts of ``bench/search.py``: a timing HTTP client, the statements a view issues, plans.

Kept apart from the run itself so each module stays readable (and under ~400 lines).
"""

from __future__ import annotations

import http.client
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench._harness import HOST, BenchError

NOOP_PATH = "/api/v1/bench/noop"  # bench/urls_search.py


# --- the HTTP client --------------------------------------------------------------------------------


class Client:
    """One http.client connection (reopened when gunicorn's sync worker closes it); times whole requests."""

    def __init__(self, port: int, token: str) -> None:
        self.connection = http.client.HTTPConnection(HOST, port, timeout=30)
        self.headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    def get(self, path: str) -> tuple[float, int, bytes]:
        started = time.perf_counter()
        self.connection.request("GET", path, headers=self.headers)
        response = self.connection.getresponse()
        body = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        if response.will_close:
            self.connection.close()
        return elapsed, response.status, body


# --- in process: the statements the view issues ------------------------------------------------------


@dataclass
class Captured:
    statements: list[str]  # as the endpoint sends them (client-side binding: literals in the text)
    prepared: list[tuple[str, Any]]  # the same, SQL with placeholders + parameters
    rows: int


def capture(paths: list[str], token: str) -> tuple[list[Captured], int]:
    """Run the real view in process on each path; the statements each issues beyond the no-op view's."""
    import psycopg
    from django.db import connection
    from django.test import Client as DjangoClient

    client = DjangoClient(HTTP_HOST=HOST, headers={"Authorization": f"Bearer {token}"})
    seen: list[tuple[str, Any]] = []

    def record(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        seen.append((sql, params))
        return execute(sql, params, many, context)

    def run(path: str) -> list[tuple[str, Any]]:
        seen.clear()
        with connection.execute_wrapper(record):
            response = client.get(path)
        if response.status_code != 200:
            raise BenchError(f"{path} answered {response.status_code} in process: {response.content[:500]!r}")
        return list(seen)

    baseline = {sql for sql, _ in run(NOOP_PATH)}
    results = []
    for path in paths:
        own = [(sql, params) for sql, params in run(path) if sql not in baseline]
        connection.ensure_connection()
        raw = connection.connection
        literal = [psycopg.ClientCursor(raw).mogrify(sql, params) for sql, params in own]
        results.append(Captured(literal, own, 0))
    return results, len(baseline)


# --- raw SQL and plans ---------------------------------------------------------------------------------


def run_statements(conn: Any, captured: Captured, *, prepared: bool) -> tuple[float, int]:
    """ms to execute and fetch every statement of one search; rows of the last."""
    import psycopg

    rows = 0
    started = time.perf_counter()
    if prepared:
        for sql, params in captured.prepared:
            with conn.cursor() as cursor:
                cursor.execute(sql, params, prepare=True)
                rows = len(cursor.fetchall())
    else:
        for statement in captured.statements:
            with psycopg.ClientCursor(conn) as cursor:
                cursor.execute(statement)
                rows = len(cursor.fetchall())
    return (time.perf_counter() - started) * 1000, rows


def _walk(node: dict[str, Any], depth: int = 0) -> list[tuple[int, dict[str, Any]]]:
    found = [(depth, node)]
    for child in node.get("Plans", []):
        found += _walk(child, depth + 1)
    return found


def explain(conn: Any, statement: str) -> dict[str, Any]:
    """EXPLAIN (ANALYZE, BUFFERS) of one statement: the JSON plan summarised, and its text form."""
    with conn.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {statement}")
        plan = cursor.fetchone()[0][0]
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {statement}")
        text = [row[0] for row in cursor.fetchall()]
    nodes = _walk(plan["Plan"])
    seq_scans = sorted({node.get("Relation Name", "?") for _, node in nodes if node["Node Type"] == "Seq Scan"})
    indexes = sorted({node["Index Name"] for _, node in nodes if "Index Name" in node})

    def line(depth: int, node: dict[str, Any]) -> str:
        target = node.get("Index Name") or node.get("Relation Name") or ""
        return (
            f"{'  ' * depth}{node['Node Type']}{' ' + target if target else ''}"
            f" rows={node.get('Actual Rows')} loops={node.get('Actual Loops')}"
            f" ms={node.get('Actual Total Time')}"
        )

    jit = plan.get("JIT")
    return {
        "execution_ms": plan.get("Execution Time"),
        "planning_ms": plan.get("Planning Time"),
        "jit_ms": round(sum(jit["Timing"].values()), 2) if jit and "Timing" in jit else None,
        "seq_scan_on_sitters": "sitters_sitterprofile" in seq_scans,
        "seq_scans": seq_scans,
        "indexes": indexes,
        "shared_buffers_hit": plan["Plan"].get("Shared Hit Blocks"),
        "shared_buffers_read": plan["Plan"].get("Shared Read Blocks"),
        "nodes": [line(depth, node) for depth, node in nodes],
        "text": text,
    }
