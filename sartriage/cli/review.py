"""Volunteer review from the command line.

- ``sartriage review-server --db M --host H --port P``: serve the volunteer page and the review API;
- ``sartriage volunteers add NAME | list | revoke ID``: invite links, answers and measured accuracy;
- ``sartriage review ACTION``: status, aggregate, escalations, decide, raise, honeypot packs.
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sartriage.cli.commands import add_command
from sartriage.cli.values import four_numbers
from sartriage.errors import ReviewError, SartriageError
from sartriage.printable import printable
from sartriage.review import QueueSettings, ReviewQueue, invite_link
from sartriage.review.links import (
    DEFAULT_PORT,
    WILDCARDS,
    is_loopback,
    known_url,
    lan_address,
    remember_url,
    server_url,
)
from sartriage.review.values import Accuracy
from sartriage.store import open_store
from sartriage.store.queries import flight_ids
from sartriage.words import count

if TYPE_CHECKING:
    from sartriage.review.server.tls import Certificate

log = logging.getLogger(__name__)

WORKER_APP = "sartriage.review.server.worker:app_from_environment"
TOKEN_ENV = "SARTRIAGE_COORDINATOR_TOKEN"
AREA = four_numbers("W,S,E,N in degrees", "37.60,55.96,37.70,55.99")


def register(subparsers: argparse._SubParsersAction) -> None:
    _register_server(subparsers)
    _register_volunteers(subparsers)
    _register_review(subparsers)


def _db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", required=True, help="mission store: a .sqlite path or a postgresql:// URL")


# ── review-server ──────────────────────────────────────────────────────────────────────────────
def _register_server(subparsers: argparse._SubParsersAction) -> None:
    parser = add_command(
        subparsers,
        "review-server",
        description="Serve the volunteer page and the JSON API (contract at /openapi.json). Prints the "
        "coordinator token once. Several servers may share one PostgreSQL store; give them the same "
        f"--coordinator-token (or ${TOKEN_ENV}).",
    )
    _db(parser)
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (0.0.0.0: every network; default %(default)s)",
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help="port to listen on (default %(default)s)"
    )
    parser.add_argument(
        "--public-url",
        help="how volunteers reach this server (default: this machine's LAN address and --port)",
    )
    tls = parser.add_argument_group("TLS (HTTPS), needed whenever volunteers are not on this machine")
    tls.add_argument("--tls-cert", type=Path, help="certificate (PEM) for HTTPS")
    tls.add_argument("--tls-key", type=Path, help="private key (PEM) of --tls-cert")
    tls.add_argument(
        "--tls-self-signed",
        action="store_true",
        help="HTTPS with a certificate made once and kept beside the mission store; volunteers check its "
        "fingerprint (printed, and shown in the app next to the invite QR) before accepting it",
    )
    parser.add_argument(
        "--coordinator-token", help=f"use this coordinator token (default: ${TOKEN_ENV}, else a new one)"
    )
    defaults = QueueSettings()
    parser.add_argument(
        "--overlap",
        type=int,
        default=defaults.overlap,
        help="answers per tile at first (default %(default)s)",
    )
    parser.add_argument(
        "--max-overlap",
        type=int,
        default=defaults.max_overlap,
        help="most answers per tile (default %(default)s)",
    )
    parser.add_argument(
        "--honeypot-rate",
        type=float,
        default=defaults.honeypot_rate,
        help="share of known tiles (default %(default)s)",
    )
    parser.add_argument(
        "--exam-size",
        type=int,
        default=defaults.exam_size,
        help="known tiles in the entry check (default %(default)s)",
    )
    parser.add_argument(
        "--lease-minutes",
        type=float,
        default=defaults.lease_minutes,
        help="minutes before a tile returns (default %(default)s)",
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=20.0,
        help="requests per second allowed per caller, per process (default %(default)s)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes sharing the port (one answers about 25 per second; 200 volunteers need "
        "about 30; default %(default)s)",
    )
    parser.set_defaults(func=run_server)


def run_server(args: argparse.Namespace) -> int:
    import uvicorn

    from sartriage.review.server import ReviewSettings, create_app
    from sartriage.review.server.protocol import uvicorn_options
    from sartriage.review.server.worker import SETTINGS_ENV

    if not 1 <= args.port <= 65535:
        raise SartriageError(f"--port {args.port} must be 1-65535")
    if not 1 <= args.workers <= 64:
        raise SartriageError(f"--workers {args.workers} must be 1-64")
    queue_settings = QueueSettings(
        overlap=args.overlap,
        max_overlap=args.max_overlap,
        honeypot_rate=args.honeypot_rate,
        exam_size=args.exam_size,
        lease_minutes=args.lease_minutes,
    )
    certificate = _certificate(args)
    public = (args.public_url or server_url(args.host, args.port, tls=certificate is not None)).rstrip("/")
    listener = _bind(args.host, args.port)  # before anything is written: a port in use changes nothing
    store = open_store(args.db)
    try:
        queue = ReviewQueue(store, queue_settings)
        token = queue.coordinator_token(args.coordinator_token or os.environ.get(TOKEN_ENV) or None)
        remember_url(store, public)
        settings = ReviewSettings(
            db=args.db, queue=queue_settings, public_url=public, rate_per_second=args.rate
        )
        print(f"review page:        {public}/")
        print(f"API contract:       {public}/openapi.json")
        print(f"coordinator token:  {token}")
        print(f"invite volunteers:  sartriage volunteers add NAME --db {args.db}")
        if certificate is not None:
            print(f"certificate SHA-256 (volunteers compare it before accepting): {certificate.fingerprint}")
        elif not is_loopback(args.host):
            print(
                "warning: listening beyond this machine over plain HTTP: tokens and pictures cross the "
                "network in clear; add --tls-self-signed (field LAN) or put a TLS proxy in front (README)"
            )
        serve: dict[str, Any] = uvicorn_options(args.host, args.port)
        if certificate is not None:
            serve.update(ssl_certfile=str(certificate.cert), ssl_keyfile=str(certificate.key))
        if args.workers == 1:
            server = uvicorn.Server(uvicorn.Config(create_app(settings, store=store), **serve))
            server.run(sockets=[listener])
        else:
            print(f"workers:            {args.workers} processes on one port")
            os.environ[SETTINGS_ENV] = settings.to_json()
            listener.close()  # uvicorn binds the port again in the parent of its workers
            uvicorn.run(WORKER_APP, factory=True, workers=args.workers, **serve)
    finally:
        listener.close()
        store.close()
    return 0


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
        listener.listen(2048)
    except OSError as exc:
        listener.close()
        raise SartriageError(
            f"{host}:{port} cannot be used ({exc.strerror}); is a review server already running there? "
            "Choose another --port or stop what uses it (nothing in the mission was changed)"
        ) from None
    listener.set_inheritable(True)
    return listener


def _certificate(args: argparse.Namespace) -> Certificate | None:
    from sartriage.review.server.tls import Certificate, self_signed

    if args.tls_self_signed:
        if args.tls_cert or args.tls_key:
            raise SartriageError("give either --tls-self-signed or --tls-cert with --tls-key, not both")
        if "://" in args.db:
            raise SartriageError(
                "--tls-self-signed keeps its certificate beside a .sqlite store; give --tls-cert"
            )
        hosts = ["localhost", "127.0.0.1", lan_address()]
        if args.host not in WILDCARDS:
            hosts.append(args.host)
        return self_signed(Path(f"{args.db}.tls"), hosts)
    if (args.tls_cert is None) != (args.tls_key is None):
        raise SartriageError("--tls-cert and --tls-key go together")
    if args.tls_cert is None:
        return None
    for path in (args.tls_cert, args.tls_key):
        if not path.is_file():
            raise SartriageError(f"{path}: no such file; give the PEM certificate and its key")
    return Certificate(args.tls_cert, args.tls_key)


# ── volunteers ─────────────────────────────────────────────────────────────────────────────────
def _register_volunteers(subparsers: argparse._SubParsersAction) -> None:
    parser = add_command(subparsers, "volunteers")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="invite a volunteer and print their invite link (shown once)")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--url", help="the review server's address (default: the one it last announced)")
    _db(add)
    add.set_defaults(func=run_volunteers_add)
    listing = actions.add_parser("list", help="each volunteer's answers and measured accuracy")
    _db(listing)
    listing.set_defaults(func=run_volunteers_list)
    revoke = actions.add_parser("revoke", help="stop a volunteer's invite; their open tiles return")
    revoke.add_argument("volunteer", metavar="ID", type=int)
    _db(revoke)
    revoke.set_defaults(func=run_volunteers_revoke)


def run_volunteers_add(args: argparse.Namespace) -> int:
    with open_store(args.db, create=False) as store:
        volunteer, token = ReviewQueue(store).invite(args.name)
        base = (args.url or known_url(store)).rstrip("/")
    print(f"volunteer {volunteer.id}: {printable(volunteer.name)}")
    print(f"invite link (send it only to them; it is shown once): {invite_link(base, token)}")
    return 0


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


def describe_accuracy(a: Accuracy) -> tuple[str, str, str]:
    return _rate(a.accuracy), _rate(a.sensitivity), _rate(a.specificity)


def run_volunteers_list(args: argparse.Namespace) -> int:
    with open_store(args.db, create=False) as store:
        rows = ReviewQueue(store).volunteers()
    if not rows:
        print("no volunteers yet: sartriage volunteers add NAME --db ...")
        return 0
    print(f"{'id':>4}  {'name':<24} {'state':<10} {'answers':>7} {'known':>5} ", end="")
    print(f"{'accuracy':>8} {'sens':>5} {'spec':>5}")
    for v, answers, acc in rows:
        state = "revoked" if v.revoked else (v.exam_state if v.joined_at else "invited")
        accuracy, sens, spec = describe_accuracy(acc)
        print(
            f"{v.id:>4}  {printable(v.name)[:24]:<24} {state:<10} {answers:>7} {acc.known_answered:>5} "
            f"{accuracy:>8} {sens:>5} {spec:>5}"
        )
    return 0


def run_volunteers_revoke(args: argparse.Namespace) -> int:
    with open_store(args.db, create=False) as store:
        try:
            volunteer = ReviewQueue(store).revoke(args.volunteer)
        except ReviewError as exc:
            raise SartriageError(f"{exc}; see `sartriage volunteers list --db {args.db}`") from exc
    print(
        f"revoked volunteer {volunteer.id} ({printable(volunteer.name)}); "
        "their open tiles went back to the queue"
    )
    return 0


# ── review ─────────────────────────────────────────────────────────────────────────────────────
def _register_review(subparsers: argparse._SubParsersAction) -> None:
    parser = add_command(subparsers, "review")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    status = actions.add_parser("status", help="tiles open, done, escalated; answers; candidates")
    _db(status)
    status.set_defaults(func=run_status)
    aggregate = actions.add_parser(
        "aggregate", help="re-estimate every tile from all answers; add candidates"
    )
    aggregate.add_argument("--method", choices=("dawid_skene", "majority"), default="dawid_skene")
    _db(aggregate)
    aggregate.set_defaults(func=run_aggregate)
    tiles = actions.add_parser(
        "tiles", help="each tile's answers so far (open and escalated tiles; --all for every tile)"
    )
    _db(tiles)
    tiles.add_argument("--all", action="store_true", help="also tiles already done or decided")
    tiles.set_defaults(func=run_tiles)
    escalations = actions.add_parser("escalations", help="tiles the volunteers could not agree on")
    _db(escalations)
    escalations.set_defaults(func=run_escalations)
    decide = actions.add_parser("decide", help="decide an escalated tile")
    decide.add_argument("escalation", type=int, metavar="ID")
    decide.add_argument("decision", choices=("person", "no_person"))
    _db(decide)
    decide.set_defaults(func=run_decide)
    raising = actions.add_parser("raise", help="serve a flight's or an area's tiles before others")
    where = raising.add_mutually_exclusive_group(required=True)
    where.add_argument("--flight", metavar="FLIGHT", help="a flight's name or id (see `sartriage status`)")
    where.add_argument(
        "--area",
        type=AREA,
        metavar="W,S,E,N",
        help="a lon/lat box in degrees; also reaches tiles scanned later",
    )
    raising.add_argument("--amount", type=int, default=1, help="how much higher (negative: lower); default 1")
    _db(raising)
    raising.set_defaults(func=run_raise)
    export = actions.add_parser("export-honeypots", help="write this mission's known tiles to a pack (zip)")
    export.add_argument("pack", type=Path, metavar="PACK.zip")
    _db(export)
    export.set_defaults(func=run_export_pack)
    imported = actions.add_parser("import-honeypots", help="add a pack's known tiles to this mission")
    imported.add_argument("pack", type=Path, metavar="PACK.zip")
    _db(imported)
    imported.set_defaults(func=run_import_pack)


def run_status(args: argparse.Namespace) -> int:
    with open_store(args.db, create=False) as store:
        s = ReviewQueue(store).status()
    print(f"tiles:       {s.open} open, {s.done} done, {s.escalated} escalated, {s.decided} decided by you")
    print(f"answers:     {s.answers} ({s.leased} tiles on volunteers' screens now)")
    print(f"volunteers:  {s.volunteers} invited, {s.active_volunteers} active in the last 10 minutes")
    print(f"candidates:  {s.candidates} from volunteers awaiting your decision")
    print(f"known tiles: {s.honeypots}; open escalations: {s.open_escalations}")
    return 0


def run_aggregate(args: argparse.Namespace) -> int:
    with open_store(args.db, create=False) as store:
        report = ReviewQueue(store).aggregate(args.method)
    print(
        f"{report.method}: {count(report.tiles, 'tile')} from {count(report.answers, 'answer')} "
        f"({count(report.iterations, 'iteration')}); {count(report.candidates_added, 'new candidate')}"
    )
    return 0


def run_tiles(args: argparse.Namespace) -> int:
    states = ("open", "escalated", "done", "decided") if args.all else ("open", "escalated")
    with open_store(args.db, create=False) as store:
        rows = ReviewQueue(store).tile_answers(states)
    if not rows:
        print("no tiles in review" + ("" if args.all else " waiting for answers"))
    for t in rows:
        p = "-" if t.posterior is None else f"{t.posterior:.2f}"
        given = sum(t.answers.values())
        votes = ", ".join(f"{n} {a.replace('_', ' ')}" for a, n in sorted(t.answers.items())) or "no answers"
        print(f"tile {t.tile_id:<8} {t.state:<9} {given}/{t.needed} answers: {votes:<34} P(person) {p}  "
              f"{printable(t.frame)}")  # fmt: skip
    return 0


def run_escalations(args: argparse.Namespace) -> int:
    with open_store(args.db, create=False) as store:
        rows = ReviewQueue(store).escalations()
    if not rows:
        print("no open escalations")
    for e in rows:
        p = "-" if e.posterior is None else f"{e.posterior:.2f}"
        print(f"{e.id:>4}  tile {e.tile_id:<8} P(person) {p}  {e.reason}")
    return 0


def run_decide(args: argparse.Namespace) -> int:
    with open_store(args.db, create=False) as store:
        e = ReviewQueue(store).decide(args.escalation, args.decision)
    print(f"escalation {e.id} (tile {e.tile_id}): {e.decision}")
    if e.conflict:
        print(f"note: {e.conflict}")
    return 0


def run_raise(args: argparse.Namespace) -> int:
    with open_store(args.db, create=False) as store:
        queue = ReviewQueue(store)
        if args.flight is not None:
            with store.connect() as conn:
                ids = flight_ids(conn, args.flight)
            if not ids:
                raise SartriageError(f"no flight {args.flight!r} in {args.db}; `sartriage status` lists them")
            n = sum(queue.raise_flight(flight_id, args.amount) for flight_id in ids)
            what = f"flight {args.flight}"
        else:
            west, south, east, north = args.area
            n = queue.raise_area(west, south, east, north, amount=args.amount)
            what = "area {:.5f},{:.5f},{:.5f},{:.5f}".format(*args.area)
    print(f"{what}: priority {args.amount:+d} on {n} queued tiles")
    return 0


def run_export_pack(args: argparse.Namespace) -> int:
    from sartriage.review.pack import export_pack

    with open_store(args.db, create=False) as store:
        ReviewQueue(store).sync()
        report = export_pack(store, args.pack)
    print(
        f"{report.path}: {report.items} known tiles"
        + (f", {report.skipped} skipped" if report.skipped else "")
    )
    return 0


def run_import_pack(args: argparse.Namespace) -> int:
    from sartriage.review.pack import import_pack

    with open_store(args.db, create=False) as store:
        report = import_pack(store, args.pack)
    print(
        f"{report.path}: {report.items} known tiles added"
        + (f", {report.skipped} skipped" if report.skipped else "")
    )
    for line in report.problems:
        print(f"  skipped: {line}")
    return 0
