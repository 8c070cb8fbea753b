"""The review API over HTTP: the volunteer's round trip, who may call what, limits, and what never leaks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient
from review_fixtures import LACMUS, add_flight, add_frame, add_tiles, grid_mission
from sqlalchemy import select

from sartriage.review import QueueSettings, ReviewQueue
from sartriage.review.server import ReviewSettings, create_app, limits
from sartriage.store import Store, open_store, schema


@dataclass(frozen=True)
class Server:
    client: TestClient
    store: Store
    coordinator: str
    image: Path

    def invite(self, name: str) -> str:
        reply = self.client.post(
            "/api/v1/coordinator/volunteers", json={"name": name}, headers=self.as_coordinator
        )
        assert reply.status_code == 201, reply.text
        return reply.json()["token"]

    @property
    def as_coordinator(self) -> dict[str, str]:
        return auth(self.coordinator)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def start(store: Store, **settings: object) -> TestClient:
    queue = QueueSettings(sync_seconds=0, honeypot_rate=0, exam_size=0, seed=1)
    return TestClient(create_app(ReviewSettings(db=store.location, queue=queue, **settings), store=store))


@pytest.fixture
def server(tmp_path: Path, shared_data: Path) -> Iterator[Server]:
    image = shared_data / LACMUS
    with open_store(tmp_path / "m.sqlite") as store:
        flight = add_flight(store, "f")
        frame = add_frame(store, flight, image, width=4000, height=3000, lon=37.61, lat=55.75)
        add_tiles(
            store, frame, [(1450, 1340, 640, 640), (1330, 2500, 640, 640), (0, 0, 640, 640)], [0.6, 0.5, 0.4]
        )
        coordinator = ReviewQueue(store).coordinator_token()
        with start(store) as client:
            yield Server(client, store, coordinator, image)


def test_a_volunteer_joins_reviews_and_sees_their_progress(server: Server) -> None:
    token = server.invite("Anna")
    c = server.client
    joined = c.post("/api/v1/join", headers=auth(token))
    assert joined.status_code == 200 and joined.json()["answers"] == 0
    got = c.post("/api/v1/assignments", json={"holding": []}, headers=auth(token)).json()["assignment"]
    picture = c.get(got["image"], headers=auth(token))
    assert picture.headers["content-type"] == "image/jpeg"
    assert cv2.imdecode(np.frombuffer(picture.content, np.uint8), cv2.IMREAD_COLOR).shape == (640, 640, 3)
    context = c.get(got["context"], headers=auth(token))
    assert cv2.imdecode(np.frombuffer(context.content, np.uint8), cv2.IMREAD_COLOR).shape[0] > 640
    answered = c.post(
        f"/api/v1/assignments/{got['id']}/answer", json={"answer": "person"}, headers=auth(token)
    )
    assert answered.status_code == 200 and answered.json()["progress"]["answers"] == 1
    assert c.get("/api/v1/me", headers=auth(token)).json()["answers"] == 1
    with server.store.connect() as conn:
        stored = conn.execute(select(schema.answers.c.answer, schema.answers.c.tile_id)).all()
    assert [a for a, _ in stored] == ["person"]


def test_the_page_is_served_without_a_cdn(server: Server) -> None:
    page = server.client.get("/")
    assert page.status_code == 200 and "/static/app.js" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    for asset in ("/static/app.js", "/static/style.css"):
        text = server.client.get(asset).text
        assert "http://" not in text and "https://" not in text and "//cdn" not in text


COORDINATOR_CALLS = [
    ("post", "/api/v1/coordinator/volunteers", {"name": "x"}),
    ("get", "/api/v1/coordinator/volunteers", None),
    ("post", "/api/v1/coordinator/volunteers/1/revoke", None),
    ("get", "/api/v1/coordinator/queue", None),
    ("get", "/api/v1/coordinator/escalations", None),
    ("post", "/api/v1/coordinator/escalations/1/decision", {"decision": "person"}),
    ("get", "/api/v1/coordinator/tiles/1/image", None),
    ("post", "/api/v1/coordinator/priority/flights/1", {"amount": 1}),
    ("post", "/api/v1/coordinator/priority/area", {"west": 0, "south": 0, "east": 1, "north": 1}),
    ("post", "/api/v1/coordinator/aggregate", {"method": "majority"}),
]


@pytest.mark.parametrize(("method", "path", "body"), COORDINATOR_CALLS)
def test_volunteers_cannot_reach_coordinator_endpoints(
    server: Server, method: str, path: str, body: object
) -> None:
    token = server.invite("Boris")
    reply = getattr(server.client, method)(path, headers=auth(token), **({"json": body} if body else {}))
    assert reply.status_code == 403
    anonymous = getattr(server.client, method)(path, **({"json": body} if body else {}))
    assert anonymous.status_code == 401


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/api/v1/join", None),
        ("get", "/api/v1/me", None),
        ("post", "/api/v1/exam/retry", None),
        ("post", "/api/v1/assignments", {"holding": []}),
        ("post", "/api/v1/assignments/abcdefgh12/answer", {"answer": "person"}),
        ("get", "/api/v1/assignments/abcdefgh12/image", None),
    ],
)
def test_volunteer_endpoints_need_a_volunteer_token(
    server: Server, method: str, path: str, body: object
) -> None:
    kwargs = {"json": body} if body else {}
    assert getattr(server.client, method)(path, **kwargs).status_code == 401
    assert (
        getattr(server.client, method)(path, headers=auth("made-up-token-123"), **kwargs).status_code == 401
    )
    assert getattr(server.client, method)(path, headers=server.as_coordinator, **kwargs).status_code == 403


def test_a_volunteer_cannot_reach_anothers_assignment(server: Server) -> None:
    mine, theirs = server.invite("Me"), server.invite("Them")
    c = server.client
    their = c.post("/api/v1/assignments", headers=auth(theirs)).json()["assignment"]
    assert c.get(their["image"], headers=auth(mine)).status_code == 404
    stolen = c.post(
        f"/api/v1/assignments/{their['id']}/answer", json={"answer": "person"}, headers=auth(mine)
    )
    assert stolen.status_code == 404
    with server.store.connect() as conn:
        assert conn.execute(select(schema.answers)).first() is None


def test_volunteer_responses_never_hold_paths_coordinates_or_others_answers(server: Server) -> None:
    first, second = server.invite("A"), server.invite("B")
    c = server.client
    seen: list[str] = []
    for token in (first, second):
        seen.append(c.post("/api/v1/join", headers=auth(token)).text)
        nxt = c.post("/api/v1/assignments", headers=auth(token))
        seen.append(nxt.text)
        a = nxt.json()["assignment"]
        seen.append(
            c.post(
                f"/api/v1/assignments/{a['id']}/answer", json={"answer": "person"}, headers=auth(token)
            ).text
        )
        seen.append(c.get("/api/v1/me", headers=auth(token)).text)
        assert b"Exif" not in c.get(a["image"], headers=auth(token)).content
    text = "\n".join(seen)
    for secret in (
        server.image.name,
        str(server.image.parent),
        "37.61",
        "55.75",
        "lon",
        "lat",
        "path",
        "posterior",
    ):
        assert secret not in text, secret
    keys = set()
    for chunk in seen:
        keys |= _keys(json.loads(chunk))
    assert not keys & {"tile_id", "votes", "answers_by", "frame", "flight"}


def _keys(value: object) -> set[str]:
    if isinstance(value, dict):
        return set(value) | set().union(*(_keys(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_keys(v) for v in value)) if value else set()
    return set()


def test_volunteer_schemas_in_the_contract_have_no_location_fields(server: Server) -> None:
    spec = server.client.get("/openapi.json").json()
    volunteer_paths = [p for p in spec["paths"] if not p.startswith("/api/v1/coordinator")]
    text = json.dumps([spec["paths"][p] for p in volunteer_paths])
    referenced = {ref.rsplit("/", 1)[-1] for ref in _refs(text, spec)}
    props = set()
    for name in referenced:
        props |= set(spec["components"]["schemas"][name].get("properties", {}))
    assert "answer" in props  # the walk reached the schemas
    assert not props & {"path", "lon", "lat", "tile_id", "folder", "posterior", "footprint"}


def _refs(text: str, spec: dict) -> set[str]:
    found: set[str] = set()
    todo = [text]
    while todo:
        for part in todo.pop().split('"$ref": "')[1:]:
            ref = part.split('"', 1)[0]
            if ref not in found:
                found.add(ref)
                todo.append(json.dumps(spec["components"]["schemas"][ref.rsplit("/", 1)[-1]]))
    return found


def test_revoked_volunteer_is_shut_out(server: Server) -> None:
    token = server.invite("Gone")
    c = server.client
    c.post("/api/v1/assignments", headers=auth(token))
    (person,) = c.get("/api/v1/coordinator/volunteers", headers=server.as_coordinator).json()
    revoked = c.post(f"/api/v1/coordinator/volunteers/{person['id']}/revoke", headers=server.as_coordinator)
    assert revoked.json()["revoked"] is True
    assert c.post("/api/v1/assignments", headers=auth(token)).status_code == 401
    assert c.get("/api/v1/coordinator/queue", headers=server.as_coordinator).json()["leased"] == 0


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/api/v1/assignments/abcdefgh12/answer", {"answer": "maybe"}, 422),
        ("/api/v1/assignments/abcdefgh12/answer", {"answer": "person", "extra": 1}, 422),
        ("/api/v1/assignments/bad id!/answer", {"answer": "person"}, 422),
        ("/api/v1/assignments/abcdefgh12/answer", {"answer": "person"}, 404),
        ("/api/v1/assignments", {"holding": ["x" * 65]}, 422),
    ],
)
def test_invalid_input_is_refused_with_a_reason(server: Server, path: str, body: dict, status: int) -> None:
    reply = server.client.post(path, json=body, headers=auth(server.invite("V")))
    assert reply.status_code == status
    assert reply.json()["detail"]


def test_oversized_bodies_are_refused(server: Server) -> None:
    token = server.invite("Big")
    reply = server.client.post(
        "/api/v1/assignments", content=b'{"holding": ["' + b"a" * 40_000 + b'"]}', headers=auth(token)
    )
    assert reply.status_code == 413


@pytest.fixture
def still_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The rate buckets' clock held still: no token comes back while a test makes its requests."""
    monkeypatch.setattr(limits, "clock", lambda: 1_000.0)


