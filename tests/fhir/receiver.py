"""A small FHIR server for the tests: a receiver's system that applies FHIR transactions.

No real FHIR server can run here: HAPI needs Java (no Maven or Docker images reachable), the
Medplum server needs its own PostgreSQL schema, Redis and a bootstrap, and Medplum's in-memory
router (``@medplum/fhir-router`` 5) needs Node.js 22 (this machine has 20). So this module
implements the part of the FHIR R4 RESTful API that a receiver of our Bundles must get right
(https://hl7.org/fhir/R4/http.html#transaction), over real HTTP on 127.0.0.1:

- ``POST [base]`` with a ``transaction`` Bundle, all or nothing: any failing entry answers with
  an OperationOutcome and stores nothing;
- ``POST`` entries with ``ifNoneExist``: create unless the search finds exactly one (then that
  one is used, unchanged); more than one match → 412 Precondition Failed;
- conditional ``PUT [type]?identifier=system|value``: update the one match, create when none,
  412 when several; ``PUT [type]/[id]`` updates or creates that id;
- ``urn:uuid:`` fullUrls become the server's ids, and every reference to them inside the
  transaction is rewritten; a ``urn:uuid:`` reference to nothing in the Bundle is an error;
- searches evaluate against the store as it was before the transaction;
- ``GET [base]/[type]?identifier=…`` and ``GET [base]/[type]/[id]`` read back.

Only the ``identifier`` search parameter (token ``system|value``) is supported; anything else
is refused, as a server would refuse an unknown parameter in strict mode.
"""

from __future__ import annotations

import copy
import json
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit


class TransactionError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def outcome(message: str) -> dict:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "processing", "diagnostics": message}],
    }


def _matches(resource: dict, query: str) -> bool:
    params = parse_qsl(query, keep_blank_values=True)
    if not params:
        raise TransactionError(400, "Empty search")
    for name, value in params:
        if name != "identifier":
            raise TransactionError(400, f"Unsupported search parameter {name}")
        system, _, code = value.rpartition("|") if "|" in value else ("", "", value)
        identifiers = resource.get("identifier") or []
        if isinstance(identifiers, dict):  # 0..1 on some resources (QuestionnaireResponse)
            identifiers = [identifiers]
        if not any(
            i.get("value") == code and (not system or i.get("system") == system)
            for i in identifiers
        ):
            return False
    return True


