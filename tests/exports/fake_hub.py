"""A local fake of the Hugging Face Hub HTTP API: just what create_repo + upload_folder call.

Routes (read from huggingface_hub 2.x, legacy non-Xet commit path):

- ``POST /api/repos/create``: 200 with the repo URL, 409 when it exists;
- ``POST /api/validate-yaml``: the README front matter must parse as YAML;
- ``POST /api/datasets/{org}/{name}/preupload/{rev}``: every file is a "regular" upload
  (base64 inside the commit), or with ``lfs=True`` ``.parquet`` files go by LFS;
- ``POST /datasets/{org}/{name}.git/info/lfs/objects/batch``: basic transfer, upload+verify;
- ``PUT /lfs-upload/{oid}?sig=...`` (a pre-signed URL; sha256 checked), ``POST /lfs-verify``;
- ``POST /api/datasets/{org}/{name}/commit/{rev}``: the NDJSON commit, stored per repo.

The Xet storage service (used for "lfs" files when ``hf_xet`` is installed) is not faked:
with ``lfs=True`` the test disables Xet so that huggingface_hub takes its LFS path.
Every other call needs ``Authorization: Bearer <token>``. The server records requests and the
committed files so tests can compare them with the local folder.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import yaml

_REPO = r"(?P<repo>[^/]+/[^/]+?)"
_ROUTES = [
    ("POST", re.compile(r"^/api/repos/create$"), "create"),
    ("POST", re.compile(r"^/api/validate-yaml$"), "validate_yaml"),
    ("POST", re.compile(rf"^/api/datasets/{_REPO}/preupload/(?P<rev>[^/]+)$"), "preupload"),
    ("POST", re.compile(rf"^/datasets/{_REPO}\.git/info/lfs/objects/batch$"), "lfs_batch"),
    ("PUT", re.compile(r"^/lfs-upload/(?P<oid>[0-9a-f]{64})$"), "lfs_upload"),
    ("POST", re.compile(r"^/lfs-verify$"), "lfs_verify"),
    ("POST", re.compile(rf"^/api/datasets/{_REPO}/commit/(?P<rev>[^/]+)$"), "commit"),
]


class FakeHub:
    """``with FakeHub(token="t") as hub: hub.url`` serves on 127.0.0.1 in a thread."""

    def __init__(self, token: str, *, lfs: bool = False) -> None:
        self.token = token
        self.use_lfs = lfs
        self.repos: dict[str, dict[str, Any]] = {}
        self.lfs: dict[str, bytes] = {}
        self.requests: list[tuple[str, str]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeHub:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def sign(self, oid: str) -> str:
        """The signature of a pre-signed LFS upload URL (uploads carry no bearer token)."""
        return hashlib.sha256(f"{self.token}:{oid}".encode()).hexdigest()[:16]

    # ---------------------------------------------------------------- route handlers
    def create(self, body: bytes, **_: str) -> tuple[int, dict]:
        req = json.loads(body)
        repo_id = f"{req['organization']}/{req['name']}"
        url = f"{self.url}/datasets/{repo_id}"
        if repo_id in self.repos:
            return 409, {"error": "You already created this dataset repo", "url": url}
        self.repos[repo_id] = {"type": req.get("type"), "private": req.get("visibility")
                               == "private", "files": {}, "commits": []}
        return 200, {"url": url, "name": repo_id}

    def validate_yaml(self, body: bytes, **_: str) -> tuple[int, dict]:
        content = json.loads(body)["content"]
        parts = content.split("---\n")
        try:
            meta = yaml.safe_load(parts[1]) if content.startswith("---\n") else None
        except yaml.YAMLError as exc:
            return 400, {"errors": [{"message": str(exc)}], "warnings": []}
        if not isinstance(meta, dict):
            return 400, {"errors": [{"message": "no YAML front matter"}], "warnings": []}
        return 200, {"errors": [], "warnings": []}

    def preupload(self, body: bytes, repo: str, **_: str) -> tuple[int, dict]:
        if repo not in self.repos:
            return 404, {"error": "Repository not found"}
        files = json.loads(body)["files"]
        return 200, {"files": [
            {"path": f["path"], "uploadMode": "lfs" if self.use_lfs and
             f["path"].endswith(".parquet") else "regular", "shouldIgnore": False, "oid": None}
            for f in files
        ]}

    def lfs_batch(self, body: bytes, repo: str, **_: str) -> tuple[int, dict]:
        if repo not in self.repos:
            return 404, {"error": "Repository not found"}
        objects = json.loads(body)["objects"]
        return 200, {"transfer": "basic", "objects": [
            {"oid": o["oid"], "size": o["size"], "actions": {
                "upload": {"href": f"{self.url}/lfs-upload/{o['oid']}?sig={self.sign(o['oid'])}"},
                "verify": {"href": f"{self.url}/lfs-verify"}}}
            for o in objects
        ]}

    def lfs_upload(self, body: bytes, oid: str, **_: str) -> tuple[int, dict]:
        if hashlib.sha256(body).hexdigest() != oid:
            return 400, {"error": "sha256 mismatch"}
        self.lfs[oid] = body
        return 200, {}

    def lfs_verify(self, body: bytes, **_: str) -> tuple[int, dict]:
        req = json.loads(body)
        ok = req["oid"] in self.lfs and len(self.lfs[req["oid"]]) == req["size"]
        return (200, {}) if ok else (404, {"error": "object not uploaded"})

    def commit(self, body: bytes, repo: str, rev: str, **_: str) -> tuple[int, dict]:
        if repo not in self.repos:
            return 404, {"error": "Repository not found"}
        files = self.repos[repo]["files"]
        lines = [json.loads(line) for line in body.splitlines() if line.strip()]
        for item in lines:
            value = item["value"]
            if item["key"] == "file":
                files[value["path"]] = base64.b64decode(value["content"])
            elif item["key"] == "lfsFile":
                if value["oid"] not in self.lfs:
                    return 422, {"error": f"LFS object of {value['path']} missing"}
                files[value["path"]] = self.lfs[value["oid"]]
        oid = hashlib.sha1(body).hexdigest()
        self.repos[repo]["commits"].append(lines[0]["value"]["summary"])
        return 200, {"commitUrl": f"{self.url}/datasets/{repo}/commit/{oid}",
                     "commitOid": oid, "pullRequestUrl": None}


def _handler(hub: FakeHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # keep test output clean
            pass

        def _dispatch(self, method: str) -> None:
            path, _, query = self.path.partition("?")
            hub.requests.append((method, path))
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if path.startswith("/lfs-upload/"):
                authorized = query == f"sig={hub.sign(path.rsplit('/', 1)[-1])}"
            else:
                authorized = self.headers.get("Authorization") == f"Bearer {hub.token}"
            if not authorized:
                return self._send(401, {"error": "Invalid credentials in Authorization header"})
            for m, pattern, name in _ROUTES:
                match = pattern.match(path)
                if m == method and match:
                    return self._send(*getattr(hub, name)(body, **match.groupdict()))
            self._send(404, {"error": f"no route {method} {path}"})

        def _send(self, status: int, payload: dict) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            self._dispatch("POST")

        def do_PUT(self) -> None:
            self._dispatch("PUT")

        def do_GET(self) -> None:
            self._dispatch("GET")

    return Handler
