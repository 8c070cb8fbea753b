"""GPX, KML/KMZ, GeoJSON and CSV of the real XT2 mission, each read back by independent readers."""

from __future__ import annotations

import csv
import json
import zipfile
from pathlib import Path

import numpy as np
import pyogrio
import pytest
import shapely
from lxml import etree
from pyogrio.raw import read as read_ogr
from pyproj import Geod, Transformer
from xt2_mission import Mission

from sartriage.export.csvfile import write_csv
from sartriage.export.geojson import write_geojson
from sartriage.export.gpx import write_gpx
from sartriage.export.kml import write_kml
from sartriage.export.records import ExportOptions, HitRecord, load_records
from sartriage.hits import HitFilter

GEOD = Geod(ellps="WGS84")
GPX_XSD = Path(__file__).parent / "schemas" / "gpx11.xsd"
KML_NS = {"k": "http://www.opengis.net/kml/2.2"}


@pytest.fixture(scope="module")
def records(mission: Mission) -> list[HitRecord]:
    with mission.open() as store:
        return load_records(store)


def by_name(records: list[HitRecord]) -> dict[str, tuple[float, float]]:
    return {r.name: (r.lon, r.lat) for r in records if r.lon is not None and r.lat is not None}


def assert_same_points(
    found: dict[str, tuple[float, float]], records: list[HitRecord], tol_m: float = 0.05
) -> None:
    expected = by_name(records)
    assert set(found) == set(expected)
    for name, (lon, lat) in found.items():
        assert GEOD.inv(lon, lat, *expected[name])[2] < tol_m, name


def test_default_export_holds_one_confirmed_hit_per_person(
    mission: Mission, records: list[HitRecord]
) -> None:
    assert len(records) == 3  # P1 (5 views), P2, the volunteers' find; the rejected false alarm is out
    assert sorted(len(r.group.views) for r in records) == sorted(len(v) for v in mission.views.values())
    assert all(r.group.status == "confirmed" for r in records)


def test_gpx_is_valid_gpx_11_and_gdal_reads_the_same_waypoints(
    records: list[HitRecord], tmp_path: Path
) -> None:
    path = tmp_path / "hits.gpx"
    result = write_gpx(records, path, title="XT2 line")
    assert result.count == 3 and not result.skipped
    schema = etree.XMLSchema(etree.parse(str(GPX_XSD)))
    doc = etree.parse(str(path))
    schema.assertValid(doc)
    meta, _, geometry, fields = read_ogr(path, layer="waypoints")
    names = list(fields[meta["fields"].tolist().index("name")])
    points = shapely.from_wkb(geometry)
    assert_same_points({n: (p.x, p.y) for n, p in zip(names, points, strict=True)}, records)
    ns = {"g": "http://www.topografix.com/GPX/1/1"}
    first = doc.find("g:wpt", ns)
    lead = records[0]
    assert first.findtext("g:name", namespaces=ns) == lead.name
    # the XT2 photos carry their camera's clock with no time zone: GPX, whose times are UTC, gets none
    assert first.findtext("g:time", namespaces=ns) is None
    desc = first.findtext("g:desc", namespaces=ns)
    clock = lead.group.first.captured_local
    assert f"seen {clock:%Y-%m-%d %H:%M:%S} camera clock (time zone unknown)" in desc
    assert (
        f"confidence {lead.group.confidence:.2f}" in desc
        and f"error radius {lead.group.error_radius_m:.0f} m" in desc
    )


def test_gpx_schema_catches_a_broken_file(records: list[HitRecord], tmp_path: Path) -> None:
    """The schema is a real check: a waypoint with an impossible latitude fails it."""
    path = tmp_path / "hits.gpx"
    write_gpx(records, path)
    broken = path.read_text().replace(f'lat="{round(records[0].lat, 7)}"', 'lat="91.5"', 1)
    assert 'lat="91.5"' in broken
    schema = etree.XMLSchema(etree.parse(str(GPX_XSD)))
    assert not schema.validate(etree.fromstring(broken.encode()))


