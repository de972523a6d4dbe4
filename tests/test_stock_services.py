"""`make test` and `make bench` run on a stock PostgreSQL and Redis: no Redis database past the 16 it has."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from django.conf import settings

from bench import _app, _harness
from bench.search_data import REDIS_URL as SEARCH_REDIS_URL
from guardiannest import settings_test

ROOT = Path(settings.BASE_DIR)
STOCK_REDIS_DATABASES = 16  # `databases 16`, Redis's default
REDIS_URL_WITH_DB = re.compile(r"redis://[^\s\"'/]*/(\d+)")


def _project_sources() -> list[Path]:
    return [
        path
        for path in ROOT.rglob("*")
        if path.suffix in {".py", ".sh", ".yaml", ".yml", ".example"}
        and not {".venv", "var", "node_modules", ".git"} & set(path.relative_to(ROOT).parts)
    ]


def test_no_source_names_a_redis_database_a_stock_server_lacks() -> None:
    found = {
        (str(path.relative_to(ROOT)), int(index))
        for path in _project_sources()
        for index in REDIS_URL_WITH_DB.findall(path.read_text(errors="replace"))
    }

    assert ("guardiannest/tests/test_settings.py", 2) in found  # the scan sees the URLs
    assert [(path, index) for path, index in found if index >= STOCK_REDIS_DATABASES] == []


def test_the_benchmarks_databases_exist_on_a_stock_server_and_anything_else_is_refused() -> None:
    for url in (_app.BENCH_REDIS_URL, SEARCH_REDIS_URL):
        assert int(url.rsplit("/", 1)[1]) < STOCK_REDIS_DATABASES
    assert _app.BENCH_REDIS_URL != SEARCH_REDIS_URL  # search flushes its own
    assert _app.STOCK_REDIS_DATABASES == STOCK_REDIS_DATABASES
    with pytest.raises(_harness.BenchError, match="databases 0-15"):
        _app.bench_redis_url(32)


def test_make_tests_workers_each_get_a_database_a_stock_server_has(monkeypatch: pytest.MonkeyPatch) -> None:
    workers = int(re.search(r"pytest -n (\d+)", (ROOT / "Makefile").read_text()).group(1))  # type: ignore[union-attr]
    monkeypatch.delenv("TEST_REDIS_DB_BASE", raising=False)  # make test sets no base

    indexes = set()
    for worker in [f"gw{number}" for number in range(workers)]:
        monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
        indexes.add(int(settings_test._per_worker_redis("redis://127.0.0.1:6379/0").rsplit("/", 1)[1]))

    assert len(indexes) == workers and max(indexes) < STOCK_REDIS_DATABASES
    bench = {int(url.rsplit("/", 1)[1]) for url in (_app.BENCH_REDIS_URL, SEARCH_REDIS_URL)}
    assert not indexes & bench  # a bench run never flushes a test worker's database


def test_the_bench_check_reads_the_servers_database_count() -> None:
    """This machine's Redis may have more than 16; the check asks the server and refuses what it lacks."""
    databases = int(redis.Redis.from_url(settings.REDIS_URL).config_get("databases")["databases"])
    server = urlsplit(settings.REDIS_URL)

    _app.redis_check(urlunsplit(server._replace(path=f"/{databases - 1}")))
    with pytest.raises(_harness.BenchError, match=f"this Redis has {databases} databases"):
        _app.redis_check(urlunsplit(server._replace(path=f"/{databases}")))