@pytest.mark.usefixtures("still_clock")
def test_callers_over_the_rate_are_told_to_slow_down(tmp_path: Path) -> None:
    with open_store(tmp_path / "r.sqlite") as store:
        coordinator = ReviewQueue(store).coordinator_token()
        with start(store, rate_per_second=0.5, rate_burst=3) as client:
            codes = [
                client.get("/api/v1/coordinator/queue", headers=auth(coordinator)).status_code
                for _ in range(5)
            ]
    assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]


@pytest.mark.usefixtures("still_clock")
def test_new_tokens_or_spellings_of_bearer_never_buy_more_requests(tmp_path: Path) -> None:
    with open_store(tmp_path / "r.sqlite") as store:
        queue = ReviewQueue(store)
        volunteer = queue.invite("Mallory")[1]
        with start(store, rate_per_second=0.5, rate_burst=5, failed_auth_per_minute=10) as client:
            spellings = ["Bearer", "bearer", "BEARER", "bEaReR", "BeArEr", "beARER", "BEARer", "bearER"]
            codes = [
                client.get("/api/v1/me", headers={"Authorization": f"{word} {volunteer}"}).status_code
                for word in spellings
            ]
            guesses = [client.get("/api/v1/me", headers=auth(f"guess-{i}")).status_code for i in range(14)]
    assert codes[:5] == [200] * 5 and set(codes[5:]) == {429}  # one volunteer, one bucket
    assert guesses[:10] == [401] * 10 and set(guesses[10:]) == {429}  # failed tokens capped per address


