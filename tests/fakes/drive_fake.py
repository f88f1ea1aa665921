"""A local Google Drive: /uc download links, virus-scan warning pages and refusals.

Each file id has a mode that picks how Drive answers:
``direct`` (redirect to the content host, file with Content-Disposition), ``form`` (the
current warning page: a form with confirm and a one-time uuid), ``link`` (an older page
with a confirm link), ``cookie`` (the oldest: a download_warning cookie holds the token),
``quota`` (download quota exceeded page), ``private`` (redirect to a sign-in page),
``missing`` (404).
"""

from __future__ import annotations

import html
import urllib.parse
import uuid

from fakes.server import FaultServer, Resource

WARNING = """<!DOCTYPE html><html><head><title>Google Drive - Virus scan warning</title></head>
<body><p>Google Drive can't scan this file for viruses.</p>{extra}</body></html>"""


class FakeDrive:
    def __init__(self, server: FaultServer, prefix: str = "/drive"):
        self.server = server
        self.prefix = prefix
        self.files: dict[str, tuple[Resource, str]] = {}
        self.uuids: set[str] = set()
        server.routes[prefix] = self.route

    @property
    def base(self) -> str:
        return self.server.url(self.prefix)

    def add(self, file_id: str, name: str, body: bytes, mode: str = "direct") -> None:
        self.files[file_id] = (Resource(body, filename=name), mode)

    def route(self, handler, path, query):
        sub = path[len(self.prefix):]
        file_id = query.get("id", "")
        if sub == "/ServiceLogin":
            page = b"<html><head><title>Sign in - Google Accounts</title></head><body>Sign in</body></html>"
            handler.send_status(200, page, "text/html; charset=utf-8")
            return
        if file_id not in self.files:
            handler.send_status(404, b"<html><body>Not Found</body></html>", "text/html")
            return
        resource, mode = self.files[file_id]
        if sub == "/uc":
            self.uc(handler, file_id, resource, mode, query)
        elif sub == "/usercontent/download":
            if mode == "form" and not (query.get("confirm") == "t" and query.get("uuid") in self.uuids):
                self.page(handler, self.form(file_id))
            else:
                handler.send_resource(resource)
        else:
            handler.send_status(404, b"", "text/html")

    def uc(self, handler, file_id, resource, mode, query):
        content = f"{self.prefix}/usercontent/download?id={file_id}&export=download"
        if mode == "direct":
            handler.redirect(content)
        elif mode == "form":
            self.page(handler, self.form(file_id))
        elif mode == "link":
            if query.get("confirm") == "AbC1":
                handler.send_resource(resource)
            else:
                href = html.escape(f"{self.prefix}/uc?export=download&confirm=AbC1&id={file_id}")
                self.page(handler, f'<a id="uc-download-link" href="{href}">Download anyway</a>')
        elif mode == "cookie":
            if query.get("confirm") == "tok3n":
                handler.send_resource(resource)
            else:
                self.page(handler, "", {"Set-Cookie": f"download_warning_13058_{file_id}=tok3n; Path=/"})
        elif mode == "quota":
            handler.send_status(200, (
                b"<html><head><title>Google Drive - Quota exceeded</title></head><body>"
                b"Too many users have viewed or downloaded this file recently. Please try "
                b"accessing the file again later.</body></html>"), "text/html; charset=utf-8")
        elif mode == "private":
            back = urllib.parse.quote(self.server.url(f"{self.prefix}/uc?id={file_id}"))
            handler.redirect(f"{self.prefix}/ServiceLogin?continue={back}")

    def form(self, file_id: str) -> str:
        token = uuid.uuid4().hex
        self.uuids.add(token)
        action = self.server.url(f"{self.prefix}/usercontent/download")
        fields = {"id": file_id, "export": "download", "confirm": "t", "uuid": token}
        inputs = "".join(f'<input type="hidden" name="{k}" value="{v}">' for k, v in fields.items())
        return (f'<form id="download-form" action="{action}" method="get">'
                f'<input type="submit" id="uc-download-link" value="Download anyway">{inputs}</form>')

    def page(self, handler, extra: str, headers=None):
        handler.send_status(200, WARNING.format(extra=extra).encode(), "text/html; charset=utf-8",
                            headers)
