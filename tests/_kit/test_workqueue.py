"""The controllers' work queue: delays, debounce (the earlier time wins), one worker per key,
re-processing of a key added while it is worked on, and close."""

from __future__ import annotations

import asyncio

from gitferry._kit.workqueue import WorkQueue


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(asyncio.wait_for(coro, 10))


def test_keys_come_out_in_due_order_and_a_repeated_add_keeps_the_earlier_time() -> None:
    async def scenario() -> list[str]:
        queue = WorkQueue()
        queue.add("late", 0.2)
        queue.add("soon", 0.05)
        queue.add("now")
        queue.add("late", 0.5)  # later than its first add: ignored
        queue.add("soon", 0.0)  # earlier: wins
        taken = []
        for _ in range(3):
            key = await queue.get()
            assert key is not None
            taken.append(key)
            queue.done(key)
        assert len(queue) == 0
        return taken

    assert run(scenario()) == ["now", "soon", "late"]


def test_a_delay_is_respected() -> None:
    async def scenario() -> float:
        queue = WorkQueue()
        loop = asyncio.get_running_loop()
        start = loop.time()
        queue.add("k", 0.2)
        assert await queue.get() == "k"
        return loop.time() - start

    assert run(scenario()) >= 0.19


def test_a_key_added_while_active_runs_once_more_afterwards_never_concurrently() -> None:
    async def scenario() -> list[str]:
        queue = WorkQueue()
        events: list[str] = []

        async def worker(name: str) -> None:
            while (key := await queue.get()) is not None:
                events.append(f"{name} start {key}")
                if len(events) == 1:
                    queue.add(key)  # while active: deferred
                    queue.add(key)  # once only
                await asyncio.sleep(0.05)
                events.append(f"{name} end {key}")
                queue.done(key)

        workers = [asyncio.create_task(worker(f"w{i}")) for i in range(4)]
        queue.add("app")
        await asyncio.sleep(0.3)
        queue.close()
        await asyncio.gather(*workers)
        return events

    events = run(scenario())
    assert [e.split(" ", 1)[1] for e in events] == [
        "start app",
        "end app",
        "start app",
        "end app",
    ]


def test_every_key_is_taken_by_exactly_one_of_many_workers() -> None:
    async def scenario() -> list[str]:
        queue = WorkQueue()
        taken: list[str] = []

        async def worker() -> None:
            while (key := await queue.get()) is not None:
                taken.append(key)
                await asyncio.sleep(0)
                queue.done(key)

        workers = [asyncio.create_task(worker()) for _ in range(32)]
        for i in range(500):
            queue.add(f"app-{i}", (i % 7) / 100)
        await asyncio.sleep(0.3)
        queue.close()
        await asyncio.gather(*workers)
        return taken

    taken = run(scenario())
    assert sorted(taken) == sorted(f"app-{i}" for i in range(500))


def test_close_stops_every_waiting_worker_and_later_adds_are_ignored() -> None:
    async def scenario() -> list[str | None]:
        queue = WorkQueue()
        waiting = [asyncio.create_task(queue.get()) for _ in range(5)]
        await asyncio.sleep(0.01)
        queue.close()
        queue.add("ignored")
        return [*await asyncio.gather(*waiting), await queue.get()]

    assert run(scenario()) == [None] * 6
