"""Query parameters: only those an endpoint declares.

FastAPI ignores a parameter it does not know, so ``?satus=failed`` (a typo) lists every
document and says nothing, and a client generated from the OpenAPI cannot tell a
mistake from a filter. An unknown parameter is refused instead, naming it.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from lucy_server.errors import field_error

_declared: dict[int, frozenset[str]] = {}  # per route, computed once


def only_declared_query_parameters(request: Request) -> None:
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    declared = _declared.get(id(route))
    if declared is None:
        declared = _declared[id(route)] = frozenset(_query_names(route.dependant))
    unknown = sorted(set(request.query_params.keys()) - declared)
    if unknown:
        name = unknown[0]
        known = ", ".join(sorted(declared)) or "none"
        raise field_error(
            name or "(empty name)", f"Unknown query parameter (this one takes: {known})"
        )


def _query_names(dependant: Dependant) -> set[str]:
    """The query parameters of an endpoint and of every dependency it uses."""
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names
