"""Reading a NetBox server's REST API into the importer's rows.

The API's objects become the same rows a CSV upload gives (see the importers package), so both sources are checked
and written by the same code. Only the standard library speaks HTTP here: one GET at a time, with a timeout.
"""

from __future__ import annotations

import json
import logging
import socket
import ssl
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from django.contrib.auth.models import AbstractBaseUser

from inventory.importers import ImportReport, Row, note_skipped, run_import, unnamed_device_name

ENDPOINTS = {
    "sites": "/api/dcim/sites/",
    "locations": "/api/dcim/locations/",
    "racks": "/api/dcim/racks/",
    "device_roles": "/api/dcim/device-roles/",
    "device_types": "/api/dcim/device-types/",
    "devices": "/api/dcim/devices/",
    "interfaces": "/api/dcim/interfaces/",
    "rear_ports": "/api/dcim/rear-ports/",
    "front_ports": "/api/dcim/front-ports/",
    "power_panels": "/api/dcim/power-panels/",
    "power_ports": "/api/dcim/power-ports/",
    "power_outlets": "/api/dcim/power-outlets/",
    "power_feeds": "/api/dcim/power-feeds/",
    "circuits": "/api/circuits/circuits/",
    "circuit_terminations": "/api/circuits/circuit-terminations/",
    "cables": "/api/dcim/cables/",
}
GLOBAL_KINDS = frozenset({"device_roles", "device_types"})
PORT_TYPES = {
    "dcim.interface": "interfaces",
    "dcim.frontport": "front_ports",
    "dcim.rearport": "rear_ports",
    "dcim.powerport": "power_ports",
    "dcim.poweroutlet": "power_outlets",
    "dcim.powerfeed": "power_feeds",
    "circuits.circuittermination": "circuit_terminations",
}
# A page of 1,000 interfaces is a few megabytes; anything far past that is not NetBox answering.
MAX_PAGE_BYTES = 64 * 1024 * 1024

logger = logging.getLogger(__name__)


class NetBoxError(Exception):
    """NetBox could not be read; the message says why in words for the person running the import."""


