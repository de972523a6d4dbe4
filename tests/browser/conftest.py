"""A real browser against the real server: Debian's Chromium, driven through Debian's chromedriver by Selenium.

The server is uvicorn serving ``guardiannest.asgi`` (HTTP, the admin and its static files, ``/ws/v1``)
with the test settings, on the database pytest-django made and the test Redis (cache, sessions and
channel layer), as ``guardiannest/realtime/tests/processes.py`` starts realtime processes. Tests
therefore use ``django_db(transaction=True)``: what they write is committed, and the server sees it.
Static files are collected into the server's own folder first, as a deployment does.

One Chromium per module (starting one costs about a second); each test gets it with no cookies and
on a blank page. When a test fails, its screenshot, page HTML, browser console and the server's log
are kept in ``var/test-artifacts/browser/<test>.{png,html,console.log,server.log}``.

Chromium is never optional: ``make test`` installs it (scripts/test-services.sh); where it is missing
the tests fail saying how to install it. ``GN_CHROMIUM`` and ``GN_CHROMEDRIVER`` name other binaries.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import override_settings
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service

from guardiannest.realtime.tests.processes import ROOT, Realtime, realtime_process

CHROMIUM = os.environ.get("GN_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("GN_CHROMEDRIVER", "/usr/bin/chromedriver")
ARTIFACTS = ROOT / "var" / "test-artifacts" / "browser"
INSTALL_HINT = "apt-get install -y chromium chromium-driver (make test does it as root: scripts/test-services.sh)"

# Every socket a page opens, kept where a test can see it (window.__gnSockets): a test waits until the
# page's own script (admin-live.js) has its socket open before it makes something happen. Installed by
# the DevTools protocol before any page script runs; the page's CSP does not apply to it.
SOCKET_WATCH = """
(function () {
  var Native = window.WebSocket;
  var opened = [];
  function Watched(url, protocols) {
    var socket = protocols === undefined ? new Native(url) : new Native(url, protocols);
    opened.push(socket);
    return socket;
  }
  Watched.prototype = Native.prototype;
  ["CONNECTING", "OPEN", "CLOSING", "CLOSED"].forEach(function (name) { Watched[name] = Native[name]; });
  window.WebSocket = Watched;
  window.__gnSockets = opened;
}());
"""

SETTLE_SECONDS = 0.5

REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep each phase's report on the test, so its browser fixture knows at teardown whether it failed."""
    report = yield
    item.stash.setdefault(REPORTS, {})[report.when] = report
    return report


@dataclass
class LiveServer:
    """The server a browser talks to."""

    base: str
    process: Realtime

    def url(self, path: str) -> str:
        return self.base + path


@pytest.fixture(scope="module")
def server(
    django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """uvicorn serving guardiannest.asgi on the test database and Redis, its own folder, its static files."""
    var = tmp_path_factory.mktemp("server-var")
    with django_db_blocker.unblock():
        process = realtime_process("browser-server", VAR_DIR=str(var))
    base = f"http://127.0.0.1:{process.port}"
    # A deployment names the origin its pages are served from: the websocket origin check and CSRF use it.
    process.env = {**process.env, "CSRF_TRUSTED_ORIGINS": base}
    # Static files collected where the server serves them from (whitenoise, as deployed), from this process.
    with override_settings(STATIC_ROOT=var / "static"):
        call_command("collectstatic", interactive=False, verbosity=0)
    try:
        process.start()
        process.wait_ready()
        yield LiveServer(base=base, process=process)
    finally:
        process.stop()


def _options(profile: Path) -> webdriver.ChromeOptions:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",  # root in a container: Chromium's sandbox needs user namespaces it may not have
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",  # no calls home: this machine reaches no such host
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1280,1000",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return options


@pytest.fixture(scope="module")
def chromium(server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    """One headless Chromium for the module, with a fresh profile; it closes before the server stops."""
    for binary in (CHROMIUM, CHROMEDRIVER):
        if not os.access(binary, os.X_OK):
            pytest.fail(f"{binary} is missing: the browser tests need Chromium and its driver ({INSTALL_HINT}).")
    # The driver named here, so Selenium Manager never looks for (or downloads) one.
    service = Service(executable_path=CHROMEDRIVER, log_output=subprocess.DEVNULL)
    try:
        driver = webdriver.Chrome(service=service, options=_options(tmp_path_factory.mktemp("chromium-profile")))
    except WebDriverException as exc:
        pytest.fail(f"Chromium did not start ({INSTALL_HINT}): {exc.msg}")
    driver.set_page_load_timeout(30)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": SOCKET_WATCH})
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def browser(
    chromium: webdriver.Chrome, server: LiveServer, request: pytest.FixtureRequest
) -> Iterator[webdriver.Chrome]:
    """The module's Chromium with no cookies, on a blank page; a failed test leaves its artifacts behind."""
    chromium.execute_cdp_cmd("Network.clearBrowserCookies", {})
    chromium.get("about:blank")
    chromium.get_log("browser")  # what earlier tests printed is theirs
    yield chromium
    reports = request.node.stash.get(REPORTS, {})
    if any(report.failed for report in reports.values()):
        keep_artifacts(chromium, request.node.name, server.process)
    chromium.get("about:blank")  # the page's socket closes with it
    # The server finishes what the page last asked (a count, the socket's goodbye) before the test's
    # database is flushed: a flush racing a request's transaction once deadlocked.
    time.sleep(SETTLE_SECONDS)


def keep_artifacts(driver: webdriver.Chrome, test: str, server: Realtime) -> None:
    """Screenshot, page HTML, console and server log of a failed test, under var/test-artifacts/browser/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    stem = ARTIFACTS / re.sub(r"[^\w.-]+", "_", test)
    with contextlib.suppress(WebDriverException):
        driver.save_screenshot(str(stem.with_suffix(".png")))
    with contextlib.suppress(WebDriverException):
        stem.with_suffix(".html").write_text(f"<!-- {driver.current_url} -->\n{driver.page_source}")
    with contextlib.suppress(WebDriverException):
        lines = [json.dumps(entry) for entry in driver.get_log("browser")]
        stem.with_suffix(".console.log").write_text("\n".join(lines) + "\n")
    stem.with_suffix(".server.log").write_text(server.output())
