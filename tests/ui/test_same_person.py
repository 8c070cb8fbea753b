"""One person seen in several overlapping frames, in the app: the map puts one square where ground teams
are sent (the position the exports give), and the candidate list says which hit already shows the spot."""

from __future__ import annotations

from pathlib import Path

import pytest
from PyQt6.QtCore import Qt
from xt2_mission import Mission, build_mission

from sartriage import hits
from sartriage.export.records import load_records
from sartriage.snapshot import read_snapshot
from ui.candidates import CandidateList
from ui.map_view import MapView


@pytest.fixture
def mission(shared_data: Path, tmp_path: Path) -> Mission:
    frames = sorted((shared_data / "geotagged" / "deervision_dji_xt2").glob("DJI_*_R.JPG"))
    return build_mission(frames, tmp_path / "mission.sqlite")


def test_one_square_per_person_and_the_candidate_names_the_confirmed_view(qtbot, mission: Mission) -> None:  # type: ignore[no-untyped-def]
    p1 = sorted(mission.views["P1"])  # five confirmed views of one person
    with mission.open() as store:
        hits.reopen(store, p1[-1])  # one view back to "to decide": it shows the person already confirmed
        snapshot = read_snapshot(store)
        exported = {r.group.hit_ids: r for r in load_records(store)}

    view = MapView()
    qtbot.addWidget(view)
    view.resize(900, 700)
    view.show()
    qtbot.waitExposed(view)
    view.set_hits(snapshot.hits, snapshot.ground)

    # one square for each person seen more than once, at the position the ground exports give
    people = {g.hit_ids: g for g in snapshot.ground if len(g.views) > 1}
    assert tuple(p1[:-1]) in people
    assert sorted(view.ground_ids()) == sorted(g.id for g in people.values())
    person = people[tuple(p1[:-1])]
    record = exported[tuple(p1[:-1])]
    assert (person.lon, person.lat) == (record.lon, record.lat)
    assert view.projection is not None
    x, y = view.projection.to_scene(person.lon, person.lat)
    point = view.ground_position(person.id)
    assert point is not None
    assert (point - view.mapFromScene(float(x), float(y)).toPointF()).manhattanLength() < 2
    # the views keep their own dots
    assert set(p1).issubset(view.hit_ids())

    # a click on the square picks the person's best view
    with qtbot.waitSignal(view.hit_clicked) as clicked:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point.toPoint())
    assert clicked.args == [person.id]

    # in the list, the reopened view says which confirmed hit shows the same spot; a lone hit says nothing
    listed = CandidateList()
    qtbot.addWidget(listed)
    listed.set_hits(snapshot.hits, snapshot.agreement, snapshot.groups)
    texts = {listed.item(i).data(Qt.ItemDataRole.UserRole): listed.item(i) for i in range(listed.count())}
    reopened = texts[p1[-1]]
    assert f"↔ H{person.id} confirmed" in reopened.text()
    assert "ground teams get one position" in reopened.toolTip()
    listed_hits = [h for h in snapshot.hits if h.status != "rejected"]  # the list's default filter
    alone = [h.id for h in listed_hits if len(snapshot.groups[h.id].views) == 1]
    assert alone, "the mission has hits seen once"
    assert all("↔" not in texts[i].text() for i in alone)
