"""Running an import: check every row, then write them all in one transaction with one audit event, or
nothing; and the CSV upload's way in."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import DatabaseError, transaction

from audit.log import record
from inventory.importers.columns import (
    CSV_KINDS,
    FILE_NAMES,
    kind_from_filename,
    max_upload_bytes,
    max_upload_rows,
)
from inventory.importers.plan import _Import
from inventory.importers.reading import read_csv
from inventory.importers.report import ImportReport, Row
from inventory.models import Site, bump_sites

logger = logging.getLogger(__name__)


class _RollBack(Exception):
    """Raised inside the import's transaction when a row is wrong, so nothing at all is written."""


def run_import(
    rows: Mapping[str, list[Row]],
    *,
    by: AbstractBaseUser | None,
    report: ImportReport,
    audit: Mapping[str, Any],
) -> ImportReport:
    """Check every row, then write them all in one transaction with one audit event, or write nothing."""
    # A file that cannot be read at all is reported alone: checking the others against it would bury the one
    # real problem under a "no such device" for every row that refers to it.
    if not report.ok:
        report._forget_plan()
        _record_refusal(report, by=by, audit=audit)
        return report
    try:
        with transaction.atomic():
            plan = _Import(report)
            plan.load()
            plan.check(rows)
            if not report.ok:
                raise _RollBack
            plan.write()
            if any(report.created.values()) or any(report.updated.values()):
                # Bulk writes send no signals: mark every site's blast radius snapshots stale ourselves.
                # All sites, not just those named, because a cable can join two sites.
                bump_sites(Site.objects.values_list("pk", flat=True))
            # One event per import, not one per row: 100,000 interface events would bury everything else
            # in the log; the counts and files say what the import did.
            record(
                "inventory.imported",
                actor=by,
                payload={
                    **audit,
                    "files": report.files,
                    "counts": report.counts(),
                    "created_sites": report.created_sites,
                    "created_locations": report.created_locations,
                    "created_racks": report.created_racks,
                    "devices_without_serial": len(report.devices_without_serial),
                    "ignored_columns": {f: c for f, c in report.ignored_columns.items() if c},
                },
            )
    except _RollBack:
        report._forget_plan()
        _record_refusal(report, by=by, audit=audit)
    except DatabaseError as exc:
        # Rows are checked before writing, so this means a concurrent change (another import, an admin edit).
        logger.exception("inventory import refused by the database")
        report.error(
            "database", 0, f"refused the import, so nothing was written; try again ({type(exc).__name__})"
        )
        report._forget_plan()
        _record_refusal(report, by=by, audit=audit)
    return report


def _record_refusal(report: ImportReport, *, by: AbstractBaseUser | None, audit: Mapping[str, Any]) -> None:
    """A refused import wrote nothing, and the log says so: who tried, with which files, and why."""
    record(
        "inventory.import_refused",
        actor=by,
        payload={
            **audit,
            "files": report.files,
            "errors": len(report.errors),
            "first_errors": [str(error)[:300] for error in report.errors[:20]],
        },
    )


def import_netbox_csv(
    files: Mapping[str, bytes | str],
    *,
    by: AbstractBaseUser | None,
    max_bytes: int | None = None,
    max_rows: int | None = None,
) -> ImportReport:
    """Import NetBox bulk-import CSV files, all or nothing.

    `files` maps a kind ("devices", "interfaces", "front_ports", "rear_ports", "cables") or a file name that
    says its kind ("dc1-devices.csv") to the file's contents. Several files of one kind are read in turn.
    """
    max_bytes = max_upload_bytes() if max_bytes is None else max_bytes
    max_rows = max_upload_rows() if max_rows is None else max_rows
    report = ImportReport(source="csv")
    rows: dict[str, list[Row]] = {kind: [] for kind in CSV_KINDS}
    for key, data in files.items():
        if key in CSV_KINDS:
            kind, name = key, f"{key}.csv"
        else:
            kind, name = kind_from_filename(key), PurePath(key).name
        if kind is None:
            report.error(
                name,
                0,
                f"its name does not say what it holds; call it {FILE_NAMES}",
            )
            continue
        report.files.append(name)
        rows[kind] += read_csv(name, data, kind, report, max_bytes=max_bytes, max_rows=max_rows)
    return run_import(rows, by=by, report=report, audit={"source": "csv"})


def note_skipped(report: ImportReport, reasons: Counter[str]) -> None:
    for reason, count in sorted(reasons.items()):
        report.notes.append(f"skipped {count} {reason}")
