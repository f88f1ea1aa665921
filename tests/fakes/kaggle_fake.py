"""A local Kaggle API: Basic-auth download endpoints that redirect to a storage host.

The storage URL uses the host name ``localhost`` where the API uses ``127.0.0.1``, so a
client that forwards credentials across hosts is caught (``storage_auth`` records it).
"""

from __future__ import annotations

import base64
import json

from fakes.server import FaultServer, Resource


class FakeKaggle:
    def __init__(self, server: FaultServer, username: str, key: str, prefix: str = "/kaggle"):
        self.server = server
        self.prefix = prefix
        self.expected = "Basic " + base64.b64encode(f"{username}:{key}".encode()).decode()
        self.datasets: dict[str, Resource] = {}
        self.competitions: dict[str, tuple[Resource, bool]] = {}
        self.storage_auth: list[str | None] = []
        server.routes[prefix] = self.route

    @property
    def api(self) -> str:
        return self.server.url(f"{self.prefix}/api/v1")

    def add_dataset(self, ref: str, body: bytes) -> None:
        self.datasets[ref] = Resource(body)

    def add_competition(self, name: str, body: bytes, rules_accepted: bool) -> None:
        self.competitions[name] = (Resource(body), rules_accepted)

    def route(self, handler, path, query):
        sub = path[len(self.prefix):]
        if sub.startswith("/storage/"):
            self.storage_auth.append(handler.headers.get("Authorization"))
            ref = sub[len("/storage/"):]
            resource = self.datasets.get(ref) or self.competitions.get(ref, (None,))[0]
            handler.send_resource(resource)
            return
        if handler.headers.get("Authorization") != self.expected:
            body = json.dumps({"code": 401, "message": "Unauthenticated"}).encode()
            handler.send_status(401, body, "application/json")
            return
        storage = self.server.url(f"{self.prefix}/storage/", host="localhost")
        if sub.startswith("/api/v1/datasets/download/"):
            ref = sub[len("/api/v1/datasets/download/"):]
            if ref not in self.datasets:
                handler.send_status(404, b'{"code": 404}', "application/json")
                return
            handler.redirect(storage + ref)
        elif sub.startswith("/api/v1/competitions/data/download-all/"):
            name = sub[len("/api/v1/competitions/data/download-all/"):]
            if name not in self.competitions:
                handler.send_status(404, b'{"code": 404}', "application/json")
            elif not self.competitions[name][1]:
                handler.send_status(403, b'{"code": 403, "message": "rules"}', "application/json")
            else:
                handler.redirect(storage + name)
        else:
            handler.send_status(404, b"", "application/json")
