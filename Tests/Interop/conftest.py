"""Fixtures for the interop suite: Python stubs generated at test time, our server
(`halo-rpc-interop serve`) as a real process on port 0, and a grpcio server with the same
TestService for our client.

The binary is `.build/debug/halo-rpc-interop` under the repo root, or $HALO_RPC_INTEROP.
A missing binary fails the suite; it is never skipped.
"""

import importlib
import os
import queue
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace

import grpc
import pytest

REPO = Path(__file__).resolve().parents[2]
PROTOS = REPO / "protos"
TESTING_PROTO = PROTOS / "halo" / "testing" / "v1" / "testing.proto"
SERVICE = "halo.testing.v1.TestService"
STARTUP_TIMEOUT_S = 15
STOP_TIMEOUT_S = 10
MAX_MESSAGE = 16 * 1024 * 1024


def binary_path():
    override = os.environ.get("HALO_RPC_INTEROP")
    return Path(override) if override else REPO / ".build" / "debug" / "halo-rpc-interop"


@pytest.fixture(scope="session")
def halo_binary():
    path = binary_path()
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(
            f"{path} is missing: build it with `swift build --product halo-rpc-interop` "
            "or point HALO_RPC_INTEROP at it",
            pytrace=False,
        )
    return path


@pytest.fixture(scope="session")
def stubs(tmp_path_factory):
    """halo.testing.v1 messages and stubs, generated with grpcio-tools from protos/."""
    import grpc_tools
    from grpc_tools import protoc

    out = tmp_path_factory.mktemp("stubs")
    well_known = Path(grpc_tools.__file__).parent / "_proto"
    rc = protoc.main(
        [
            "grpc_tools.protoc",
            f"-I{PROTOS}",
            f"-I{well_known}",
            f"--python_out={out}",
            f"--grpc_python_out={out}",
            str(TESTING_PROTO),
        ]
    )
    assert rc == 0, f"grpc_tools.protoc failed on {TESTING_PROTO}"
    sys.path.insert(0, str(out))
    return SimpleNamespace(
        pb2=importlib.import_module("halo.testing.v1.testing_pb2"),
        pb2_grpc=importlib.import_module("halo.testing.v1.testing_pb2_grpc"),
    )


class HaloServer:
    """`halo-rpc-interop serve --port 0` as a child process."""

    def __init__(self, binary, log_path, threads=2):
        self.log_path = log_path
        self._log = open(log_path, "wb")
        self.proc = subprocess.Popen(
            [str(binary), "serve", "--host", "127.0.0.1", "--port", "0", "--threads", str(threads)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
        )
        self._lines = queue.Queue()
        threading.Thread(target=self._drain, daemon=True).start()
        try:
            line = self._lines.get(timeout=STARTUP_TIMEOUT_S)
        except queue.Empty:
            self.kill()
            pytest.fail(f"no `listening` line within {STARTUP_TIMEOUT_S} s\n{self.log_tail()}", pytrace=False)
        match = re.fullmatch(r"listening (\S+):(\d+)", (line or "").strip())
        if not match:
            self.kill()
            pytest.fail(f"expected `listening HOST:PORT`, got {line!r}\n{self.log_tail()}", pytrace=False)
        self.host, self.port = match.group(1), int(match.group(2))
        self.address = f"{self.host}:{self.port}"

    def _drain(self):
        for line in self.proc.stdout:
            self._lines.put(line)
        self._lines.put(None)  # EOF: the process closed stdout (exited)

    def log_tail(self, lines=40):
        if not self._log.closed:
            self._log.flush()
        text = Path(self.log_path).read_text(errors="replace").splitlines()
        return "--- server log (tail) ---\n" + "\n".join(text[-lines:])

    def alive(self):
        return self.proc.poll() is None

    def terminate(self, timeout=STOP_TIMEOUT_S):
        """SIGTERM, then wait; returns the exit code (kills and fails after `timeout`)."""
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"server did not exit within {timeout} s of SIGTERM\n{self.log_tail()}", pytrace=False)

    def kill(self):
        if self.alive():
            self.proc.kill()
            self.proc.wait()
        self._log.close()


def channel_options():
    return [
        ("grpc.max_receive_message_length", MAX_MESSAGE),
        ("grpc.max_send_message_length", MAX_MESSAGE),
    ]


@pytest.fixture(scope="session")
def halo_server(halo_binary, tmp_path_factory):
    """One server for the whole suite; teardown fails if it died or does not exit 0 on SIGTERM."""
    server = HaloServer(halo_binary, tmp_path_factory.mktemp("halo") / "serve.log")
    yield server
    died = not server.alive()
    code = server.terminate()
    server.kill()
    assert not died, f"our server died during the suite (exit {code})\n{server.log_tail()}"
    assert code == 0, f"our server exited {code} on SIGTERM\n{server.log_tail()}"


@pytest.fixture
def fresh_halo_server(halo_binary, tmp_path):
    """A server of its own, for tests that stop it."""
    server = HaloServer(halo_binary, tmp_path / "serve.log")
    yield server
    server.kill()


@pytest.fixture(scope="session")
def halo_channel(halo_server):
    with grpc.insecure_channel(halo_server.address, options=channel_options()) as channel:
        grpc.channel_ready_future(channel).result(timeout=5)
        yield channel


@pytest.fixture(scope="session")
def halo_stub(halo_channel, stubs):
    return stubs.pb2_grpc.TestServiceStub(halo_channel)


@pytest.fixture(scope="session")
def py_peer(stubs):
    """The grpcio TestService server (pypeer.py) on 127.0.0.1:0."""
    import pypeer

    recorder = pypeer.Recorder()
    server, address = pypeer.start_server(stubs.pb2, stubs.pb2_grpc, recorder)
    yield SimpleNamespace(address=address, recorder=recorder)
    server.stop(grace=1).wait()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On failure, attach the tail of our server's log to the report."""
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for name in ("halo_server", "fresh_halo_server"):
            server = item.funcargs.get(name) if hasattr(item, "funcargs") else None
            if isinstance(server, HaloServer):
                report.sections.append((f"{name} log", server.log_tail()))
