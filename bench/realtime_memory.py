"""Realtime process memory over many connect/disconnect cycles: what a socket leaves behind once closed.

Run: ``.venv/bin/python bench/realtime_memory.py`` — prints one JSON object (progress on stderr).

One uvicorn realtime process (compose.yaml's flags). ``--cycles`` times, in
``--parallel`` streams: a ticket, a websocket handshake, a ping answered by a
pong, a close. The process's resident memory (VmRSS) is read at each
``--every`` cycles; the goal is growth under 5% between ``--cycles``/2 and
``--cycles`` (the first half warms allocators and caches up). At the end the
process must count no open socket and no place in the user's set of sockets.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._app import app_env, prepare_app
from bench._harness import Server, cores, emit, install_cleanup, leftover_groups, log, stop_all, wait_for_quiet
from bench.chat import realtime_argv


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


async def cycles(server: Server, user_id: str, total: int, parallel: int, every: int) -> list[dict[str, int]]:
    import websockets
    from asgiref.sync import sync_to_async

    from guardiannest.realtime.tickets import ticket_issue

    assert server.proc is not None
    pid = server.proc.pid
    url = server.base_url.replace("http", "ws") + "/ws/v1?ticket="
    issue = sync_to_async(ticket_issue, thread_sensitive=False)
    samples = [{"cycles": 0, "rss_kib": rss_kib(pid)}]
    done = 0

    async def stream(count: int) -> None:
        nonlocal done
        for _ in range(count):
            socket = await websockets.connect(url + await issue(user_id=user_id), open_timeout=30)
            await socket.send('{"type":"ping"}')
            await asyncio.wait_for(socket.recv(), 10)
            await socket.close()
            done += 1

    for start in range(0, total, every):
        batch = min(every, total - start)
        await asyncio.gather(*(stream(batch // parallel + (n < batch % parallel)) for n in range(parallel)))
        await asyncio.sleep(0.5)  # let the last disconnects finish
        samples.append({"cycles": done, "rss_kib": rss_kib(pid)})
        log(f"{done} cycles: RSS {samples[-1]['rss_kib'] / 1024:.1f} MiB")
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cycles", type=int, default=10_000)
    parser.add_argument("--every", type=int, default=1_000)
    parser.add_argument("--parallel", type=int, default=10)
    parser.add_argument("--quiet", type=float, default=0.25)
    parser.add_argument("--max-wait", type=float, default=60)
    args = parser.parse_args()
    if args.cycles % args.every or (args.cycles // args.every) % 2:
        parser.error("--cycles must be an even number of --every")
    install_cleanup()
    env = app_env()
    env["REALTIME_SOCKETS_PER_USER"] = "100000"
    env["REALTIME_CLIENT_RATE"] = "100000"
    prepare_app(env)
    os.environ.update(env)
    import django

    django.setup()
    from accounts.models import Role, User
    from guardiannest.realtime.presence import user_is_online

    user: Any = User.objects.filter(email="memory@bench.example").first() or User.objects.create_user(
        "memory@bench.example", None, role=Role.PARENT, first_name="M", last_name="B"
    )
    server = Server("realtime", realtime_argv(), env, "/health/live")
    background = wait_for_quiet(args.quiet, args.max_wait)
    try:
        with server:
            samples = asyncio.run(cycles(server, str(user.pk), args.cycles, args.parallel, args.every))
            still_online = user_is_online(user_id=user.pk)
    finally:
        stop_all()
    by_cycles = {sample["cycles"]: sample["rss_kib"] for sample in samples}
    half, full = by_cycles[args.cycles // 2], by_cycles[args.cycles]
    growth = round((full - half) / half * 100, 2)
    emit(
        {
            "benchmark": "realtime_memory",
            "cores": cores(),
            "background_cpu_busy_at_start": background,
            "cycles": args.cycles,
            "parallel": args.parallel,
            "rss_kib": samples,
            f"rss_growth_percent_{args.cycles // 2}_to_{args.cycles}": growth,
            "user_still_counted_online": still_online,
            "goals": {"rss_growth_under_5_percent": growth < 5, "nothing_left_open": not still_online},
            "processes_left_behind": sorted(leftover_groups().values()),
        }
    )


if __name__ == "__main__":
    main()
