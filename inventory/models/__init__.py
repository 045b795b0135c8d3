"""Inventory's models: what is in the data center (sites, racks, devices), how it is cabled (ports, cables,
circuits), who depends on it (services), the tags on it, and what disagreed (discrepancies).

Inventory knows nothing of maintenance windows or checklists; they ask it questions (see blast_radius.py).
The modules import one way: circuits and discrepancies at the bottom (they name the models above them by
string), then sites, devices, ports, services, tags and label jobs."""

from inventory.models.circuits import (  # noqa: F401
    Circuit,
    CircuitStatus,
    CircuitTermination,
    circuits_between_sites,
    joined_sites,
    sites_reached,
)
from inventory.models.devices import (  # noqa: F401
    FORWARDING_KINDS,
    Device,
    DeviceKind,
    DeviceRole,
    DeviceStatus,
    DeviceType,
    InventoryRefused,
    SerialReading,
    SerialReadingStatus,
    is_upstream_role,
    normalize_serial,
)
from inventory.models.discrepancies import Discrepancy, DiscrepancyStatus  # noqa: F401
from inventory.models.label_jobs import (  # noqa: F401
    LABEL_JOB_QUIET,
    LabelJob,
    LabelJobStatus,
)
from inventory.models.ports import POWER_KINDS, Cable, Port, PortKind  # noqa: F401
from inventory.models.services import Customer, Service  # noqa: F401
from inventory.models.sites import Location, Rack, Site, bump_sites, validate_time_zone  # noqa: F401
from inventory.models.tags import (  # noqa: F401
    Revealed,
    Tag,
    TagQuerySet,
    TagStatus,
    find_by_identity,
    may_reveal_identity,
    reveal_identity,
)
