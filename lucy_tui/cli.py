"""The ``lucy-tui`` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("lucy-tui")
    except PackageNotFoundError:
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lucy-tui",
        description=(
            "Lucy for accountants, in the terminal. Without --server (or LUCY_SERVER) it "
            "opens the embedded demo firm."
        ),
    )
    parser.add_argument("--version", action="version", version=f"lucy-tui {_version()}")
    parser.add_argument(
        "--server",
        metavar="URL",
        type=_server,
        help="a Lucy server, e.g. https://lucy.example.be (wins over LUCY_SERVER and config.toml)",
    )
    parser.add_argument(
        "--as",
        dest="role",
        choices=("admin", "employee"),
        default="admin",
        help="which demo staff member to be in the embedded demo firm (default: admin)",
    )
    parser.add_argument(
        "--insecure-storage",
        action="store_true",
        help="keep the session token in a file readable only by you, not in the keyring",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    logout = commands.add_parser("logout", help="forget the stored session token")
    logout.add_argument("--server", dest="logout_server", metavar="URL", type=_server)
    return parser


def _server(value: str) -> str | None:
    """A --server given on the command line: a malformed one stops here, said by argparse."""
    from lucy_tui.local.config import SERVER_CREDENTIALS, server_problem
    from lucy_tui.safe_text import printable

    if not value:
        return None  # as if not given, like an empty LUCY_SERVER
    problem = server_problem(value)
    if problem:
        shown = "the address" if problem == SERVER_CREDENTIALS else repr(printable(value))
        raise argparse.ArgumentTypeError(
            f"{shown} {problem}. A server address looks like https://lucy.your-firm.be "
            "(or http://127.0.0.1:8765 for a lucy-server on this machine)."
        )
    return value


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from lucy_tui.local.config import load_settings
    from lucy_tui.local.paths import config_dir, data_dir

    # The command line wins over LUCY_* and config.toml, which win over the defaults.
    flag = getattr(args, "logout_server", None) or args.server
    settings = load_settings(config_dir(), server=flag)
    server = settings.server
    if args.command == "logout":
        return _logout(server, args.insecure_storage)

    from lucy_tui.app import LucyApp

    app = LucyApp(
        config_dir=config_dir(),
        data_dir=data_dir(),
        settings=settings,
        server=server,
        role=args.role,
        insecure_storage=args.insecure_storage,
    )
    app.run()
    return app.return_code or 0


def _logout(server: str | None, insecure_storage: bool) -> int:
    from lucy_tui.local.list_snapshot import ListSnapshot
    from lucy_tui.local.paths import config_dir, data_dir
    from lucy_tui.local.tokens import TokenStore, last_user, remember_user
    from lucy_tui.safe_text import printable

    if server is None:
        print("The embedded demo firm keeps no session; nothing to forget.")
        return 0
    email = last_user(data_dir(), server)
    if email is None:
        print(printable(f"No session stored for {server}."))
        return 0
    store = TokenStore(config_dir(), insecure_storage=insecure_storage)
    token = store.get(server, email)
    if token:
        _revoke(server, token)
    store.delete(server, email)
    remember_user(data_dir(), server, None)
    ListSnapshot(data_dir(), server, email).forget()  # nor their list, drawn at the next start
    print(printable(f"Signed out {email} from {server}; the stored token is forgotten."))
    return 0


def _revoke(server: str, token: str) -> None:
    """Best effort: also end the session on the server, so the token is dead everywhere."""
    import asyncio

    from lucy_tui.api.client import LucyClient
    from lucy_tui.api.errors import LucyError
    from lucy_tui.safe_text import printable

    async def revoke() -> None:
        async with LucyClient(server, token=token, timeout=3.0, retries=0) as client:
            await client.logout()

    try:
        asyncio.run(revoke())
    except LucyError as exc:
        print(printable(f"(The server could not be told: {exc.message})"), file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
