"""A small NetBox REST API on 127.0.0.1: a real HTTP server in a thread, serving canned objects.

It pages like NetBox (limit/offset, `next` until null, a server-side cap on limit), filters by `site` (and
sites by `slug`), and answers 401 to any other token. The builders make objects in NetBox's own shapes.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from inventory.netbox_api import ENDPOINTS

TOKEN = "0123456789abcdef0123456789abcdef01234567"


def _nested(obj: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {key: obj[key] for key in ("id", "url", "display", *keys) if key in obj}


class FakeNetBox:
    def __init__(self, *, token: str = TOKEN, max_page_size: int = 1000) -> None:
        self.token = token
        self.max_page_size = max_page_size
        self.objects: dict[str, list[dict[str, Any]]] = {path: [] for path in ENDPOINTS.values()}
        self.requests: list[str] = []
        # When set, `next` links name this host instead of the one asked (as a NetBox behind a proxy may).
        self.advertised_host: str | None = None
        # When set, every request is redirected here (as a moved or hijacked NetBox might).
        self.redirect_to: str | None = None
        self._ids = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        # A short poll interval: shutdown() waits for it, once per test.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeNetBox:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def pages_of(self, endpoint: str) -> int:
        return sum(1 for request in self.requests if urlsplit(request).path == endpoint)

    # Builders, in NetBox's shapes -------------------------------------------------------------------------

    def _add(self, endpoint: str, obj: dict[str, Any], site: str, pk: int | None = None) -> dict[str, Any]:
        self._ids += 1
        pk = pk or self._ids
        obj = {"id": pk, "url": f"{self.url}{endpoint}{pk}/", **obj, "_site": site}
        obj.setdefault("display", obj.get("name") or f"#{pk}")
        self.objects[endpoint].append(obj)
        return obj

    def site(self, slug: str, name: str, *, time_zone: str | None = "Europe/Amsterdam") -> dict[str, Any]:
        return self._add(
            ENDPOINTS["sites"],
            {"name": name, "slug": slug, "time_zone": time_zone, "status": _c("active")},
            slug,
        )

    def location(self, site: dict[str, Any], name: str) -> dict[str, Any]:
        return self._add(
            ENDPOINTS["locations"],
            {"name": name, "slug": name.lower(), "site": _nested(site, "name", "slug"), "parent": None},
            site["slug"],
        )

    def rack(self, site: dict[str, Any], name: str, location: dict[str, Any] | None = None) -> dict[str, Any]:
        return self._add(
            ENDPOINTS["racks"],
            {
                "name": name,
                "site": _nested(site, "name", "slug"),
                "location": _nested(location, "name", "slug") if location else None,
            },
            site["slug"],
        )

    def device(
        self,
        site: dict[str, Any],
        name: str | None,
        *,
        role: str = "Leaf switch",
        manufacturer: str = "Arista",
        model: str = "DCS-7050SX3",
        status: str = "active",
        rack: dict[str, Any] | None = None,
        location: dict[str, Any] | None = None,
        position: float | None = None,
        face: str | None = None,
        serial: str = "",
        asset_tag: str | None = None,
        role_field: str = "role",
        pk: int | None = None,
    ) -> dict[str, Any]:
        self._catalogue(role, manufacturer, model)
        return self._add(
            ENDPOINTS["devices"],
            {
                "name": name,
                role_field: {"id": 1, "name": role, "slug": role.lower().replace(" ", "-")},
                "device_type": {
                    "id": 1,
                    "model": model,
                    "slug": model.lower(),
                    "manufacturer": {"id": 1, "name": manufacturer, "slug": manufacturer.lower()},
                },
                "status": _c(status),
                "site": _nested(site, "name", "slug"),
                "location": _nested(location, "name") if location else None,
                "rack": _nested(rack, "name") if rack else None,
                "position": position,
                "face": _c(face) if face else None,
                "serial": serial,
                "asset_tag": asset_tag,
            },
            site["slug"],
            pk,
        )

    def _catalogue(self, role: str, manufacturer: str, model: str) -> None:
        """NetBox has a device's role and type as objects of their own: made once, as a device names them."""
        roles, types = self.objects[ENDPOINTS["device_roles"]], self.objects[ENDPOINTS["device_types"]]
        if not any(obj["name"] == role for obj in roles):
            self._add(ENDPOINTS["device_roles"], {"name": role, "slug": role.lower().replace(" ", "-")}, "")
        if not any(obj["model"] == model and obj["manufacturer"]["name"] == manufacturer for obj in types):
            slug = model.lower().replace(" ", "-")
            maker = {"id": 1, "name": manufacturer, "slug": manufacturer.lower()}
            self._add(ENDPOINTS["device_types"], {"model": model, "slug": slug, "manufacturer": maker}, "")

    def _component(self, kind: str, device: dict[str, Any], name: str, **fields: Any) -> dict[str, Any]:
        return self._add(
            ENDPOINTS[kind],
            {"device": _nested(device, "name"), "name": name, "label": "", "description": "", **fields},
            device["_site"],
        )

    def interface(
        self, device: dict[str, Any], name: str, *, type: str = "10gbase-x-sfpp", enabled: bool = True
    ):
        return self._component("interfaces", device, name, type=_c(type), enabled=enabled, cable=None)

    def rear_port(self, device: dict[str, Any], name: str, *, positions: int = 1) -> dict[str, Any]:
        return self._component("rear_ports", device, name, type=_c("lc"), positions=positions, cable=None)

    def front_port(self, device: dict[str, Any], name: str, rear: dict[str, Any], *, position: int = 1):
        return self._component(
            "front_ports",
            device,
            name,
            type=_c("lc"),
            rear_port=_nested(rear, "name"),
            rear_port_position=position,
        )

    def circuit(
        self, cid: str, *, provider: str = "Fibre Co", type: str = "Transit", status: str = "active"
    ) -> dict[str, Any]:
        return self._add(
            ENDPOINTS["circuits"],
            {
                "cid": cid,
                "provider": {"id": 1, "name": provider, "slug": provider.lower().replace(" ", "-")},
                "type": {"id": 1, "name": type, "slug": type.lower().replace(" ", "-")},
                "status": _c(status),
                "description": "",
            },
            "",
        )

    def circuit_termination(self, circuit: dict[str, Any], side: str, site: dict[str, Any]) -> dict[str, Any]:
        """NetBox 4.2+'s shape: the termination names its site as a generic termination."""
        return self._add(
            ENDPOINTS["circuit_terminations"],
            {
                "circuit": _nested(circuit, "cid"),
                "term_side": side,
                "termination_type": "dcim.site",
                "termination": _nested(site, "name", "slug"),
                "description": "",
                "cable": None,
            },
            site["slug"],
        )

    def power_panel(self, site: dict[str, Any], name: str) -> dict[str, Any]:
        return self._add(
            ENDPOINTS["power_panels"], {"name": name, "site": _nested(site, "name", "slug")}, site["slug"]
        )

    def power_feed(self, panel: dict[str, Any], name: str, *, status: str = "active") -> dict[str, Any]:
        return self._add(
            ENDPOINTS["power_feeds"],
            {
                "name": name,
                "power_panel": _nested(panel, "name"),
                "status": _c(status),
                "type": _c("primary"),
                "supply": _c("ac"),
                "phase": _c("single-phase"),
                "voltage": 230,
                "amperage": 16,
                "description": "",
                "cable": None,
            },
            panel["_site"],
        )

    def power_port(self, device: dict[str, Any], name: str) -> dict[str, Any]:
        return self._component("power_ports", device, name, type=_c("iec-60320-c14"), cable=None)

    def power_outlet(self, device: dict[str, Any], name: str, power_port: dict[str, Any] | None = None):
        return self._component(
            "power_outlets",
            device,
            name,
            type=_c("iec-60320-c13"),
            power_port=_nested(power_port, "name") if power_port else None,
            cable=None,
        )

    def cable(
        self,
        a: dict[str, Any],
        b: dict[str, Any],
        *,
        label: str = "",
        type: str = "cat6",
        a_type: str = "dcim.interface",
        b_type: str = "dcim.interface",
    ) -> dict[str, Any]:
        def end(port: dict[str, Any], object_type: str) -> dict[str, Any]:
            if "term_side" in port:
                target = {"id": port["id"], "circuit": port["circuit"], "term_side": port["term_side"]}
                return {"object_type": object_type, "object_id": port["id"], "object": target}
            parent = "power_panel" if "power_panel" in port else "device"
            target = _nested(port, "name") | {parent: port[parent], "cable": None}
            return {"object_type": object_type, "object_id": port["id"], "object": target}

        return self._add(
            ENDPOINTS["cables"],
            {
                "type": type,
                "status": _c("connected"),
                "label": label,
                "a_terminations": [end(a, a_type)],
                "b_terminations": [end(b, b_type)],
            },
            a["_site"],
        )

    # Serving ----------------------------------------------------------------------------------------------

    def _page(self, path: str, query: dict[str, str], host: str) -> tuple[int, dict[str, Any]]:
        if path not in self.objects:
            return 404, {"detail": "Not found."}
        items = self.objects[path]
        if "site" in query:
            items = [obj for obj in items if obj["_site"] == query["site"]]
        if "slug" in query:
            items = [obj for obj in items if obj.get("slug") == query["slug"]]
        limit = min(int(query.get("limit", 50)), self.max_page_size)
        offset = int(query.get("offset", 0))
        page = [
            {k: v for k, v in obj.items() if not k.startswith("_")} for obj in items[offset : offset + limit]
        ]
        following = None
        if offset + limit < len(items):
            following = f"http://{self.advertised_host or host}{path}?" + urlencode(
                query | {"limit": limit, "offset": offset + limit}
            )
        return 200, {"count": len(items), "next": following, "previous": None, "results": page}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        netbox = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                netbox.requests.append(self.path)
                if netbox.redirect_to:
                    self.send_response(302)
                    self.send_header("Location", f"{netbox.redirect_to}{self.path}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if self.headers.get("Authorization") != f"Token {netbox.token}":
                    status, body = 401, {"detail": "Invalid token"}
                else:
                    parts = urlsplit(self.path)
                    status, body = netbox._page(
                        parts.path, dict(parse_qsl(parts.query)), self.headers["Host"]
                    )
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output quiet

        return Handler


def _c(value: str) -> dict[str, str]:
    """A NetBox choice field."""
    return {"value": value, "label": value.replace("-", " ").title()}