def _rewrite(node, ids: dict[str, str]):
    """Replace every ``reference`` to a fullUrl of the transaction by the server's id."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "reference" and isinstance(value, str):
                if value in ids:
                    node[key] = ids[value]
                elif value.startswith("urn:uuid:"):
                    raise TransactionError(400, f"Unresolved reference {value}")
            else:
                _rewrite(value, ids)
    elif isinstance(node, list):
        for item in node:
            _rewrite(item, ids)


@dataclass
class FhirServer:
    url: str = ""
    # (resourceType, id) -> the stored resource, with meta.versionId.
    store: dict[tuple[str, str], dict] = field(default_factory=dict)
    requests: list[dict] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    # --- reading, for the tests' assertions ---

    def all(self, resource_type: str) -> list[dict]:
        with self.lock:
            return [r for (kind, _), r in sorted(self.store.items()) if kind == resource_type]

    def search(self, resource_type: str, query: str, store=None) -> list[dict]:
        store = self.store if store is None else store
        return [
            resource
            for (kind, _), resource in store.items()
            if kind == resource_type and _matches(resource, query)
        ]

    def resolve(self, reference: str) -> dict:
        kind, _, rid = reference.partition("/")
        return self.store[(kind, rid)]

    # --- the transaction ---

    def transaction(self, bundle: dict) -> dict:
        if bundle.get("resourceType") != "Bundle" or bundle.get("type") != "transaction":
            raise TransactionError(400, "Not a transaction Bundle")
        with self.lock:
            before = self.store
            ids: dict[str, str] = {}
            plan = []  # (entry, resourceType, id, created)
            for entry in bundle.get("entry") or []:
                plan.append(self._resolve(entry, before, ids))
            after = copy.copy(before)
            responses = []
            for entry, kind, rid, action in plan:
                if action == "matched":
                    responses.append({"status": "200 OK", "location": f"{kind}/{rid}"})
                    continue
                resource = copy.deepcopy(entry["resource"])
                _rewrite(resource, ids)
                previous = before.get((kind, rid))
                version = int(previous["meta"]["versionId"]) + 1 if previous else 1
                resource["id"] = rid
                resource.setdefault("meta", {})["versionId"] = str(version)
                after[(kind, rid)] = resource
                status = "201 Created" if previous is None else "200 OK"
                responses.append({"status": status, "location": f"{kind}/{rid}/_history/{version}"})
            self.store = after  # all or nothing: only now is anything kept
        return {
            "resourceType": "Bundle",
            "type": "transaction-response",
            "entry": [{"response": r} for r in responses],
        }

    def _resolve(self, entry: dict, before: dict, ids: dict[str, str]):
        resource = entry.get("resource") or {}
        request = entry.get("request") or {}
        kind = resource.get("resourceType", "")
        method, url = request.get("method"), request.get("url", "")
        full_url = entry.get("fullUrl", "")
        if method == "POST":
            if url != kind:
                raise TransactionError(400, f"POST to {url} with a {kind}")
            rid, action = uuid.uuid4().hex, "created"
            if request.get("ifNoneExist"):
                found = self.search(kind, request["ifNoneExist"], before)
                if len(found) > 1:
                    raise TransactionError(412, f"{len(found)} matches for {kind} ifNoneExist")
                if found:
                    rid, action = found[0]["id"], "matched"
        elif method == "PUT":
            target, _, query = url.partition("?")
            if query:
                if target != kind:
                    raise TransactionError(400, f"PUT to {target} with a {kind}")
                found = self.search(kind, query, before)
                if len(found) > 1:
                    raise TransactionError(412, f"{len(found)} matches for {url}")
                rid = found[0]["id"] if found else uuid.uuid4().hex
            else:
                target_kind, _, rid = target.partition("/")
                if target_kind != kind or not rid:
                    raise TransactionError(400, f"PUT to {url} with a {kind}")
            action = "updated"
        else:
            raise TransactionError(400, f"Unsupported method {method} in a transaction")
        if full_url:
            if full_url in ids:
                raise TransactionError(400, f"Duplicate fullUrl {full_url}")
            ids[full_url] = f"{kind}/{rid}"
        return entry, kind, rid, action


def serve(server: FhirServer):
    """Start ``server`` on a free port of 127.0.0.1; returns a function that stops it."""

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, status: int, body: dict):
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/fhir+json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            server.requests.append({"headers": dict(self.headers), "body": body})
            if urlsplit(self.path).path.rstrip("/") != "/fhir":
                return self._answer(404, outcome(f"No endpoint {self.path}"))
            try:
                self._answer(200, server.transaction(json.loads(body)))
            except TransactionError as error:
                self._answer(error.status, outcome(str(error)))
            except (ValueError, KeyError, TypeError) as error:
                self._answer(400, outcome(f"Bad request: {error}"))

        def do_GET(self):
            parts = urlsplit(self.path)
            path = parts.path.removeprefix("/fhir/").strip("/")
            kind, _, rid = path.partition("/")
            with server.lock:
                if rid:
                    found = server.store.get((kind, rid))
                    return self._answer(200, found) if found else self._answer(404, outcome(rid))
                try:
                    found = server.search(kind, parts.query)
                except TransactionError as error:
                    return self._answer(error.status, outcome(str(error)))
            self._answer(
                200,
                {
                    "resourceType": "Bundle",
                    "type": "searchset",
                    "total": len(found),
                    "entry": [{"resource": r} for r in found],
                },
            )

        def log_message(self, *args):
            pass

    http_server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.url = f"http://127.0.0.1:{http_server.server_address[1]}/fhir"
    thread = threading.Thread(target=http_server.serve_forever, daemon=True)
    thread.start()

    def stop():
        http_server.shutdown()
        http_server.server_close()
        thread.join(timeout=5)

    return stop
