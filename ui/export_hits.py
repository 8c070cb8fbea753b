"""The app's exports: every format of the core's registry (``sartriage.export.formats``), chosen in the
file dialog, for the chosen hits or every confirmed one."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sartriage.errors import ExportError
from sartriage.export.formats import FORMATS, Exported, ExportRequest
from sartriage.export.records import ExportOptions
from sartriage.hits import HitFilter
from sartriage.store import Store

DIALOG_FILTER = ";;".join(f"{fmt.label} (*{fmt.ending})" for fmt in FORMATS.values())
# a name typed with an ending only one format writes says the format, whatever type the dialog shows
# (.pdf is cards or the report: the dialog's choice decides)
_ENDINGS = [fmt.ending for fmt in FORMATS.values() if fmt.ending]
BY_ENDING = {
    fmt.ending: name for name, fmt in FORMATS.items() if fmt.ending and _ENDINGS.count(fmt.ending) == 1
}


def format_for(path: Path, chosen_filter: str = "") -> str:
    """The format to write ``path`` in: its ending's, else the type chosen in the dialog, else GPX."""
    by_ending = BY_ENDING.get(path.suffix.lower())
    if by_ending is not None:
        return by_ending
    return next((name for name, fmt in FORMATS.items() if chosen_filter.startswith(fmt.label)), "gpx")


def export_hits(
    store: Store, hit_ids: Sequence[int] | None, path: Path, name: str | None = None
) -> tuple[Path, Exported]:
    """The chosen hits (None: every confirmed hit), one per person as the core groups them, in format
    ``name`` (None: from the path's ending); returns where it was written and what."""
    name = name or BY_ENDING.get(path.suffix.lower())
    if name is None:
        endings = ", ".join(BY_ENDING)
        raise ExportError(f"{path}: unknown export type; name it {endings}, or choose a type in the list")
    if hit_ids is not None and not hit_ids:
        raise ExportError(f"{path}: no hits chosen; select one or more hits in the list first")
    options = ExportOptions() if hit_ids is None else ExportOptions(filter=HitFilter(ids=tuple(hit_ids)))
    fmt = FORMATS[name]
    out = fmt.path(path)
    return out, fmt.write(store, ExportRequest(options), out)
