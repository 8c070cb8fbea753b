from __future__ import annotations

import json
from pathlib import Path

import pytest

from sartriage.cli import main

LACMUS = "geotagged/lacmus_ladd_335/335.jpg"
STABLE_KEYS = {"lon", "lat", "relative_altitude_m", "gsd_m", "footprint", "pixel", "warnings"}


def _json(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    assert main(["info", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_json_has_the_stable_keys(shared_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    info = _json(capsys, str(shared_data / LACMUS))
    assert set(info) >= STABLE_KEYS
    assert info["lat"] == pytest.approx(55.9736148, abs=1e-6)
    assert info["lon"] == pytest.approx(37.6843841, abs=1e-6)
    assert info["relative_altitude_m"] == pytest.approx(47.3)
    assert info["gsd_m"] == pytest.approx(0.0156, abs=0.0003)
    assert len(info["footprint"]) >= 4 and all(len(p) == 2 for p in info["footprint"])
    assert set(info["pixel"]) >= {"lon", "lat", "error_radius_m"}
    assert (info["pixel"]["x"], info["pixel"]["y"]) == (2000, 1500)
    assert 0 < info["pixel"]["error_radius_m"] < 10
    assert info["camera"]["sensor_source"] == "camera_table"
    assert info["attitude"]["pitch_deg"] == -84.3
    assert info["warnings"] == []


def test_pixel_option_moves_the_ground_point(shared_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    centre = _json(capsys, str(shared_data / LACMUS))["pixel"]
    person = _json(capsys, str(shared_data / LACMUS), "--pixel", "1775,1640")["pixel"]
    assert (person["x"], person["y"]) == (1775, 1640)
    assert person["lon"] != centre["lon"]
    # 265 px at 1.56 cm/px: about 4 m apart
    dlat = (person["lat"] - centre["lat"]) * 111_320
    dlon = (person["lon"] - centre["lon"]) * 111_320 * 0.5596
    assert 3.0 < (dlat**2 + dlon**2) ** 0.5 < 6.0


def test_text_report(shared_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", str(shared_data / "geotagged/deervision_dji_xt2/DJI_0002_R.JPG")]) == 0
    out = capsys.readouterr().out
    assert "DJI XT2" in out
    assert "10.88 x 8.704 mm, from focal_plane_resolution" in out
    assert "100.0 m above take-off" in out
    assert "13.08 cm/px" in out
    assert out.count("corner (") == 4 and "pixel  (320, 256)" in out


def test_dem_option(shared_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = shared_data / "geotagged/orthority_p4rtk"
    flat = _json(capsys, str(folder / "100_0005_0142.tif"))
    dem = _json(capsys, str(folder / "100_0005_0142.tif"), "--dem", str(folder / "dsm.tif"))
    assert (flat["georef"], dem["georef"]) == ("camera", "camera+dem")
    assert dem["pixel"]["error_radius_m"] < flat["pixel"]["error_radius_m"]


def test_not_georeferenced_frame_reports_why(shared_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    info = _json(capsys, str(shared_data / "geotagged/edge_cases/DJI_0218_mini3pro_gps_zero.JPG"))
    assert info["lon"] is None and info["pixel"]["lon"] is None and info["footprint"] == []
    assert any("0,0" in line for line in info["warnings"])
    assert "0,0" in info["not_georeferenced_reason"]


def test_orthomosaic(shared_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    info = _json(capsys, str(shared_data / "geotiff/deepforest_neon/OSBS_029.tif"), "--pixel", "0,0")
    assert info["kind"] == "orthomosaic" and info["gsd_m"] == pytest.approx(0.1)
    assert info["pixel"]["lon"] == pytest.approx(info["corners"][0]["lon"])


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        (b"just some text\n", [], "not an image"),
        (b"", [], "empty file"),
        (None, ["--pixel", "99999,5"], "outside"),
    ],
)
def test_user_errors_are_one_line(
    shared_data: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: bytes | None,
    args: list[str],
    message: str,
) -> None:
    path = shared_data / LACMUS
    if content is not None:
        path = tmp_path / "photo.jpg"
        path.write_bytes(content)
    assert main(["info", str(path), *args]) == 1
    err = capsys.readouterr().err
    assert message in err and str(path) in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_badly_formed_pixel_is_a_usage_error(shared_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["info", str(shared_data / LACMUS), "--pixel", "12"])
    assert exit_info.value.code == 2
    assert "X,Y" in capsys.readouterr().err