@pytest.mark.usefixtures("still_clock")
def test_one_address_is_limited_before_any_token_is_read(tmp_path: Path) -> None:
    with (
        open_store(tmp_path / "a.sqlite") as store,
        start(store, address_per_second=0.5, address_burst=4) as client,
    ):
        codes = [client.get("/api/v1/me").status_code for _ in range(6)]
    assert codes[:4] == [401] * 4 and codes[4:] == [429, 429]


def test_the_coordinator_invites_decides_raises_and_aggregates(tmp_path: Path, heridal_image: Path) -> None:
    with open_store(tmp_path / "c.sqlite") as store:
        mission = grid_mission(store, heridal_image, 1)
        coordinator = ReviewQueue(store).coordinator_token()
        queue = QueueSettings(sync_seconds=0, honeypot_rate=0, exam_size=0, overlap=1, max_overlap=1)
        app = create_app(
            ReviewSettings(db=store.location, queue=queue, public_url="http://10.0.0.5:8000"), store=store
        )
        with TestClient(app) as c:
            head = auth(coordinator)
            invited = c.post("/api/v1/coordinator/volunteers", json={"name": "Vera"}, headers=head).json()
            assert invited["invite_url"] == f"http://10.0.0.5:8000/#invite={invited['token']}"
            token = invited["token"]
            for _ in mission.tile_ids:
                a = c.post("/api/v1/assignments", headers=auth(token)).json()["assignment"]
                c.post(
                    f"/api/v1/assignments/{a['id']}/answer", json={"answer": "unsure"}, headers=auth(token)
                )
            assert c.post("/api/v1/assignments", headers=auth(token)).json()["assignment"] is None
            escalated = c.get("/api/v1/coordinator/escalations", headers=head).json()
            assert len(escalated) == len(mission.tile_ids)
            first = escalated[0]
            assert c.get(first["image"], headers=head).headers["content-type"] == "image/jpeg"
            decided = c.post(
                f"/api/v1/coordinator/escalations/{first['id']}/decision",
                json={"decision": "person"},
                headers=head,
            )
            assert decided.json()["decision"] == "person"
            status = c.get("/api/v1/coordinator/queue", headers=head).json()
            assert (status["escalated"], status["decided"], status["open_escalations"]) == (3, 1, 3)
            raised = c.post(
                f"/api/v1/coordinator/priority/flights/{mission.flight_ids[0]}",
                json={"amount": 2},
                headers=head,
            )
            assert raised.json() == {"tiles": 4}
            assert (
                c.post(
                    "/api/v1/coordinator/priority/flights/999", json={"amount": 2}, headers=head
                ).status_code
                == 404
            )
            assert (
                c.post("/api/v1/coordinator/aggregate", json={"method": "majority"}, headers=head).status_code
                == 200
            )
            listed = c.get("/api/v1/coordinator/volunteers", headers=head).json()
            assert [(v["name"], v["answers"]) for v in listed] == [("Vera", 4)]


