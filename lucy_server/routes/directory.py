"""The firm's staff and teams, and Lucy's integrations catalogue."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import select

from lucy_server import db
from lucy_server.auth import CurrentStaff, staff_models
from lucy_server.paging import Paging, paged_list
from lucy_server.responses import LIST
from lucy_server.state import get_state
from lucy_tui.api.models import Integration, Page, Staff, Team

router = APIRouter()


@router.get("/staff", response_model=Page[Staff], responses=LIST)
def list_staff(_principal: CurrentStaff, paging: Paging, request: Request) -> dict[str, Any]:
    with db.read_tx(get_state(request).engine) as conn:
        return paged_list(paging, staff_models(conn))


@router.get("/teams", response_model=Page[Team], responses=LIST)
def list_teams(_principal: CurrentStaff, paging: Paging, request: Request) -> dict[str, Any]:
    with db.read_tx(get_state(request).engine) as conn:
        rows = conn.execute(
            select(db.teams.c.id, db.teams.c.name).order_by(db.teams.c.name, db.teams.c.id)
        ).all()
    return paged_list(paging, [Team(id=r.id, name=r.name) for r in rows])


@router.get("/integrations", response_model=Page[Integration], responses=LIST)
def list_integrations(_principal: CurrentStaff, paging: Paging, request: Request) -> dict[str, Any]:
    with db.read_tx(get_state(request).engine) as conn:
        rows = conn.execute(select(db.integrations).order_by(db.integrations.c.position)).all()
    items = [
        Integration(
            id=r.id, name=r.name, kind=r.kind, category=r.category, description=r.description
        )
        for r in rows
    ]
    return paged_list(paging, items)