@pytest.mark.parametrize("suffix", [".kml", ".kmz"])
def test_kml_read_by_gdal_and_by_xml_structure(records: list[HitRecord], tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"hits{suffix}"
    result = write_kml(records, path, title="XT2 line")
    assert result.count == 3
    # reader 1: GDAL/OGR, one layer per folder
    layers = {name for name, _ in pyogrio.list_layers(path)}
    assert {"Hits", "Error circles"} <= layers
    meta, _, geometry, fields = read_ogr(path, layer="Hits")
    names = list(fields[meta["fields"].tolist().index("Name")])
    points = shapely.from_wkb(geometry)
    assert_same_points({n: (p.x, p.y) for n, p in zip(names, points, strict=True)}, records)
    _, _, circles, _ = read_ogr(path, layer="Error circles")
    for record, ring in zip(records, shapely.from_wkb(circles), strict=True):
        outline = np.asarray(ring.exterior.coords)
        dists = [GEOD.inv(record.lon, record.lat, x, y)[2] for x, y in outline[:, :2]]
        assert np.allclose(dists, record.group.error_radius_m, rtol=1e-3)
    # reader 2: lxml on the document itself (inside the KMZ for .kmz)
    if suffix == ".kmz":
        with zipfile.ZipFile(path) as kmz:
            doc = etree.fromstring(kmz.read("doc.kml"))
            packed = set(kmz.namelist())
    else:
        doc = etree.parse(str(path)).getroot()
        packed = {f"{path.stem}_files/{p.name}" for p in (tmp_path / f"{path.stem}_files").iterdir()}
    assert doc.tag == "{http://www.opengis.net/kml/2.2}kml"
    placemarks = doc.findall(".//k:Folder[k:name='Hits']/k:Placemark", KML_NS)
    found = {}
    for placemark in placemarks:
        lon, lat, _ = (float(v) for v in placemark.findtext(".//k:coordinates", namespaces=KML_NS).split(","))
        found[placemark.findtext("k:name", namespaces=KML_NS)] = (lon, lat)
        image = etree.HTML(placemark.findtext("k:description", namespaces=KML_NS)).find(".//img")
        assert image is not None and image.get("src") in packed  # the tile image travels with the file
    assert_same_points(found, records)


def test_geojson_is_rfc7946_and_gdal_reads_every_attribute(records: list[HitRecord], tmp_path: Path) -> None:
    path = tmp_path / "hits.geojson"
    write_geojson(records, path)
    data = json.loads(path.read_text())
    assert data["type"] == "FeatureCollection" and "crs" not in data
    meta, _, geometry, fields = read_ogr(path)
    assert meta["crs"] == "EPSG:4326"
    columns = meta["fields"].tolist()
    names = list(fields[columns.index("name")])
    points = shapely.from_wkb(geometry)
    assert_same_points({n: (p.x, p.y) for n, p in zip(names, points, strict=True)}, records, tol_m=0.02)
    views = dict(zip(names, fields[columns.index("views")], strict=True))
    assert views == {r.name: len(r.group.views) for r in records}


def test_geojson_circles_wind_counter_clockwise(records: list[HitRecord], tmp_path: Path) -> None:
    path = tmp_path / "circles.geojson"
    write_geojson(records, path, circles=True)
    for feature in json.loads(path.read_text())["features"]:
        ring = shapely.LinearRing(feature["geometry"]["coordinates"][0])
        assert ring.is_ccw


def test_csv_has_lat_lon_mgrs_utm_and_gdal_reads_it(records: list[HitRecord], tmp_path: Path) -> None:
    path = tmp_path / "hits.csv"
    write_csv(records, path)
    with path.open(encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert [r["name"] for r in rows] == [r.name for r in records]
    for row, record in zip(rows, records, strict=True):
        # UTM from the row, back to lon/lat with an independent transform
        zone = int(row["utm_zone"][:-1])
        to_ll = Transformer.from_crs(32600 + zone, 4326, always_xy=True)
        lon, lat = to_ll.transform(float(row["utm_easting"]), float(row["utm_northing"]))
        assert GEOD.inv(lon, lat, record.lon, record.lat)[2] < 0.2
        assert row["mgrs"].replace(" ", "").startswith("18T")  # Pennsylvania: UTM zone 18, band T
        assert row["status"] == "confirmed" and row["frame"].startswith("DJI_")
    meta, _, geometry, fields = read_ogr(path, X_POSSIBLE_NAMES="lon", Y_POSSIBLE_NAMES="lat")
    points = shapely.from_wkb(geometry)
    names = list(fields[meta["fields"].tolist().index("name")])
    assert_same_points({n: (p.x, p.y) for n, p in zip(names, points, strict=True)}, records, tol_m=0.02)


def test_filters_and_grouping_options(mission: Mission) -> None:
    with mission.open() as store:
        every = load_records(store, ExportOptions(filter=HitFilter(), group=False))
        rejected = load_records(store, ExportOptions(filter=HitFilter(statuses=("rejected",))))
        volunteers = load_records(store, ExportOptions(filter=HitFilter(sources=("volunteers",))))
        anonymous = load_records(
            store, ExportOptions(filter=HitFilter(sources=("volunteers",)), anonymous=True)
        )
    assert len(every) == sum(len(v) for v in mission.views.values()) + 1
    assert [r.group.id for r in rejected] == [mission.rejected]
    assert volunteers[0].volunteers == ("Ana", "Bo", "Cy") and "Ana, Bo, Cy" in volunteers[0].description()
    assert anonymous[0].volunteers == () and anonymous[0].volunteer_count == 3
    assert "Ana" not in json.dumps(anonymous[0].properties()) + anonymous[0].description()
