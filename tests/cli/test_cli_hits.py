from __future__ import annotations

import json
from pathlib import Path

import pytest
from hit_rows import add_flight, add_frame, add_hit, add_tile

from sartriage import hits
from sartriage.cli import main
from sartriage.store import open_store


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = tmp_path / "mission.sqlite"
    with open_store(path) as store, store.begin() as conn:
        flight = add_flight(conn, store, "north")
        for i, confidence in enumerate([0.3, 0.8, 0.6]):
            tile = add_tile(conn, add_frame(conn, flight, f"/card/DJI_{i:04d}.JPG"), 0, 0)
            add_hit(conn, tile, x=5.0, y=6.0, confidence=confidence, lon=10.5, lat=47.25, error_radius_m=12.0)
    return str(path)


def listed(db: str, capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, object]]:
    assert main(["hits", "list", "--db", db, "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_list_prints_best_first(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["hits", "list", "--db", db]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["id", "status", "score"]
    assert [line.split()[2] for line in lines[1:]] == ["0.80", "0.60", "0.30"]
    assert "47.250000,10.500000 ±12 m" in lines[1]
    assert [r["confidence"] for r in listed(db, capsys, "--min-score", "0.5")] == [0.8, 0.6]


def test_list_names_the_other_views_of_the_same_spot(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    """The three hits lie on one spot (error circles of 12 m around one point): each names the other two."""
    rows = listed(db, capsys)
    ids = [r["id"] for r in rows]
    for row in rows:
        assert sorted(row["same_spot"]) == sorted(i for i in ids if i != row["id"])  # type: ignore[type-var]
    assert main(["hits", "list", "--db", db]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[-4:] == ["same", "spot", "last", "note"]  # every column is named
    assert lines[1].split()[-1] == ",".join(str(i) for i in ids[1:])
    # a hit alone on its spot says so with a dash
    assert listed(db, capsys, "--min-score", "0.7")[0]["same_spot"] == []


def test_every_app_action_is_in_the_cli(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    best, second, third = (r["id"] for r in listed(db, capsys))
    assert main(["hits", "confirm", "--db", db, str(best), str(second), "--note", "send team 1"]) == 0
    assert main(["hits", "reject", "--db", db, str(third)]) == 0
    assert main(["hits", "found", "--db", db, str(best)]) == 0
    assert main(["hits", "not-found", "--db", db, str(second)]) == 0
    assert main(["hits", "note", "--db", db, str(second), "searched twice"]) == 0
    capsys.readouterr()
    rows = {r["id"]: r for r in listed(db, capsys)}
    assert [rows[i]["status"] for i in (best, second, third)] == ["found", "not_found", "rejected"]
    assert str(rows[second]["note"]).splitlines()[-1].endswith("] searched twice")
    assert [r["id"] for r in listed(db, capsys, "--status", "found", "--status", "rejected")] == [best, third]
    assert main(["hits", "reopen", "--db", db, str(third)]) == 0
    with open_store(db) as store:
        assert hits.get_hit(store, int(str(third))).status == "candidate"


def test_refused_hit_does_not_stop_the_others(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    ids = [int(str(r["id"])) for r in listed(db, capsys)]
    assert main(["hits", "found", "--db", db, str(ids[0])]) == 1
    assert main(["hits", "confirm", "--db", db, "999", str(ids[1])]) == 1
    captured = capsys.readouterr()
    assert "cannot mark it found" in captured.err and "hit 999: no such hit" in captured.err
    assert "confirmed" in captured.out
    assert "Traceback" not in captured.err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["hits", "list"], "mission.sqlite: no mission store here"),
        (["hits", "list", "--db", "/nonexistent/m.sqlite"], "no mission store here"),
    ],
)
def test_user_errors_are_one_line(
    argv: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.delenv("SARTRIAGE_DB", raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_bad_time_is_refused_by_the_parser(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["hits", "list", "--db", db, "--since", "yesterday"])
    assert "is not a time" in capsys.readouterr().err
