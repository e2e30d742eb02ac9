"""Where the chunked steps of a build run: in this process, or on a Dask cluster.

A build is made of independent chunks, the cities: each is generated and written, then
explained and summarised (see :mod:`build.builder`). Locally they run one after the other in
bounded memory; with ``engine="dask"`` the same functions are mapped over the chunks on a
Dask cluster: an existing one given by its scheduler address, or a local cluster of worker
processes. Dask was chosen over Ray because it speaks pandas
and Parquet natively, its ``LocalCluster`` runs in tests on two cores, and its scheduler
is a single pip-installable process, so pointing a build at a real cluster is one address.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

Engine = Literal["local", "dask"]
ENGINES: tuple[str, ...] = ("local", "dask")


@dataclass(frozen=True)
class Executor:
    """Maps a function over chunks, in order."""

    map: Callable[[Callable[..., Any], Sequence[Any]], list[Any]]
    name: str


def _local_map(fn: Callable[..., Any], items: Sequence[Any]) -> list[Any]:
    return [fn(item) for item in items]


@contextmanager
def executor(engine: Engine = "local", *, scheduler: str | None = None,
             workers: int = 2) -> Iterator[Executor]:
    """Yield an executor for ``engine``; a Dask client is closed on exit.

    Parameters
    ----------
    engine : {"local", "dask"}
        Where chunks run.
    scheduler : str, optional
        Address of an existing Dask scheduler (e.g. ``tcp://10.0.0.5:8786``); without it a
        local cluster of ``workers`` processes is started for the build.
    workers : int
        Worker processes of a local Dask cluster.

    Yields
    ------
    Executor
        Its ``map(fn, items)`` returns ``[fn(item) for item in items]``.

    Raises
    ------
    ValueError
        For an unknown engine, or a scheduler address without the Dask engine.
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; use one of {', '.join(ENGINES)}")
    if engine == "local":
        if scheduler is not None:
            raise ValueError("--scheduler needs --engine dask")
        yield Executor(map=_local_map, name="local")
        return
    from distributed import Client, LocalCluster

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=40)
        client = Client(cluster)
    else:
        try:
            client = Client(scheduler, timeout="10s")
        except OSError as exc:
            raise ValueError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None

    def dask_map(fn: Callable[..., Any], items: Sequence[Any]) -> list[Any]:
        futures = client.map(fn, list(items), pure=False)
        return client.gather(futures)

    try:
        yield Executor(map=dask_map, name=f"dask ({scheduler or f'local, {workers} workers'})")
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
