"""Fuzz the review API from its own OpenAPI contract: no request, however odd, gets a 500."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from review_fixtures import LACMUS, add_flight, add_frame, add_tiles, confirm
from schemathesis.specs.openapi.checks import positive_data_acceptance

from sartriage.review import QueueSettings, ReviewQueue
from sartriage.review.server import ReviewSettings, create_app
from sartriage.store import open_store

TOKENS: dict[str, str] = {}


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Iterator[object]:
    db = tmp_path_factory.mktemp("fuzz") / "m.sqlite"
    with open_store(db) as store:
        frame = add_frame(store, add_flight(store, "f"), shared_data / LACMUS, width=4000, height=3000)
        tiles = add_tiles(store, frame, [(x, 0, 640, 640) for x in range(0, 3200, 640)], [0.5] * 5)
        confirm(store, tiles[0], "confirmed")
        queue = ReviewQueue(store)
        TOKENS["coordinator"] = queue.coordinator_token()
        TOKENS["volunteer"] = queue.invite("fuzzer")[1]
        queue_settings = QueueSettings(sync_seconds=0, exam_size=0, honeypot_rate=0.3, max_open_leases=2)
        app = create_app(
            ReviewSettings(
                db=str(db),
                queue=queue_settings,
                rate_per_second=1e6,
                rate_burst=1_000_000,
                address_per_second=1e6,
                address_burst=1_000_000,
                failed_auth_per_minute=1e9,
            ),
            store=store,
        )
        with TestClient(app):  # runs the app's start-up
            yield schemathesis.openapi.from_asgi("/openapi.json", app)


FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)


def fuzz(api_schema, token: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Run every operation of the contract with generated input; return the labels tried."""
    labels = []
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @FUZZ
        @given(case=operation.as_strategy())
        def run(case) -> None:  # type: ignore[no-untyped-def]
            # positive_data_acceptance expects 2xx for any schema-valid input; the queue's own rules (an empty
            # area, an assignment id that is not yours) rightly answer 4xx with a reason
            case.call_and_validate(
                headers={"Authorization": f"Bearer {token}"}, excluded_checks=[positive_data_acceptance]
            )

        run()
        labels.append(operation.label)
    return labels


@pytest.mark.parametrize("who", ["volunteer", "coordinator"])
def test_no_request_gets_a_server_error_and_responses_match_the_contract(api_schema, who: str) -> None:  # type: ignore[no-untyped-def]
    tried = fuzz(api_schema, TOKENS[who])
    assert "POST /api/v1/assignments/{assignment_id}/answer" in tried
    assert "POST /api/v1/coordinator/escalations/{escalation_id}/decision" in tried
