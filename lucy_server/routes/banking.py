"""Banking through Codabox: on Lucy Business Pro (and during a trial) only."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import select

from lucy_server import db
from lucy_server.auth import CurrentStaff
from lucy_server.params import PathId
from lucy_server.responses import CLIENT_READ
from lucy_server.state import get_state
from lucy_server.visibility import visible_client
from lucy_tui.api.models import BankAccount, BankConnection, BankingStatus, Plan

router = APIRouter()

PLAN_REQUIRED_MESSAGE = (
    "Banking comes with Lucy Business Pro: the client connects its banks through Codabox, "
    "its CODA bank statements reach your firm every day and payments are matched with "
    "its invoices. {name} is on {plan}; upgrade to Lucy Business Pro to connect its banks."
)
NOT_CONNECTED_MESSAGE = (
    "{name} has not connected its banks through Codabox yet. The client signs the Codabox "
    "mandate in Lucy under Settings > Banking; its accounts then appear here."
)


@router.get("/clients/{client_id}/banking", response_model=BankConnection, responses=CLIENT_READ)
def get_banking(client_id: PathId, principal: CurrentStaff, request: Request) -> BankConnection:
    with db.read_tx(get_state(request).engine) as conn:
        client = visible_client(conn, principal, client_id)
        plan = Plan(client.plan)
        if not plan.has_banking:
            return BankConnection(
                status=BankingStatus.PLAN_REQUIRED,
                message=PLAN_REQUIRED_MESSAGE.format(name=client.name, plan=plan.label),
            )
        connection = conn.execute(
            select(db.bank_connections).where(db.bank_connections.c.client_id == client_id)
        ).first()
        if connection is None:
            return BankConnection(
                status=BankingStatus.NOT_CONNECTED,
                message=NOT_CONNECTED_MESSAGE.format(name=client.name),
            )
        a = db.bank_accounts
        accounts = conn.execute(select(a).where(a.c.client_id == client_id).order_by(a.c.id)).all()
    return BankConnection(
        status=BankingStatus.CONNECTED,
        provider=connection.provider,
        connected_at=connection.connected_at,
        accounts=[
            BankAccount(
                iban=row.iban,
                bic=row.bic,
                bank=row.bank,
                holder=row.holder,
                account_type=row.account_type,
                mandate_status=row.mandate_status,
                mandate_date=row.mandate_date,
                last_statement_date=row.last_statement_date,
            )
            for row in accounts
        ],
        message=f"{len(accounts)} account(s) connected through {connection.provider}",
    )
