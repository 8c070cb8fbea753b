"""The review queue over the mission store: who reviews which tile, and what their answers mean.

No HTTP here: the server, the command line and the tests all drive this class, a facade that holds
the shared state (settings, seeded draws, locks, the token cache, the sync clock), opens the
transactions and hands each job to a module of this package: ``people`` (volunteers and tokens),
``intake`` (new tiles), ``leases``, ``answers``, ``quality`` (entry check, records, known tiles),
``priorities`` and ``coordinator`` (status, escalations, aggregation).

Rules, each enforced in one place:

- every ``review`` tile (and every cleared tile picked for a quality check) gets
  answers from ``overlap`` different volunteers; agreement with high confidence
  closes it early, disagreement asks for more answers up to ``max_overlap``,
  and what stays disputed is escalated to the coordinator (``answers``);
- tiles are served by coordinator boost, then detector score (person or clue), then newest
  flight; a lease returns to the queue after ``lease_minutes`` (``leases``);
- a volunteer never gets the same tile twice and never sees others' answers (``leases``);
- known tiles (honeypots) are mixed in at ``honeypot_rate``; a new volunteer
  first answers an entry check of ``min(exam_size, known tiles they can get)`` of
  them (none: the check is waived), passed with ``exam_pass_mark`` right answers,
  and their answers count only once passed; a failed check may be started afresh
  ``exam_retries`` times (its answers are deleted, so the same known tiles may
  come again), and the failure after that is final;
  every answer on a known tile updates that volunteer's sensitivity/specificity (``quality``).

Concurrency: on PostgreSQL the tile to lease is picked with ``FOR UPDATE SKIP
LOCKED`` so several server processes never over-assign one tile; the capacity
test uses only the locked row's own columns so it is re-checked on the row's
newest version (``leases``). On SQLite one writer at a time is guaranteed by a process lock
and by making each transaction's first statement a write.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from datetime import datetime

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from sartriage.errors import Conflict, Forbidden, ReviewError
from sartriage.hits.locate import locate_volunteer_hits
from sartriage.review import answers, coordinator, intake, leases, people, priorities, quality
from sartriage.review.coordinator import AggregateReport
from sartriage.review.values import (
    ANSWER_VALUES,
    Accuracy,
    AnswerOutcome,
    Escalation,
    Lease,
    Progress,
    QueueSettings,
    QueueStatus,
    TileAnswers,
    Volunteer,
)
from sartriage.store import Store, utcnow

__all__ = ["AggregateReport", "ReviewQueue"]

log = logging.getLogger(__name__)

_CLAIM_RETRIES = 8


class ReviewQueue:
    """Leases, answers, quality control and aggregation for one mission store."""

    def __init__(self, store: Store, settings: QueueSettings | None = None) -> None:
        self.store = store
        self.settings = settings or QueueSettings()
        # whether the next tile is a known one, and which: a fixed seed replays both
        seed = self.settings.seed
        self._draws = leases.Draws(
            random.Random(seed), random.Random(None if seed is None else seed + 1), threading.Lock()
        )
        self._write_lock: threading.RLock | None = threading.RLock() if store.is_sqlite else None
        self._last_sync = -float("inf")
        self._unlocatable: set[int] = set()  # hits whose frame gives no position
        self._tokens = people.TokenCache()

    # ── transactions ─────────────────────────────────────────────────────────────────────────
    @contextmanager
    def _tx(self) -> Iterator[Connection]:
        with self._write_lock or nullcontext(), self.store.begin() as conn:
            if self._write_lock is not None:
                # take SQLite's write lock now (waiting on busy_timeout), not on the first write after reads:
                # another process (a second server, the CLI) may write in between, which SQLite refuses
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            yield conn

    # ── people and tokens ────────────────────────────────────────────────────────────────────
    def invite(self, name: str) -> tuple[Volunteer, str]:
        """Add a volunteer; return them and their token (shown once, stored only hashed)."""
        name = people.checked_name(name)
        with self._tx() as conn:
            return people.invite(conn, name)

    def coordinator_token(self, token: str | None = None) -> str:
        """Set the coordinator's token (a new random one unless given) and return it."""
        token = people.checked_coordinator_token(token)
        with self._tx() as conn:
            people.set_coordinator_token(conn, token)
        self._tokens.forget()
        return token

    def authenticate(self, token: str) -> Volunteer | None:
        """The volunteer (or coordinator) holding ``token``; None when unknown or revoked."""
        return self._tokens.authenticate(self.store, token)

    def join(self, volunteer_id: int) -> Volunteer:
        self._maybe_sync()  # the coordinator's newest decisions are known tiles the entry check may use
        with self._tx() as conn:
            return people.join(conn, self.settings, volunteer_id, utcnow())

    def revoke(self, volunteer_id: int) -> Volunteer:
        """Stop a volunteer: their token stops working and their open leases go back to the queue."""
        with self._tx() as conn:
            revoked = people.revoke(conn, volunteer_id, utcnow())
        self._tokens.forget()
        return revoked

    def volunteers(self) -> list[tuple[Volunteer, int, Accuracy]]:
        """Every volunteer with their number of answers and measured accuracy."""
        with self.store.connect() as conn:
            return people.listing(conn)

    # ── picking up new tiles and known tiles ─────────────────────────────────────────────────
    def sync(self) -> int:
        """Queue tiles the scan added since the last call; turn coordinator decisions into honeypots."""
        self._last_sync = time.monotonic()
        with self._tx() as conn:
            added = intake.queue_new_tiles(conn, self.settings)
            quality.known_tiles_from_hits(conn)
        return added

    def _maybe_sync(self) -> None:
        if time.monotonic() - self._last_sync >= self.settings.sync_seconds:
            self.sync()
            self.expire_leases()
            self.locate_hits()

    def locate_hits(self) -> int:
        """Give volunteer candidates without a detection a ground position from their frame."""
        return locate_volunteer_hits(self.store, self._unlocatable)

    def expire_leases(self, now: datetime | None = None) -> int:
        """Return leases past their time to the queue; the count returned."""
        with self._tx() as conn:
            gone = leases.expire(conn, now or utcnow())
        if gone:
            log.info("%d lease(s) expired and went back to the queue", gone)
        return gone

    # ── leasing ──────────────────────────────────────────────────────────────────────────────
    def next_lease(self, volunteer_id: int, holding: Iterable[str] = ()) -> Lease | None:
        """The volunteer's next tile: an open lease they do not hold on screen yet, or a new one.

        ``holding`` lists the leases the page already shows or has prefetched. None when there
        is nothing to review right now.
        """
        self._maybe_sync()
        holding = set(holding)
        for _ in range(_CLAIM_RETRIES):
            try:
                return self._next_lease(volunteer_id, holding)
            except IntegrityError:
                # another request of the same volunteer took the same tile or honeypot a moment ago
                continue
        raise Conflict("the queue is busy; ask for the next tile again")

    def _next_lease(self, volunteer_id: int, holding: set[str]) -> Lease | None:
        now = utcnow()
        with self._tx() as conn:
            me = people.touch(conn, volunteer_id, now)
            lease, exam_state = leases.pick_next(conn, self.settings, self._draws, me, holding, now)
        # outside the transaction, so that a failed entry check stays recorded
        if lease is None and exam_state == "failed":
            if me.exam_retries < self.settings.exam_retries:
                raise Forbidden("your entry check was not passed; you may practise and retry it")
            raise Forbidden("your entry check was not passed, also on the retry; your answers cannot be used")
        return lease

    def lease(self, volunteer_id: int, public_id: str) -> Lease:
        """One of the volunteer's own leases (any state); NotFound for anyone else's."""
        with self.store.connect() as conn:
            return leases.own_lease(conn, volunteer_id, public_id)

    def unreadable(self, volunteer_id: int, public_id: str, reason: str) -> None:
        """A leased tile's picture cannot be made: release the lease and hand the tile to the coordinator."""
        now = utcnow()
        with self._tx() as conn:
            people.touch(conn, volunteer_id, now)
            tile_id = leases.unreadable(conn, volunteer_id, public_id, reason, now)
        if tile_id is not None:
            log.warning("tile %s went to the coordinator: %s", tile_id, reason)

    # ── answering ────────────────────────────────────────────────────────────────────────────
    def answer(
        self,
        volunteer_id: int,
        public_id: str,
        value: str,
        *,
        then_next: bool = False,
        holding: Iterable[str] = (),
    ) -> AnswerOutcome:
        """Store one answer; a retried identical answer is acknowledged again, never stored twice.

        With ``then_next`` the volunteer's next lease (not among ``holding``) is taken in the same
        transaction: one commit per tile instead of two.
        """
        if value not in ANSWER_VALUES:
            raise ReviewError(f"answer must be one of {', '.join(ANSWER_VALUES)}, not {value!r}")
        if then_next:
            self._maybe_sync()
        holding = {*holding, public_id}
        for _ in range(_CLAIM_RETRIES):
            try:
                return self._answer(volunteer_id, public_id, value, then_next, holding)
            except IntegrityError:
                continue  # the next lease clashed with another request of this volunteer: the answer is kept
        raise Conflict("the queue is busy; send the answer again")

    def _answer(
        self, volunteer_id: int, public_id: str, value: str, then_next: bool, holding: set[str]
    ) -> AnswerOutcome:
        now = utcnow()
        with self._tx() as conn:
            return answers.answer(
                conn, self.settings, self._draws, volunteer_id, public_id, value, then_next, holding, now
            )

    # ── quality control ──────────────────────────────────────────────────────────────────────
    def retry_exam(self, volunteer_id: int) -> Volunteer:
        """Start a failed entry check afresh, ``exam_retries`` times at most (Forbidden after that).

        The failed check's answers and leases are deleted, so the same known tiles may come again.
        """
        now = utcnow()
        with self._tx() as conn:
            quality.restart_exam(conn, self.settings, people.touch(conn, volunteer_id, now))
            return people.volunteer(conn, volunteer_id)

    def progress(self, volunteer_id: int) -> Progress:
        with self.store.connect() as conn:
            return quality.progress(conn, self.settings, volunteer_id)

    # ── the coordinator's view ───────────────────────────────────────────────────────────────
    def status(self) -> QueueStatus:
        self._maybe_sync()
        with self.store.connect() as conn:
            return coordinator.status(conn)

    def tile_answers(self, states: Sequence[str] = ("open", "escalated")) -> list[TileAnswers]:
        """Per tile of the queue in ``states``: the answers so far, most "person" answers first."""
        with self.store.connect() as conn:
            return coordinator.tile_answers(conn, states)

    def escalations(self, *, open_only: bool = True) -> list[Escalation]:
        with self.store.connect() as conn:
            return coordinator.escalations(conn, open_only=open_only)

    def decide(self, escalation_id: int, decision: str, coordinator_id: int | None = None) -> Escalation:
        """The coordinator's call on a disputed tile; it also becomes a known tile for honeypots."""
        if decision not in ("person", "no_person"):
            raise ReviewError(f"decision must be person or no_person, not {decision!r}")
        with self._tx() as conn:
            coordinator.decide(conn, escalation_id, decision, coordinator_id, utcnow())
        return next(e for e in self.escalations(open_only=False) if e.id == escalation_id)

    def raise_flight(self, flight_id: int, amount: int = 1) -> int:
        """Serve a flight's tiles before others; returns the number of queued tiles raised."""
        with self._tx() as conn:
            return priorities.raise_flight(conn, flight_id, amount)

    def raise_area(self, west: float, south: float, east: float, north: float, amount: int = 1) -> int:
        """Serve tiles of frames centred in a lon/lat box before others (also tiles scanned later)."""
        priorities.check_area(west, south, east, north)
        with self._tx() as conn:
            return priorities.raise_area(conn, west, south, east, north, amount)

    # ── aggregation over the whole mission ───────────────────────────────────────────────────
    def aggregate(self, method: str = "dawid_skene") -> AggregateReport:
        """Re-estimate every answered tile's P(person) with all answers at once; add candidates."""
        if method not in ("dawid_skene", "majority"):
            raise ReviewError(f"aggregation method must be dawid_skene or majority, not {method!r}")
        with self._tx() as conn:
            report = coordinator.aggregate(conn, self.settings, method)
        self.locate_hits()
        return report
