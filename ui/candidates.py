"""Candidates best first, as thumbnails: the coordinator's decision list, driven by the keyboard.

Keys: arrows move, ``y`` confirms, ``n`` rejects, ``space`` shows the candidate
in its frame (context). The list never decides anything itself: it asks the
window, which calls the core.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PyQt6.QtCore import QSize, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QIcon, QKeyEvent, QPainter, QPaintEvent, QPen, QPixmap
from PyQt6.QtWidgets import QListView, QListWidget, QListWidgetItem, QWidget

from sartriage.hits import Hit
from sartriage.hits.grouping import ON_THE_GROUND, HitGroup, same_spot
from ui import imagery, style
from ui.tasks import run_in_background

THUMB = 128
THUMB_CONTEXT = 4  # a thumbnail spans this many times the person's box
THUMB_MIN_SIDE = 96
EMPTY_TEXT = (
    "No candidates yet.\n\nTiles the detector flags and tiles volunteers confirm appear here, best first.\n\n"
    "Keys: arrows move · y confirm · n reject · space context"
)
HIT_ID = Qt.ItemDataRole.UserRole
STATUS_LABELS = {
    "candidate": "to decide",
    "confirmed": "CONFIRMED",
    "found": "FOUND",
    "not_found": "not found",
    "rejected": "rejected",
}


def thumb_side(hit: Hit) -> int:
    """Frame pixels a thumbnail shows: a few times the person's box, so a 30 px person is visible,
    never more than the tile; the whole tile when the hit has no box (volunteer candidates)."""
    tile = max(hit.tile[2], hit.tile[3])
    if hit.box is None:
        return tile
    x1, y1, x2, y2 = hit.box
    return int(min(max(THUMB_CONTEXT * max(x2 - x1, y2 - y1), THUMB_MIN_SIDE), tile))


def how_sure(hit: Hit) -> str:
    """What the score means, in a few words: a detector's person score, the volunteers' belief, or a mark."""
    if hit.source == "detector":
        return f"person {hit.confidence:.2f} · detector"
    if hit.source == "volunteers":
        return f"person {hit.confidence:.0%} · volunteers"
    return "marked by the coordinator"


def caption(hit: Hit, agreement: str | None = None, also: Sequence[Hit] = ()) -> str:
    """Score and source, status, the volunteers' agreement where they answered, and the other views of the
    same spot (``also``, those on the ground first): a line each."""
    lines = [how_sure(hit), STATUS_LABELS.get(hit.status, hit.status)]
    if agreement:
        lines.append(agreement)
    if also:
        first = also[0]
        if first.status in ON_THE_GROUND:
            lines.append(f"↔ H{first.id} {STATUS_LABELS[first.status].lower()}")
        else:
            lines.append("↔ " + ", ".join(f"H{v.id}" for v in also[:3]) + (" …" if len(also) > 3 else ""))
    return "\n".join(lines)


def same_spot_tip(also: Sequence[Hit]) -> str:
    if not also:
        return ""
    views = ", ".join(f"hit {v.id} ({v.status.replace('_', ' ')}, {Path(v.frame_path).name})" for v in also)
    return f"Same spot as {views}: their error circles touch, so ground teams get one position for them all."


def next_to_decide(hits: Sequence[Hit], row: int) -> int:
    """The first hit still to decide from ``row`` on, wrapping round; ``row`` when none is left."""
    order = [*range(row, len(hits)), *range(row)]
    return next((i for i in order if hits[i].status == "candidate"), row)


# the list's status filter: name -> the statuses it shows ("all but rejected" is the default)
FILTERS: dict[str, tuple[str, ...]] = {
    "all but rejected": ("candidate", "confirmed", "found", "not_found"),
    "to decide": ("candidate",),
    "confirmed": ("confirmed",),
    "found / not found": ("found", "not_found"),
    "rejected": ("rejected",),
    "all": ("candidate", "confirmed", "found", "not_found", "rejected"),
}
DEFAULT_FILTER = "all but rejected"
MUTED = QColor(128, 128, 128)


class CandidateList(QListWidget):
    current_hit = pyqtSignal(object)  # Hit or None
    decide = pyqtSignal(int, str)  # hit id, action ("confirm" | "reject")
    context = pyqtSignal(object)  # Hit

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setIconSize(QSize(THUMB, THUMB))
        self.setGridSize(QSize(THUMB + 28, THUMB + 76))  # four caption lines
        self.setWordWrap(True)
        self.setUniformItemSizes(True)
        self.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        self._hits: dict[int, Hit] = {}  # the hits shown now
        self._all: list[Hit] = []  # every hit given, in order, before the status filter
        self._agreement: dict[int, str] = {}
        self._groups: dict[int, HitGroup] = {}
        self.statuses = FILTERS[DEFAULT_FILTER]
        self._thumbs: dict[int, QPixmap] = {}
        # every item has a thumbnail-sized icon from the start, so the grid is laid out with room for
        # pictures and captions before the pictures are read
        self._placeholder = QPixmap(THUMB, THUMB)
        self._placeholder.fill(QColor(70, 70, 70))
        self.currentItemChanged.connect(self._moved)

    def hits(self) -> list[Hit]:
        return [self._hits[self.item(i).data(HIT_ID)] for i in range(self.count())]

    def selected_hits(self) -> list[Hit]:
        chosen = [self._hits[item.data(HIT_ID)] for item in self.selectedItems()]
        if not chosen and (hit := self.current()) is not None:
            chosen = [hit]
        return chosen

    def current(self) -> Hit | None:
        item = self.currentItem()
        return None if item is None else self._hits.get(item.data(HIT_ID))

    def set_hits(
        self,
        hits: Sequence[Hit],
        agreement: dict[int, str] | None = None,
        groups: dict[int, HitGroup] | None = None,
    ) -> None:
        """Show the hits whose status the filter lets through, in the order given (the core sorts them best
        first); keep the current one. ``groups`` (hit id -> the views of its spot) marks hits that show a
        person another hit already shows."""
        self._all, self._agreement, self._groups = list(hits), dict(agreement or {}), dict(groups or {})
        self._show()

    def set_filter(self, name: str) -> None:
        """Show only hits of the statuses ``FILTERS[name]`` (rejected ones, when shown, are muted)."""
        self.statuses = FILTERS[name]
        self._show()

    def status_of(self, hit_id: int) -> str | None:
        """The status of any hit given, shown or filtered out."""
        return next((h.status for h in self._all if h.id == hit_id), None)

    def _show(self) -> None:
        hits = [h for h in self._all if h.status in self.statuses]
        agreement, groups = self._agreement, self._groups
        keep = self.current()
        keep_row = self.currentRow()
        self.blockSignals(True)
        self.clear()
        self._hits = {h.id: h for h in hits}
        for hit in hits:
            group = (groups or {}).get(hit.id)
            also = same_spot(hit, group) if group is not None else []
            item = QListWidgetItem(caption(hit, (agreement or {}).get(hit.id), also))
            item.setData(HIT_ID, hit.id)
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
            tip = [f"hit {hit.id} in {Path(hit.frame_path).name}", same_spot_tip(also), hit.note]
            item.setToolTip("\n".join(t for t in tip if t))
            if hit.status == "rejected":
                item.setForeground(MUTED)
            if hit.id in self._thumbs:
                item.setIcon(self._icon(hit, self._thumbs[hit.id]))
            else:
                item.setIcon(self._icon(hit, self._placeholder))
                self._load_thumb(hit)
            self.addItem(item)
        self.blockSignals(False)
        if not hits:
            self.current_hit.emit(None)
            return
        # stay on the same hit, or at the same place when it left the list; once it is decided, go on to
        # the next candidate still to decide
        row = min(max(keep_row, 0), len(hits) - 1)
        if keep is not None:
            row = next((i for i, h in enumerate(hits) if h.id == keep.id), row)
            if keep.status == "candidate" and self.status_of(keep.id) != "candidate":
                row = next_to_decide(hits, row)
        self.setCurrentRow(row)

    def _load_thumb(self, hit: Hit) -> None:
        w, h = hit.frame_size
        rect = imagery.context_rect(hit.x, hit.y, (w or 0, h or 0), thumb_side(hit))
        hit_id = hit.id

        def ready(pic: imagery.Picture) -> None:
            self._thumb_ready(hit_id, pic)

        run_in_background(
            self,
            lambda: imagery.read_window(hit.photo, rect, longest=THUMB),
            ready,
            lambda _msg: None,  # no thumbnail: the caption still says everything
        )

    def _thumb_ready(self, hit_id: int, pic: imagery.Picture) -> None:
        pixmap = QPixmap.fromImage(pic.image)
        self._thumbs[hit_id] = pixmap
        hit = self._hits.get(hit_id)
        if hit is None:
            return
        for i in range(self.count()):
            item = self.item(i)
            if item.data(HIT_ID) == hit_id:
                item.setIcon(self._icon(hit, pixmap))
                break

    @staticmethod
    def _icon(hit: Hit, pixmap: QPixmap) -> QIcon:
        """The thumbnail with a border in the colour of the hit's status, its pixels untinted when the
        item is selected (the one being decided must show the person as the photo does)."""
        out = QPixmap(pixmap)
        painter = QPainter(out)
        painter.setPen(QPen(style.HIT_STATUS_COLOURS.get(hit.status, QColor("white")), 6))
        painter.drawRect(out.rect())
        painter.end()
        icon = QIcon()
        for mode in (QIcon.Mode.Normal, QIcon.Mode.Selected, QIcon.Mode.Active):
            icon.addPixmap(out, mode)
        return icon

    def thumbnails_loaded(self) -> int:
        return sum(1 for hit_id in self._hits if hit_id in self._thumbs)

    def _moved(self, current: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        self.current_hit.emit(None if current is None else self._hits.get(current.data(HIT_ID)))

    def paintEvent(self, event: QPaintEvent | None) -> None:
        super().paintEvent(event)
        if self.count() == 0:
            painter = QPainter(self.viewport())
            painter.setPen(QColor(120, 120, 120))
            painter.drawText(
                self.viewport().rect().adjusted(12, 12, -12, -12),
                Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap,
                EMPTY_TEXT,
            )
            painter.end()

    def keyPressEvent(self, event: QKeyEvent | None) -> None:
        if event is None:
            return
        hit = self.current()
        key = event.key()
        if hit is not None and key == Qt.Key.Key_Y:
            self.decide.emit(hit.id, "confirm")
        elif hit is not None and key == Qt.Key.Key_N:
            self.decide.emit(hit.id, "reject")
        elif hit is not None and key == Qt.Key.Key_Space:
            self.context.emit(hit)
        else:
            super().keyPressEvent(event)