def test_an_answer_brings_the_next_tile_in_one_round_trip(server: Server) -> None:
    token = server.invite("Quick")
    c = server.client
    first = c.post("/api/v1/assignments", headers=auth(token)).json()["assignment"]
    reply = c.post(
        f"/api/v1/assignments/{first['id']}/answer",
        json={"answer": "unsure", "next": {"holding": []}},
        headers=auth(token),
    ).json()
    upcoming = reply["next"]["assignment"]
    assert upcoming["id"] != first["id"]
    assert c.get(upcoming["image"], headers=auth(token)).headers["content-type"] == "image/jpeg"
    plain = c.post(
        f"/api/v1/assignments/{upcoming['id']}/answer", json={"answer": "unsure"}, headers=auth(token)
    )
    assert plain.json()["next"] is None  # not asked for


def test_an_unreadable_frame_goes_to_the_coordinator_and_the_volunteer_moves_on(
    tmp_path: Path, shared_data: Path
) -> None:
    with open_store(tmp_path / "g.sqlite") as store:
        flight = add_flight(store, "f")
        gone = add_frame(store, flight, tmp_path / "deleted.jpg", width=4000, height=3000)
        (lost,) = add_tiles(store, gone, [(0, 0, 640, 640)], [0.9])
        kept = add_frame(store, flight, shared_data / LACMUS, width=4000, height=3000)
        (fine,) = add_tiles(store, kept, [(0, 0, 640, 640)], [0.5])
        queue = ReviewQueue(store)
        coordinator = queue.coordinator_token()
        token = queue.invite("V")[1]
        with start(store) as c:
            first = c.post("/api/v1/assignments", headers=auth(token)).json()["assignment"]
            picture = c.get(first["image"], headers=auth(token))
            assert picture.status_code == 410 and "coordinator" in picture.json()["detail"]
            assert "deleted.jpg" not in picture.text  # no path leaks to the volunteer
            following = c.post("/api/v1/assignments", headers=auth(token)).json()["assignment"]
            assert c.get(following["image"], headers=auth(token)).status_code == 200
            (escalation,) = c.get("/api/v1/coordinator/escalations", headers=auth(coordinator)).json()
            assert escalation["tile_id"] == lost and "cannot be read" in escalation["reason"]
        assert fine != lost


def test_a_streamed_body_over_the_limit_gets_413(server: Server) -> None:
    token = server.invite("Streamer")

    def chunks() -> Iterator[bytes]:
        yield b'{"holding": ["'
        for _ in range(40):
            yield b"a" * 1000
        yield b'"]}'

    reply = server.client.post("/api/v1/assignments", content=chunks(), headers=auth(token))
    assert reply.status_code == 413
