"""Importing the inventory from NetBox: its bulk-import CSV columns, or rows read from its REST API.

Both sources become the same rows (column name to text) and go through one validator and one writer, so each
rule is enforced in one place. An import checks every row first and writes only if all of them are good, in
one transaction: a half-imported data center is worse than none, because nobody can tell which half is real.

Where things are:

- columns.py: the kinds of file and their columns, the words and length limits values are checked against,
  upload limits, and the names a file or a device is known by (kind_from_filename, unnamed_device_name).
- report.py: Row, RowError and ImportReport, what an import found and did.
- reading.py: read_csv, a CSV file (its encoding, delimiter and header) into rows.
- values.py: _Values, one row's values checked one at a time, and small helpers (_assign, _chunks, ...).
- plan.py: _Import, the checking plan (state, loading, look-ups), made of one part per concern:
  places.py (sites, locations, racks), devices.py (devices, power panels, rack units, asset tags),
  ports.py (ports, rear port positions), cables.py (circuits, terminations, cables), writing.py (the writes).
- run.py: run_import (check, then write all or nothing, audited), import_netbox_csv, note_skipped.
"""

from inventory.importers.columns import (
    FILE_NAMES,
    kind_for_role,
    kind_from_filename,
    max_upload_bytes,
    unnamed_device_name,
)
from inventory.importers.report import ImportReport, Row
from inventory.importers.run import import_netbox_csv, note_skipped, run_import

__all__ = [
    "FILE_NAMES",
    "ImportReport",
    "Row",
    "import_netbox_csv",
    "kind_for_role",
    "kind_from_filename",
    "max_upload_bytes",
    "note_skipped",
    "run_import",
    "unnamed_device_name",
]
