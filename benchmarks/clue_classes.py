"""What each clue class of the default card costs and brings, and how the Lacmus search photo's people fare.

    .venv/bin/python benchmarks/clue_classes.py            # about 2.5 minutes on 2 cores

For each labelled set in ../shared/data/labelled (Unicamp, HERIDAL crops), per clue class of the card: the
tiles per image it alone sends to review (person score below the review threshold) and the labelled people
whose only sent tile it sent. Then, on ../shared/data/geotagged/lacmus_ladd_335/335.jpg (GSD 1.56 cm/px, two
people on snow), the person and clue scores near each person and the tiles sent, with the GSD-aware scale
taken from the reference lengths 1.7 m (``sartriage.detect.tiling.PERSON_HEIGHT_M``) down to 0.6 m.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from sartriage.detect import Detections, Detector, FrameDetections, tiling
from sartriage.evaluate import read_labels
from sartriage.frames import open_frame

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
SETS = {
    "unicamp_uav": ("labelled/unicamp_uav/images", "labelled/unicamp_uav/labels"),
    "heridal_crops_340": ("labelled/heridal_crops_340/images", "labelled/heridal_crops_340/labels"),
}
LACMUS = SHARED / "geotagged/lacmus_ladd_335/335.jpg"
LACMUS_PEOPLE = ((1775, 1640), (1650, 2825))
NEAR_PX = 60
REFERENCES_M = (1.7, 1.2, 0.9, 0.75, 0.6)


def windows(found: FrameDetections) -> np.ndarray:
    return np.array([[t.x, t.y, t.x + t.w, t.y + t.h] for t in found.tiles], np.float32)


def inside(points: np.ndarray, win: np.ndarray) -> np.ndarray:
    """(P, T) whether each point lies in each window."""
    x, y = points[:, 0, None], points[:, 1, None]
    return (x >= win[None, :, 0]) & (x < win[None, :, 2]) & (y >= win[None, :, 1]) & (y < win[None, :, 3])


def class_tile_scores(found: FrameDetections, class_id: int) -> np.ndarray:
    clues = found.clues[found.clues.class_ids == class_id]
    held = inside(clues.centres, windows(found))
    return np.where(held, clues.scores[:, None], 0.0).max(axis=0, initial=0.0)


def per_class(detector: Detector, images: Path, labels: Path) -> None:
    review = detector.card.thresholds.review
    tiles = dict.fromkeys(detector.card.clue_ids, 0)
    people = dict.fromkeys(detector.card.clue_ids, 0)
    n_images = n_people = 0
    for item in read_labels(images, labels, None):
        with open_frame(item.image) as frame:
            found = detector.detect(frame)
            boxes = item.in_pixels(frame.width, frame.height)
        n_images, n_people = n_images + 1, n_people + len(boxes)
        held = inside((boxes[:, :2] + boxes[:, 2:]) / 2, windows(found))
        missed = ~(held & (found.tile_scores >= review)[None, :]).any(axis=1)
        for class_id in detector.card.clue_ids:
            sent = (class_tile_scores(found, class_id) >= review) & (found.tile_scores < review)
            tiles[class_id] += int(sent.sum())
            people[class_id] += int((missed & (held & sent[None, :]).any(axis=1)).sum())
    for class_id in detector.card.clue_ids:
        name = detector.card.class_names[class_id]
        print(
            f"  {class_id:3d} {name:10s} tiles_sent_per_image={tiles[class_id] / max(n_images, 1):.3f} "
            f"people_only_it_sent={people[class_id]}/{n_people}"
        )


@contextmanager
def reference_length(metres: float) -> Iterator[None]:
    before = tiling.PERSON_HEIGHT_M
    tiling.PERSON_HEIGHT_M = metres
    try:
        yield
    finally:
        tiling.PERSON_HEIGHT_M = before


def best_near(dets: Detections, x: float, y: float) -> tuple[float, list[int]]:
    """The best score of the boxes centred near (x, y), and their classes."""
    close = np.hypot(dets.centres[:, 0] - x, dets.centres[:, 1] - y) < NEAR_PX
    best = float(dets.scores[close].max()) if close.any() else 0.0
    return best, sorted({int(c) for c in dets.class_ids[close]})


def lacmus(detector: Detector) -> None:
    review = detector.card.thresholds.review
    with open_frame(LACMUS) as frame:
        print(f"{LACMUS.name}: {frame.width}x{frame.height}, GSD {frame.gsd_m * 100:.2f} cm/px")
        for metres in REFERENCES_M:
            with reference_length(metres):
                found = detector.detect(frame)
            sent = int((found.evidence >= review).sum())
            by_person = int((found.tile_scores >= review).sum())
            print(
                f"  reference {metres} m: scale {found.tiles[0].scale:.3f}, {len(found.tiles)} tiles, "
                f"{sent} sent ({by_person} on the person score)"
            )
            for x, y in LACMUS_PEOPLE:
                person, _ = best_near(found.detections, x, y)
                clue, classes = best_near(found.clues, x, y)
                held = [j for j, t in enumerate(found.tiles) if t.contains(x, y)]
                states = ", ".join(
                    f"tile {found.tiles[j].x},{found.tiles[j].y} person {found.tile_scores[j]:.3f} "
                    f"clue {found.clue_scores[j]:.3f}"  # type: ignore[index]
                    for j in held
                )
                print(f"    person at {x},{y}: person {person:.3f}, clue {clue:.3f} {classes}; {states}")


def main() -> None:
    warnings.simplefilter("ignore")  # georeferencing warnings play no part here
    detector = Detector.open(device="cpu")
    print(f"{detector.card.name}: review >= {detector.card.thresholds.review}")
    for name, (images, labels) in SETS.items():
        print(f"{name}: per clue class")
        per_class(detector, SHARED / images, SHARED / labels)
    lacmus(detector)


if __name__ == "__main__":
    main()
