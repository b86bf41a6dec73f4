"""The whole stack as a user runs it, for the gateway's end-to-end tests: a private redis-server,
halo-auth, halo-video and halo-engagement (SQLite in a temporary directory), and halo-gateway in
front of them, each a real process on free loopback ports. Binaries come from .build/debug (or
$HALO_BIN); a missing one fails the suite, it is never skipped."""

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SERVICES = ("auth", "video", "engagement")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def cluster_connected(admin_port, name):
    """Whether every event loop of the gateway whose admin listener is on `admin_port` can call
    every endpoint of cluster `name`: a ready connection, health not failed, not ejected. Each loop
    connects, reconnects after a backend restart and checks health on its own schedule; until its
    health check passes again, a loop answers 503 for the endpoint even with a ready connection."""
    connection = http.client.HTTPConnection("127.0.0.1", admin_port, timeout=10)
    try:
        connection.request("GET", "/admin/clusters")
        clusters = json.loads(connection.getresponse().read())["clusters"]
    finally:
        connection.close()
    cluster = next(cluster for cluster in clusters if cluster["name"] == name)
    return all(
        "ready" in endpoint["connections"] and endpoint["health"] != "unhealthy" and not endpoint["ejected"]
        for loop in cluster["loops"]
        for endpoint in loop["endpoints"]
    )


def freeze(process, timeout=10):
    """SIGSTOPs `process` and waits until every one of its threads has stopped. kill() returns
    before that: on a busy machine a thread can still finish a call it had started (seen answering
    a request sent after the signal), so a test that needs the process frozen must wait."""
    process.send_signal(signal.SIGSTOP)
    deadline = time.monotonic() + timeout
    tasks = Path(f"/proc/{process.pid}/task")
    while time.monotonic() < deadline:
        states = []
        for task in tasks.iterdir():
            try:
                stat = (task / "stat").read_text()
            except FileNotFoundError:
                continue  # a thread that has just ended
            # "tid (comm) S ...": the state follows the command name's closing parenthesis.
            states.append(stat[stat.rindex(")") + 2])
        if states and all(state in "Tt" for state in states):
            return
        time.sleep(0.005)
    raise RuntimeError(f"process {process.pid} did not stop within {timeout}s")


def wait_for_port(port, process, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port} after {timeout}s")


class Stack:
    def __init__(self, workdir):
        self.workdir = Path(workdir)
        self.bin = Path(os.environ.get("HALO_BIN", REPO / ".build" / "debug"))
        self.processes = {}
        self.ports = {name: free_port() for name in SERVICES + ("redis", "gateway", "admin")}
        self.logs = self.workdir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)

    def environment(self):
        env = dict(os.environ)
        env.update(
            HALO_DATA_DIR=str(self.workdir / "data"),
            HALO_LOG_LEVEL="warning",
            # SwiftNIO's strict mode: work scheduled on an event loop that has shut down crashes
            # the process instead of printing an error, so exit-code checks catch it.
            SWIFTNIO_STRICT="1",
            HALO_AUTH_HOST="127.0.0.1",
            HALO_AUTH_PORT=str(self.ports["auth"]),
            HALO_VIDEO_HOST="127.0.0.1",
            HALO_VIDEO_PORT=str(self.ports["video"]),
            HALO_ENGAGEMENT_HOST="127.0.0.1",
            HALO_ENGAGEMENT_PORT=str(self.ports["engagement"]),
            HALO_ENGAGEMENT_REDIS_URL=f"redis://127.0.0.1:{self.ports['redis']}",
            HALO_ENGAGEMENT_VIDEO_ADDRESS=f"127.0.0.1:{self.ports['video']}",
            HALO_GATEWAY_LISTEN=f"127.0.0.1:{self.ports['gateway']}",
            HALO_GATEWAY_ADMIN=f"127.0.0.1:{self.ports['admin']}",
            HALO_GATEWAY_CLUSTER_AUTH=f"127.0.0.1:{self.ports['auth']}",
            HALO_GATEWAY_CLUSTER_VIDEO=f"127.0.0.1:{self.ports['video']}",
            HALO_GATEWAY_CLUSTER_ENGAGEMENT=f"127.0.0.1:{self.ports['engagement']}",
        )
        return env

    def start_process(self, name, command, port):
        log = open(self.logs / f"{name}.log", "ab")
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=self.environment())
        self.processes[name] = process
        wait_for_port(port, process)
        return process

    def start(self):
        (self.workdir / "data").mkdir(exist_ok=True)
        redis = shutil.which("redis-server")
        if redis is None:
            raise RuntimeError("redis-server is missing (scripts/setup installs it)")
        self.start_process(
            "redis",
            [redis, "--port", str(self.ports["redis"]), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            self.ports["redis"],
        )
        for service in SERVICES:
            self.start_service(service)
        self.start_gateway()
        return self

    def start_service(self, service):
        binary = self.bin / f"halo-{service}"
        if not os.access(binary, os.X_OK):
            raise RuntimeError(f"{binary} is missing: run `swift build`")
        self.start_process(service, [str(binary)], self.ports[service])

    def start_gateway(self):
        self.start_process("gateway", [str(self.bin / "halo-gateway")], self.ports["gateway"])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            status, _, _ = self.request("GET", "/ready")
            if status == 200:
                return
            time.sleep(0.1)
        raise RuntimeError("the gateway never became ready")

    def stop_process(self, name, sig="term"):
        process = self.processes.pop(name, None)
        if process is None:
            return
        if sig == "kill":
            process.kill()
        else:
            process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def stop(self):
        for name in ["gateway", "engagement", "video", "auth", "redis"]:
            self.stop_process(name)

    def log_tail(self, name, lines=30):
        path = self.logs / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def cluster_connected(self, name):
        return cluster_connected(self.ports["admin"], name)

    # --- HTTP ---------------------------------------------------------------------------------

    def connection(self):
        return http.client.HTTPConnection("127.0.0.1", self.ports["gateway"], timeout=10)

    def request(self, method, path, body=None, headers=None, token=None, connection=None, raw=False):
        """One request; answers (status, headers as a lower-case dict, parsed JSON or raw bytes)."""
        own = connection is None
        connection = connection or self.connection()
        headers = dict(headers or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        payload = body
        if body is not None and not isinstance(body, (bytes, str)):
            payload = json.dumps(body)
            headers.setdefault("Content-Type", "application/json")
        try:
            connection.request(method, path, body=payload, headers=headers)
            response = connection.getresponse()
            data = response.read()
        except (ConnectionError, http.client.HTTPException):
            return 0, {}, None
        finally:
            if own:
                connection.close()
        answer_headers = {name.lower(): value for name, value in response.getheaders()}
        if raw:
            return response.status, answer_headers, data
        parsed = json.loads(data) if data else None
        return response.status, answer_headers, parsed


def started(workdir):
    """A running Stack for a module fixture (`yield from started(...)`): on a failed start the
    processes' logs are printed and everything stops; after the module, everything stops."""
    running = Stack(workdir)
    try:
        running.start()
    except Exception:
        for name in ("gateway", "auth", "video", "engagement", "redis"):
            print(f"--- {name}\n{running.log_tail(name)}")
        running.stop()
        raise
    yield running
    running.stop()

