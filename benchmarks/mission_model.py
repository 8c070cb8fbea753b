"""The loop on real frames: a mission's decisions train a model that is scored on the mission's later frames.

    .venv/bin/python benchmarks/mission_model.py [--epochs 8]     # about 10 minutes on 2 cores

The Unicamp dev frames are one clip (DJI_0083), numbered by time. The first six are the mission: scanned
with the shipped models, reviewed by three simulated volunteers through the real queue (each answers every
tile it serves them, right nine times in ten: a tile holds a person when a labelled person's centre lies
in it), then decided as a coordinator would who checks each picture: a hit on a labelled person is
confirmed, any other hit rejected, and a labelled person on a tile that reached volunteers or the
coordinator but has no confirmed hit is marked by hand (`hits.mark_person`). People on tiles the detector
cleared are never seen, as in the field. `sartriage learn` then trains the mission model. The last six
frames, never part of the mission, score it against the shipped model: AP, and recall and precision at
each model's review threshold. Caveat: one clip, one place and one light, so the later frames are close
kin of the earlier ones; read the figures as "the loop works", not as what a new search would gain.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from sqlalchemy import select

from sartriage import hits
from sartriage.detect import Detector, find_card
from sartriage.detect.choice import Models
from sartriage.errors import ReviewError, SartriageWarning
from sartriage.evaluate import Tally, evaluate, read_labels
from sartriage.evaluate.labels import ImageLabels
from sartriage.evaluate.matching import points_inside
from sartriage.frames import open_frame
from sartriage.review import QueueSettings, ReviewQueue
from sartriage.scan import ScanOptions, scan
from sartriage.store import Store, open_store, schema
from sartriage.train.mission import learn

ROOT = Path(__file__).resolve().parents[1]
UNICAMP = ROOT.parent / "shared" / "data" / "labelled" / "unicamp_uav"


def by_time(path: Path) -> int:
    return int(path.stem.rsplit("_", 1)[1])


def review_as_volunteers(store: Store, boxes: dict[str, np.ndarray], accuracy: float = 0.9) -> int:
    """Three volunteers answer every tile the queue serves them; returns the answers given."""
    queue = ReviewQueue(store, QueueSettings(seed=7, sync_seconds=0.0, honeypot_rate=0.0, exam_size=0))
    queue.sync()
    t, f = schema.tiles, schema.frames
    with store.connect() as conn:
        windows = {
            r.id: (Path(r.path).name, r.x, r.y, r.w, r.h)
            for r in conn.execute(select(t.c.id, t.c.x, t.c.y, t.c.w, t.c.h, f.c.path).join(f))
        }
    rng = np.random.default_rng(11)
    given = 0
    for name in ("Ana", "Bo", "Cy"):
        volunteer = queue.invite(name)[0].id
        while (lease := queue.next_lease(volunteer)) is not None:
            frame, x, y, w, h = windows[lease.tile_id]
            people = boxes[frame]
            centres = ((people[:, 0] + people[:, 2]) / 2, (people[:, 1] + people[:, 3]) / 2)
            truth = bool(points_inside(*centres, np.array([[x, y, x + w, y + h]], np.float32)).any())
            said = truth if rng.random() < accuracy else not truth
            queue.answer(volunteer, lease.public_id, "person" if said else "no_person")
            given += 1
    return given


def decide_as_a_coordinator(store: Store, boxes: dict[str, np.ndarray]) -> tuple[int, int, int, int]:
    confirmed = rejected = marked = unmarked = 0
    for hit in hits.list_hits(store):
        people = boxes[Path(hit.frame_path).name]
        under = points_inside(np.array(hit.x), np.array(hit.y), people)
        if under.any():
            hits.confirm(store, hit.id)
            confirmed += 1
        else:
            hits.reject(store, hit.id)
            rejected += 1
    f, t = schema.frames, schema.tiles
    with store.connect() as conn:
        frames = conn.execute(f.select().where(f.c.status == "done")).all()
        seen = conn.execute(t.select().where(t.c.state != "cleared")).all()
    kept = [(h.x, h.y) for h in hits.list_hits(store) if h.status == "confirmed"]
    for frame in frames:
        windows = [(r.x, r.y, r.w, r.h) for r in seen if r.frame_id == frame.id]
        for x1, y1, x2, y2 in boxes[Path(frame.path).name]:
            cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
            looked_at = any(x <= cx < x + w and y <= cy < y + h for x, y, w, h in windows)
            found = any(x1 <= hx <= x2 and y1 <= hy <= y2 for hx, hy in kept)
            if looked_at and not found:
                try:
                    hits.mark_person(store, frame.id, (x1, y1, x2, y2))
                    marked += 1
                except ReviewError:  # one mark per tile: a group gets one mark and a note
                    unmarked += 1
    return confirmed, rejected, marked, unmarked


def scored(detector: Detector, labelled: list[ImageLabels]) -> tuple[float, float, float, float]:
    tally = Tally()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SartriageWarning)
        for _ in evaluate(detector, labelled, open_frame, tally):
            pass
    review = detector.card.thresholds.review
    at = tally.at(review)
    return tally.average_precision(), at.recall, at.precision, review


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    args = parser.parse_args()
    labelled = sorted(read_labels(UNICAMP / "images", UNICAMP / "labels"), key=lambda e: by_time(e.image))
    mission_part, later = labelled[: len(labelled) // 2], labelled[len(labelled) // 2 :]
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        card = tmp / "card"
        card.mkdir()
        boxes = {}
        for entry in mission_part:
            shutil.copyfile(entry.image, card / entry.image.name)
            with open_frame(entry.image) as frame:
                scale = np.array([frame.width, frame.height] * 2, np.float32) if entry.normalised else 1
            boxes[entry.image.name] = entry.boxes * scale
        started = time.perf_counter()
        with warnings.catch_warnings(), open_store(tmp / "mission.sqlite") as store:
            warnings.simplefilter("ignore", SartriageWarning)
            list(scan(store, card, Models.open(None, device="cpu"), ScanOptions(quality_share=0)))
            scanned = time.perf_counter() - started
            answers = review_as_volunteers(store, boxes)
            confirmed, rejected, marked, unmarked = decide_as_a_coordinator(store, boxes)
            started = time.perf_counter()
            learned = learn(store, tmp / "mission.onnx", tmp / "run", epochs=args.epochs)
            trained = time.perf_counter() - started
        print(
            f"mission: {len(mission_part)} frames scanned in {scanned:.0f} s; volunteers gave {answers} "
            "answers; coordinator confirmed "
            f"{confirmed} hits, rejected {rejected}, marked {marked} missed people by hand ({unmarked} more "
            "in tiles that already held a mark); "
            f"learn took {trained:.0f} s"
        )
        print("\n".join(learned.describe()))
        people = sum(len(e.boxes) for e in later)
        print(f"later frames of the clip ({len(later)} frames, {people} people, never in the mission):")
        for name, detector in (
            ("shipped", Detector.open(find_card(None), device="cpu")),
            ("mission", Detector.open(learned.card, device="cpu")),
        ):
            ap, recall, precision, review = scored(detector, later)
            figures = f"ap={ap:.3f} recall={recall:.3f} precision={precision:.3f}"
            print(f"  {name:8} {figures} at review >= {review:.2f}")


if __name__ == "__main__":
    main()
