"""CPython's cycle collector during a scan.

A scan allocates many small objects that all live until it ends (syntax trees, evaluation caches,
the model). The collector would walk them again and again, a third of a large scan's time; and the
first allocation after the scan, under the caller's usual threshold, walks every object the scan
left (the report and its model). A scan therefore collects rarely, and moves what is evidently
long-lived to the oldest generation without walking it. Cycles are still collected (at the next
collection of that generation), so memory stays bounded.
"""
from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator

_YOUNG_THRESHOLD = 100_000  # allocations between collections of the youngest generation (CPython: 700)


@contextmanager
def rare_collections() -> Iterator[None]:
    """Collect rarely while scanning, and give the caller (maybe cfn-lint or checkov) its settings back."""
    previous = gc.get_threshold()
    gc.set_threshold(max(previous[0], _YOUNG_THRESHOLD), *previous[1:])
    try:
        yield
    finally:
        promote_survivors()
        gc.set_threshold(*previous)


def promote_survivors() -> None:
    """Move every object the collector tracks to the oldest generation, in constant time (freezing
    and unfreezing splice lists). For points where what exists will live until the scan ends: the
    files are parsed, the scan is done. Skipped when the caller keeps frozen objects of its own,
    which unfreezing would release, or has turned the collector off."""
    if gc.isenabled() and gc.get_freeze_count() == 0:
        gc.freeze()
        gc.unfreeze()
