"""Who calls whom: the service graph declared with `services[].calls`, as plain functions."""

from __future__ import annotations

from typing import Optional, Sequence

from shipyard.config.schema import Service


def callers_of(services: Sequence[Service], name: str) -> list[str]:
    """Names of the services that declare a call to `name`, sorted."""
    return sorted(s.name for s in services if name in s.calls)


def called(services: Sequence[Service]) -> set[str]:
    """Names of the services some other service calls."""
    return {callee for s in services for callee in s.calls}


def find_cycle(services: Sequence[Service]) -> Optional[list[str]]:
    """A call cycle among `services` (first name repeated at the end), or None.

    Calls to services outside `services` are ignored.
    """
    by_name = {s.name: s for s in services}
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> Optional[list[str]]:
        if name in path:
            return path[path.index(name):] + [name]
        if name in done:
            return None
        for callee in by_name[name].calls:
            if callee in by_name:
                cycle = visit(callee, path + [name])
                if cycle:
                    return cycle
        done.add(name)
        return None

    for service in services:
        cycle = visit(service.name, [])
        if cycle:
            return cycle
    return None


def callees_first(services: Sequence[Service]) -> list[Service]:
    """`services` ordered so every service comes after those it calls (config order otherwise).

    Requires an acyclic call graph (see :func:`find_cycle`).
    """
    by_name = {s.name: s for s in services}
    ordered: list[Service] = []
    placed: set[str] = set()

    def place(service: Service) -> None:
        if service.name in placed:
            return
        for callee in service.calls:
            if callee in by_name:
                place(by_name[callee])
        placed.add(service.name)
        ordered.append(service)

    for service in services:
        place(service)
    return ordered
