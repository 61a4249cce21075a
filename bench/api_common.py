"""What the service benchmarks share: start `panhuo serve` on loopback, tokens, the sample park.

Only loopback addresses are ever used. Every loop is bounded in count and time.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2 as httpx
import yaml

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_token(data_dir: Path, name: str, role: str, workspace: str = "bench") -> str:
    out = subprocess.run(
        [PY, "-m", "panhuo", "token", "create", "--name", name, "--role", role, "--workspace", workspace,
         "--data-dir", str(data_dir)],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )  # fmt: skip
    return out.stdout.strip()


@dataclass
class Server:
    """A `panhuo serve` process on 127.0.0.1."""

    data_dir: Path
    port: int = field(default_factory=free_port)
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> None:
        log = (self.data_dir / "server.log").open("ab")
        self.proc = subprocess.Popen(
            [PY, "-m", "panhuo", "serve", "--port", str(self.port), "--data-dir", str(self.data_dir)],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log, env={**os.environ, **self.env},
        )  # fmt: skip
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.proc.poll() is not None:
                raise RuntimeError("server exited: see " + str(self.data_dir / "server.log"))
            time.sleep(0.2)
        raise RuntimeError("server did not answer /health")

    def kill9(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def sample_park(folder: Path) -> Path:
    """Build the bundled sample park (data/make_sample.py) into ``folder``; return its GeoPackage."""
    gpkg = folder / "yulin_park.gpkg"
    if not gpkg.is_file():
        subprocess.run([PY, str(ROOT / "data" / "make_sample.py"), "--out", str(folder)], check=True,
                       capture_output=True, cwd=ROOT)  # fmt: skip
    return gpkg


def upload(client: httpx.Client, token: str, path: Path) -> str:
    with path.open("rb") as f:
        headers = {"Authorization": f"Bearer {token}"}
        r = client.post("/datasets", headers=headers, files={"file": (path.name, f)}, timeout=300)
    r.raise_for_status()
    return str(r.json()["id"])


def scenario_json(yaml_path: Path, dataset: str, time_limit_s: float | None = None) -> dict[str, Any]:
    """The YAML scenario with every layer path replaced by the uploaded dataset's id."""
    raw = yaml.safe_load(yaml_path.read_text(encoding="utf-8"))

    def swap(ref: Any) -> Any:
        if isinstance(ref, str):
            return {"path": dataset}
        return {**ref, "path": dataset}

    for key in ("parcels", "demand", "roads", "exclusion"):
        if raw.get(key) is not None:
            raw[key] = swap(raw[key])
    for fac in raw.get("facilities", []):
        if fac.get("existing") is not None:
            fac["existing"] = swap(fac["existing"])
    if time_limit_s is not None:
        raw.setdefault("solver", {})["time_limit_s"] = time_limit_s
    return json.loads(json.dumps(raw, default=str))


def wait_job(client: httpx.Client, token: str, job_id: str, timeout: float = 600) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/jobs/{job_id}", headers={"Authorization": f"Bearer {token}"}, timeout=10).json()
        if job["status"] in ("successful", "failed", "dismissed"):
            return dict(job)
        time.sleep(0.5)
    raise RuntimeError(f"job {job_id} did not finish in {timeout} s")


def write_result(name: str, payload: dict[str, Any]) -> Path:
    out = ROOT / "bench" / "results" / f"{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return out