class _SameHostRedirects(urllib.request.HTTPRedirectHandler):
    """urllib would carry the token along to any host a redirect names; only the same host may have it."""

    def redirect_request(
        self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> urllib.request.Request | None:
        if urlsplit(newurl).hostname != urlsplit(req.full_url).hostname:
            raise NetBoxError(
                f"NetBox at {req.full_url} redirects to another host ({urlsplit(newurl).hostname}); "
                "give that address as --url if it is really your NetBox"
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class NetBoxClient:
    def __init__(self, url: str, token: str, *, timeout: float = 30.0, page_size: int = 1000) -> None:
        parts = urlsplit(url.strip())
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise NetBoxError(f"{url!r} is not a NetBox address; give one like https://netbox.example.com")
        if parts.username or parts.password:
            # Every message and the audit event name the address: a password in it would be on all of them.
            raise NetBoxError(
                "a NetBox address must not carry a user name or password; the token is the login"
            )
        path = parts.path.rstrip("/").removesuffix("/api")
        self.base_url = f"{parts.scheme}://{parts.netloc}{path}"
        self.token = token
        self.timeout = timeout
        self.page_size = page_size
        self._opener = urllib.request.build_opener(_SameHostRedirects)

    def get_all(self, endpoint: str, filters: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
        """Every object of an endpoint, page by page, following `next` until it is null."""
        query = urlencode({**(filters or {}), "limit": self.page_size, "offset": 0})
        seen: set[str] = set()
        results: list[dict[str, Any]] = []
        while True:
            seen.add(query)
            page = self._get_json(f"{endpoint}?{query}")
            batch = page.get("results") if isinstance(page, dict) else None
            if not isinstance(batch, list):
                raise NetBoxError(
                    f"{self.base_url}{endpoint} did not answer with a NetBox list (no 'results')"
                )
            results += [item for item in batch if isinstance(item, dict)]
            following = page.get("next")
            if not following or not batch:
                return results
            # Only the page's query is taken from `next`, never its host: a NetBox behind a proxy often names
            # an internal or plain-http address there, and the token must not travel to it.
            query = urlencode(parse_qsl(urlsplit(str(following)).query))
            if query in seen:
                raise NetBoxError(f"{self.base_url}{endpoint} keeps sending the same page; stopped")

    def _get_json(self, path_and_query: str) -> Any:
        url = f"{self.base_url}{path_and_query}"
        request = urllib.request.Request(  # noqa: S310 (the scheme was checked to be http or https)
            url, headers={"Authorization": f"Token {self.token}", "Accept": "application/json"}
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                body = response.read(MAX_PAGE_BYTES + 1)
        except urllib.error.HTTPError as exc:
            exc.close()
            raise NetBoxError(self._http_problem(exc.code, url)) from None
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, TimeoutError):
                raise NetBoxError(
                    f"NetBox at {self.base_url} did not answer within {self.timeout:g} s"
                ) from None
            # The library's words can quote the server's certificate or answer: the log only.
            logger.warning("NetBox at %s could not be reached", self.base_url, exc_info=exc)
            raise NetBoxError(f"could not reach NetBox at {self.base_url}: {_unreachable(reason)}") from None
        except TimeoutError:
            raise NetBoxError(f"NetBox at {self.base_url} did not answer within {self.timeout:g} s") from None
        except OSError as exc:
            logger.warning("the connection to NetBox at %s failed", self.base_url, exc_info=exc)
            raise NetBoxError(
                f"the connection to NetBox at {self.base_url} failed ({type(exc).__name__})"
            ) from None
        if len(body) > MAX_PAGE_BYTES:
            raise NetBoxError(f"{url} sent more than {MAX_PAGE_BYTES // 1_048_576} MB for one page; stopped")
        try:
            return json.loads(body)
        except ValueError:
            raise NetBoxError(
                f"{url} did not answer with JSON; is {self.base_url} the address of NetBox itself?"
            ) from None

    def _http_problem(self, status: int, url: str) -> str:
        if status in {401, 403}:
            return f"NetBox refused the token (HTTP {status}); check --token and that it may read dcim"
        if status == 404:
            return f"NetBox has nothing at {url} (HTTP 404); check that --url is the NetBox address"
        return f"NetBox answered HTTP {status} for {url}"


def _unreachable(reason: Any) -> str:
    """Why NetBox could not be reached, in our own words and the error's type name, never its text."""
    if isinstance(reason, ConnectionRefusedError):
        return "it refused the connection; check --url and that NetBox is running"
    if isinstance(reason, socket.gaierror):
        return "the host name could not be found; check --url"
    if isinstance(reason, ssl.SSLError):
        return f"TLS failed ({type(reason).__name__}); check its certificate"
    if isinstance(reason, BaseException):
        return f"the connection failed ({type(reason).__name__})"
    return "the connection failed"


def _name(nested: Any, key: str = "name") -> str:
    if isinstance(nested, dict):
        value = nested.get(key)
        return "" if value is None else str(value)
    return ""


def _choice(value: Any) -> str:
    """NetBox sends choices as {value, label}; older or simpler fields are plain strings."""
    if isinstance(value, dict):
        value = value.get("value")
    return "" if value is None else str(value)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _parent_values(
    known: Mapping[Any, tuple[str, str]], nested: Any, column: str, prefix: str = ""
) -> dict[str, str]:
    """The columns naming what a component hangs off (a device, or a feed's power panel) and its site, found
    by NetBox's id among the rows already read: names there may be made up (an unnamed device)."""
    site_slug, name = known.get(nested.get("id"), ("", "")) if isinstance(nested, dict) else ("", "")
    return {f"{prefix}{column}": name or _name(nested), f"{prefix}site": site_slug}


def _row(kind: str, obj: Mapping[str, Any], values: dict[str, str]) -> Row:
    return Row(f"NetBox {kind.replace('_', ' ')}", int(obj.get("id") or 0), values, unit="id")


def _terminations(cable: Mapping[str, Any], side: str) -> list[dict[str, Any]]:
    ends = cable.get(f"{side}_terminations")
    if ends is None and cable.get(f"termination_{side}_type"):
        # NetBox before 3.3 had one termination per side, in fields of its own.
        ends = [
            {
                "object_type": cable[f"termination_{side}_type"],
                "object_id": cable.get(f"termination_{side}_id"),
                "object": cable.get(f"termination_{side}"),
            }
        ]
    return [end for end in ends or [] if isinstance(end, dict)]


def netbox_rows(client: NetBoxClient, *, site: str | None, report: ImportReport) -> dict[str, list[Row]]:
    """Read NetBox and turn its objects into import rows, in the importer's order of kinds."""
    filters = {"site": site} if site else {}
    fetched: dict[str, list[dict[str, Any]]] = {}
    for kind, endpoint in ENDPOINTS.items():
        # Roles and types belong to no site: all of them, whatever --site says.
        wanted = filters if kind not in GLOBAL_KINDS else {}
        if site and kind == "sites":
            wanted = {"slug": site}
        fetched[kind] = client.get_all(endpoint, wanted)
        report.files.append(f"{endpoint} ({len(fetched[kind])})")
    if site and not fetched["sites"]:
        raise NetBoxError(f"NetBox has no site with the slug {site!r}")

    rows: dict[str, list[Row]] = {kind: [] for kind in ENDPOINTS}
    site_slugs: dict[int, str] = {}
    for obj in fetched["sites"]:
        site_slugs[obj.get("id")] = _text(obj.get("slug"))
        rows["sites"].append(
            _row(
                "sites",
                obj,
                {
                    "slug": _text(obj.get("slug")),
                    "name": _text(obj.get("name")),
                    "time_zone": _text(obj.get("time_zone")),
                },
            )
        )

    def site_of(obj: Mapping[str, Any]) -> str:
        nested = obj.get("site")
        if not isinstance(nested, dict):
            return ""
        return site_slugs.get(nested.get("id")) or _name(nested, "slug")

    for obj in fetched["locations"]:
        rows["locations"].append(
            _row("locations", obj, {"site": site_of(obj), "name": _text(obj.get("name"))})
        )
    for obj in fetched["racks"]:
        rows["racks"].append(
            _row(
                "racks",
                obj,
                {
                    "site": site_of(obj),
                    "name": _text(obj.get("name")),
                    "location": _name(obj.get("location")),
                },
            )
        )

    for obj in fetched["device_roles"]:
        values = {"name": _text(obj.get("name")), "slug": _text(obj.get("slug"))}
        rows["device_roles"].append(_row("device_roles", obj, values))
    for obj in fetched["device_types"]:
        values = {
            "manufacturer": _name(obj.get("manufacturer")),
            "model": _text(obj.get("model")),
            "slug": _text(obj.get("slug")),
        }
        rows["device_types"].append(_row("device_types", obj, values))

    devices: dict[int, tuple[str, str]] = {}  # NetBox device id -> (site slug, name)
    for obj in fetched["devices"]:
        device_type = obj.get("device_type") or {}
        position = obj.get("position")
        values = {
            "name": _text(obj.get("name")),
            # `device_role` until NetBox 3.6, `role` since.
            "role": _name(obj.get("role") or obj.get("device_role")),
            "manufacturer": _name(device_type.get("manufacturer") if isinstance(device_type, dict) else None),
            "device_type": _name(device_type, "model"),
            "status": _choice(obj.get("status")),
            "site": site_of(obj),
            "location": _name(obj.get("location")),
            "rack": _name(obj.get("rack")),
            "position": "" if position is None else str(Decimal(str(position))),
            "face": _choice(obj.get("face")),
            "serial": _text(obj.get("serial")),
            "asset_tag": _text(obj.get("asset_tag")),
            "id": _text(obj.get("id")),
        }
        # Ports and cables name their device by id; an unnamed one goes by what the importer will call it.
        name = values["name"]
        if not name and isinstance(obj.get("id"), int) and obj["id"] > 0:
            name = unnamed_device_name(values["manufacturer"], values["device_type"], obj["id"])
        devices[obj.get("id")] = (values["site"], name)
        rows["devices"].append(_row("devices", obj, values))

    def device_values(nested: Any, prefix: str = "") -> dict[str, str]:
        return _parent_values(devices, nested, "device", prefix)

    for obj in fetched["interfaces"]:
        enabled = obj.get("enabled")
        values = device_values(obj.get("device")) | {
            "name": _text(obj.get("name")),
            "type": _choice(obj.get("type")),
            "label": _text(obj.get("label")),
            "description": _text(obj.get("description")),
            "enabled": "" if enabled is None else ("true" if enabled else "false"),
        }
        rows["interfaces"].append(_row("interfaces", obj, values))
    for obj in fetched["rear_ports"]:
        values = device_values(obj.get("device")) | {
            "name": _text(obj.get("name")),
            "type": _choice(obj.get("type")),
            "label": _text(obj.get("label")),
            "description": _text(obj.get("description")),
            "positions": _text(obj.get("positions")),
        }
        rows["rear_ports"].append(_row("rear_ports", obj, values))
    for obj in fetched["front_ports"]:
        values = device_values(obj.get("device")) | {
            "name": _text(obj.get("name")),
            "type": _choice(obj.get("type")),
            "label": _text(obj.get("label")),
            "description": _text(obj.get("description")),
            "rear_port": _name(obj.get("rear_port")),
            "rear_port_position": _text(obj.get("rear_port_position")),
        }
        rows["front_ports"].append(_row("front_ports", obj, values))

    # Power: a panel is kept as a device (see importers/devices.py, check_power_panels); its feeds name it, not a device.
    panels: dict[int, tuple[str, str]] = {}  # NetBox power panel id -> (site slug, name)
    for obj in fetched["power_panels"]:
        values = {"site": site_of(obj), "name": _text(obj.get("name"))}
        panels[obj.get("id")] = (values["site"], values["name"])
        rows["power_panels"].append(_row("power_panels", obj, values))

    def panel_values(nested: Any, prefix: str = "") -> dict[str, str]:
        return _parent_values(panels, nested, "power_panel", prefix)

    for obj in fetched["power_feeds"]:
        values = panel_values(obj.get("power_panel")) | {
            "name": _text(obj.get("name")),
            "status": _choice(obj.get("status")),
            "description": _text(obj.get("description")),
        }
        rows["power_feeds"].append(_row("power_feeds", obj, values))
    for kind in ("power_ports", "power_outlets"):
        for obj in fetched[kind]:
            values = device_values(obj.get("device")) | {
                "name": _text(obj.get("name")),
                "type": _choice(obj.get("type")),
                "label": _text(obj.get("label")),
                "description": _text(obj.get("description")),
            }
            if kind == "power_outlets":
                values["power_port"] = _name(obj.get("power_port"))
            rows[kind].append(_row(kind, obj, values))

    for obj in fetched["circuits"]:
        values = {
            "cid": _text(obj.get("cid")),
            "provider": _name(obj.get("provider")),
            "type": _name(obj.get("type")),
            "status": _choice(obj.get("status")),
            "description": _text(obj.get("description")),
        }
        rows["circuits"].append(_row("circuits", obj, values))
    for obj in fetched["circuit_terminations"]:
        # NetBox 4.2+ terminates on any of several kinds (termination_type); before, on a site.
        at_site = obj.get("termination_type") in (None, "dcim.site")
        where = obj.get("termination") if obj.get("termination_type") else obj.get("site")
        values = {
            "circuit": _name(obj.get("circuit"), "cid"),
            "term_side": _text(obj.get("term_side")),
            "site": site_of({"site": where}) if at_site else "",
            "description": _text(obj.get("description")),
        }
        rows["circuit_terminations"].append(_row("circuit_terminations", obj, values))

    skipped: Counter[str] = Counter()
    for obj in fetched["cables"]:
        values = {
            "label": _text(obj.get("label")),
            "type": _choice(obj.get("type")),
            "status": _choice(obj.get("status")),
        }
        for side in ("a", "b"):
            ends = _terminations(obj, side)
            if len(ends) != 1:
                skipped[
                    "cable(s) with several terminations on one side (Lockstep keeps one port per end)"
                ] += 1
                break
            end = ends[0]
            object_type = _text(end.get("object_type"))
            if object_type not in PORT_TYPES:
                skipped["cable(s) to console ports (only ports, power and circuits are imported)"] += 1
                break
            target = end.get("object") if isinstance(end.get("object"), dict) else {}
            if object_type == "dcim.powerfeed":
                values |= panel_values(target.get("power_panel"), f"side_{side}_")
            elif object_type == "circuits.circuittermination":
                values |= {
                    f"side_{side}_circuit": _name(target.get("circuit"), "cid"),
                    f"side_{side}_type": object_type,
                    f"side_{side}_name": _text(target.get("term_side")),
                }
                continue
            else:
                values |= device_values(target.get("device"), f"side_{side}_")
            values |= {
                f"side_{side}_type": object_type,
                f"side_{side}_name": _name(target),
            }
        else:
            rows["cables"].append(_row("cables", obj, values))
    note_skipped(report, skipped)
    return rows


def import_netbox_api(
    url: str,
    token: str,
    *,
    by: AbstractBaseUser | None,
    site: str | None = None,
    timeout: float = 30.0,
    page_size: int = 1000,
) -> ImportReport:
    """Import sites, locations, racks, devices, ports, power, circuits and cables from NetBox, all or nothing.

    Raises NetBoxError when NetBox cannot be read (bad token, wrong address, unreachable); then nothing is written.
    """
    client = NetBoxClient(url, token, timeout=timeout, page_size=page_size)
    report = ImportReport(source=f"NetBox at {client.base_url}")
    rows = netbox_rows(client, site=site, report=report)
    return run_import(
        rows, by=by, report=report, audit={"source": "netbox-api", "url": client.base_url, "site": site or ""}
    )
