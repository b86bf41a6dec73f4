"""gRPC pass-through (issue 13 §1): Python's grpcio as the client of the real halo-gateway, which
forwards by service name to `halo-rpc-interop serve` (the four call kinds of
halo.testing.v1.TestService) and to the three real services. Deadlines, cancellation both ways, a
backend killed mid-stream, per-service auth policy, and flow control (a slow reader does not make
the gateway buffer the stream)."""

import re
import threading
import time
import urllib.request
import uuid

import grpc
import pytest

from conftest import HaloServer, channel_options
from gateway_stack import REPO, Stack, free_port, wait_for_port
from test_grpcio_client import RequestQueue

MiB = 1024 * 1024
BUNDLED = (REPO / "Sources" / "Gateway" / "halo-gateway.yaml").read_text()


def gateway_config(testing_address, testing_auth, max_timeout="300s"):
    """The bundled configuration plus the test service's cluster and the pass-through policies:
    VideoService requires a token, TestService gets `testing_auth`."""
    text = re.sub(r"(?ms)^grpc:\n(  .*\n)*", "", BUNDLED)
    text = text.replace(
        "  engagement: {endpoints: [\"127.0.0.1:50053\"], required: false}\n",
        "  engagement: {endpoints: [\"127.0.0.1:50053\"], required: false}\n"
        f"  testing: {{endpoints: [\"{testing_address}\"], required: false}}\n",
    )
    text = text.replace(
        "  halo.engagement.v1.EngagementService: engagement\n",
        "  halo.engagement.v1.EngagementService: engagement\n  halo.testing.v1.TestService: testing\n",
    )
    text += (
        "\ngrpc:\n"
        "  default_auth: optional\n"
        "  default_timeout: 30s\n"
        f"  max_timeout: {max_timeout}\n"
        "  services:\n"
        "    halo.video.v1.VideoService: {auth: required}\n"
        f"    halo.testing.v1.TestService: {{auth: {testing_auth}}}\n"
    )
    return text


class PassThroughStack(Stack):
    """The whole stack, the gateway started with a configuration file of the test's."""

    def __init__(self, workdir, config_text):
        super().__init__(workdir)
        self.config_path = self.workdir / "gateway.yaml"
        self.config_path.write_text(config_text)

    def start_gateway(self):
        self.start_process(
            "gateway", [str(self.bin / "halo-gateway"), "--config", str(self.config_path)], self.ports["gateway"]
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            status, _, _ = self.request("GET", "/ready")
            if status == 200:
                return
            time.sleep(0.1)
        raise RuntimeError("the gateway never became ready")

    def start_second_gateway(self, name, config_text):
        """Another gateway process in front of the same services, with its own configuration."""
        path = self.workdir / f"{name}.yaml"
        path.write_text(config_text)
        port, admin = free_port(), free_port()
        env = self.environment()
        env.update(HALO_GATEWAY_LISTEN=f"127.0.0.1:{port}", HALO_GATEWAY_ADMIN=f"127.0.0.1:{admin}")
        log = open(self.logs / f"{name}.log", "ab")
        import subprocess

        process = subprocess.Popen(
            [str(self.bin / "halo-gateway"), "--config", str(path)], stdout=log, stderr=subprocess.STDOUT, env=env
        )
        self.processes[name] = process
        wait_for_port(port, process)
        return port, admin


@pytest.fixture(scope="module")
def backend(halo_binary, tmp_path_factory):
    server = HaloServer(halo_binary, tmp_path_factory.mktemp("backend") / "serve.log")
    yield server
    server.kill()


@pytest.fixture(scope="module")
def doomed_backend(halo_binary, tmp_path_factory):
    """A backend of its own, killed by the last test."""
    server = HaloServer(halo_binary, tmp_path_factory.mktemp("doomed") / "serve.log")
    yield server
    server.kill()


@pytest.fixture(scope="module")
def stack(tmp_path_factory, backend, doomed_backend):
    running = PassThroughStack(tmp_path_factory.mktemp("stack"), gateway_config(backend.address, "optional"))
    try:
        running.start()
        running.trusted_port, running.trusted_admin = running.start_second_gateway(
            "trusted-gateway", gateway_config(doomed_backend.address, "trusted", max_timeout="1s")
        )
    except Exception:
        for name in ("gateway", "trusted-gateway", "auth", "video", "engagement", "redis"):
            print(f"--- {name}\n{running.log_tail(name)}")
        running.stop()
        raise
    yield running
    running.stop_process("trusted-gateway")
    running.stop()


@pytest.fixture(scope="module")
def channel(stack):
    with grpc.insecure_channel(f"127.0.0.1:{stack.ports['gateway']}", options=channel_options()) as channel:
        grpc.channel_ready_future(channel).result(timeout=5)
        yield channel


@pytest.fixture(scope="module")
def stub(channel, stubs):
    return stubs.pb2_grpc.TestServiceStub(channel)


@pytest.fixture(scope="module")
def trusted_stub(stack, stubs):
    with grpc.insecure_channel(f"127.0.0.1:{stack.trusted_port}", options=channel_options()) as channel:
        grpc.channel_ready_future(channel).result(timeout=5)
        yield stubs.pb2_grpc.TestServiceStub(channel)


@pytest.fixture(scope="module")
def account(stack):
    name = uuid.uuid4().hex[:12]
    status, _, body = stack.request(
        "POST",
        "/api/v1/auth/register",
        {"email": f"{name}@example.com", "username": f"u{name}", "password": "correct horse battery"},
    )
    assert status == 201, body
    return body


def raw_method(channel, path, kind="unary_unary"):
    """A method of a real service called with serialized bytes (no generated stubs needed)."""
    return getattr(channel, kind)(path, request_serializer=lambda b: b, response_deserializer=lambda b: b)


def metric_total(admin_port, method, code):
    """rpc.client.duration's count for `method` and `code` on a gateway's /metrics."""
    with urllib.request.urlopen(f"http://127.0.0.1:{admin_port}/metrics", timeout=5) as response:
        text = response.read().decode()
    total = 0
    for line in text.splitlines():
        if line.startswith("rpc_client_duration") and "_count" in line.split("{")[0]:
            if f'rpc_method="{method}"' in line and f'rpc_grpc_status_code="{code}"' in line:
                total += int(float(line.rsplit(" ", 1)[1]))
    return total


def gateway_rss_kib(stack, name="gateway"):
    pid = stack.processes[name].pid
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


# --- the four call kinds -----------------------------------------------------------------------


def test_unary(stub, stubs):
    payload = bytes(range(256)) * 64
    response = stub.Unary(stubs.pb2.EchoRequest(message="hello ✓", payload=payload), timeout=5)
    assert response.message == "hello ✓"
    assert response.payload == payload
    assert re.fullmatch(r"[A-Za-z0-9._-]+", response.metadata["x-request-id"])


def test_server_stream_in_order(stub, stubs):
    responses = list(stub.ServerStream(stubs.pb2.EchoRequest(message="s", response_count=500), timeout=10))
    assert [r.index for r in responses] == list(range(500))


def test_client_stream(stub, stubs):
    requests = [stubs.pb2.EchoRequest(message=m, payload=bytes([i])) for i, m in enumerate("abcdef")]
    response = stub.ClientStream(iter(requests), timeout=5)
    assert (response.message, response.payload, response.index) == ("abcdef", bytes(range(6)), 6)


def test_bidi_one_message_at_a_time(stub, stubs):
    requests = RequestQueue()
    call = stub.Bidi(requests, timeout=10)
    for index in range(20):
        requests.put(stubs.pb2.EchoRequest(message=f"m{index}"))
        response = next(call)
        assert (response.message, response.index) == (f"m{index}", index)
    requests.close()
    assert list(call) == []
    assert call.code() == grpc.StatusCode.OK


def test_large_messages_both_ways(stub, stubs):
    """Messages larger than the HTTP/2 windows (1 MiB) go through in both directions."""
    payloads = [bytes([i]) * (3 * MiB + i) for i in range(4)]
    responses = list(stub.Bidi(iter(stubs.pb2.EchoRequest(payload=p) for p in payloads), timeout=30))
    assert [r.payload for r in responses] == payloads
    response = stub.ClientStream(iter(stubs.pb2.EchoRequest(payload=p) for p in payloads), timeout=30)
    assert response.payload == b"".join(payloads)


def test_a_status_and_its_message_pass_through(stub, stubs):
    with pytest.raises(grpc.RpcError) as failure:
        stub.Unary(stubs.pb2.EchoRequest(fail_code=5, fail_message="no such thing ✓"), timeout=5)
    assert failure.value.code() == grpc.StatusCode.NOT_FOUND
    assert failure.value.details() == "no such thing ✓"


def test_an_unknown_service_is_unimplemented(channel):
    with pytest.raises(grpc.RpcError) as failure:
        raw_method(channel, "/halo.nowhere.v1.Nothing/Call")(b"", timeout=5)
    assert failure.value.code() == grpc.StatusCode.UNIMPLEMENTED


# --- flow control ------------------------------------------------------------------------------


def test_a_slow_reader_holds_the_backend_back(stack, stub, stubs):
    """200 responses of 256 KiB (50 MiB) to a reader that stops after one: the gateway keeps at
    most a few windows of it, then the rest flows when the reader reads again."""
    before = gateway_rss_kib(stack)
    call = stub.ServerStream(
        stubs.pb2.EchoRequest(payload=b"x" * (256 * 1024), response_count=200), timeout=30
    )
    first = next(call)
    assert first.index == 0
    time.sleep(1.5)  # the backend would have written all 50 MiB by now without backpressure
    grown = gateway_rss_kib(stack) - before
    assert grown < 20 * 1024, f"the gateway grew by {grown} KiB while the reader stalled"
    rest = list(call)
    assert [r.index for r in rest] == list(range(1, 200))


def test_a_slow_backend_holds_the_sender_back(stack, stub, stubs):
    """Client streaming into a backend that stops reading for 2 s: the caller gets only a few
    windows ahead (the gateway gives window back only as the backend stream takes bytes), and the
    gateway does not buffer the rest."""
    sent = []

    def requests():
        yield stubs.pb2.EchoRequest(payload=b"a" * MiB, delay_ms=2000)
        for index in range(11):
            sent.append(index)
            yield stubs.pb2.EchoRequest(payload=bytes([index]) * MiB)

    before = gateway_rss_kib(stack)
    future = stub.ClientStream.future(requests(), timeout=30)
    time.sleep(1.5)
    ahead, grown = len(sent), gateway_rss_kib(stack) - before
    response = future.result()
    # Bounded by windows and buffers on the way (edge window 1 MiB, the backend stream's queue,
    # the backend's own window and message buffer): about 6 MiB; unbounded, all 11 would be sent.
    assert ahead <= 8, f"the caller got {ahead} MiB ahead of a backend that was not reading"
    assert grown < 8 * 1024, f"the gateway grew by {grown} KiB while the backend was not reading"
    assert len(response.payload) == 12 * MiB


# --- deadlines and cancellation ----------------------------------------------------------------


def test_the_callers_deadline_goes_upstream(stub, stubs):
    start = time.monotonic()
    with pytest.raises(grpc.RpcError) as failure:
        stub.Unary(stubs.pb2.EchoRequest(delay_ms=5000), timeout=0.4)
    assert failure.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert time.monotonic() - start < 2


def test_a_long_deadline_is_capped_by_max_timeout(trusted_stub, stubs):
    """The trusted gateway caps grpc-timeout at 1 s: a 30 s budget ends after about 1 s."""
    start = time.monotonic()
    with pytest.raises(grpc.RpcError) as failure:
        trusted_stub.Unary(stubs.pb2.EchoRequest(delay_ms=5000), timeout=30)
    elapsed = time.monotonic() - start
    assert failure.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert 0.8 < elapsed < 3, elapsed


def test_a_caller_that_cancels_cancels_the_backend_call(stack, stub, stubs):
    method = "/halo.testing.v1.TestService/Bidi"
    before = metric_total(stack.ports["admin"], method, "CANCELLED")
    requests = RequestQueue()
    call = stub.Bidi(requests, timeout=30)
    requests.put(stubs.pb2.EchoRequest(message="one"))
    assert next(call).message == "one"
    call.cancel()
    deadline = time.monotonic() + 5
    while metric_total(stack.ports["admin"], method, "CANCELLED") == before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert metric_total(stack.ports["admin"], method, "CANCELLED") == before + 1
    # The gateway still serves.
    assert stub.Unary(stubs.pb2.EchoRequest(message="after"), timeout=5).message == "after"


def test_a_real_service_stream_watch_counts(channel, stack, account):
    """WatchCounts (server streaming on the engagement service) through the gateway: the current
    counts arrive first; cancelling ends it."""
    video_id = str(uuid.uuid4())
    request = b"\x0a" + bytes([len(video_id)]) + video_id.encode()
    call = raw_method(channel, "/halo.engagement.v1.EngagementService/WatchCounts", "unary_stream")(
        request, timeout=10
    )
    first = next(call)
    assert video_id.encode() in first
    call.cancel()
    assert call.code() == grpc.StatusCode.CANCELLED


# --- auth policy -------------------------------------------------------------------------------


def test_optional_policy_forwards_identity_and_drops_forged_headers(stub, stubs, account):
    forged = (("x-halo-user-id", str(uuid.uuid4())), ("x-halo-admin", "true"), ("x-custom", "kept"))
    anonymous = stub.Unary(stubs.pb2.EchoRequest(message="a"), metadata=forged, timeout=5)
    assert "x-halo-user-id" not in anonymous.metadata
    assert "x-halo-admin" not in anonymous.metadata
    assert anonymous.metadata["x-custom"] == "kept"

    token = account["access_token"]
    known = stub.Unary(
        stubs.pb2.EchoRequest(message="b"), metadata=forged + (("authorization", f"Bearer {token}"),), timeout=5
    )
    assert known.metadata["x-halo-user-id"] == account["user"]["id"]
    assert known.metadata["x-halo-admin"] == "false"
    assert "authorization" not in known.metadata

    with pytest.raises(grpc.RpcError) as failure:
        stub.Unary(stubs.pb2.EchoRequest(), metadata=(("authorization", "Bearer not.a.token"),), timeout=5)
    assert failure.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_required_policy_refuses_anonymous_callers(channel, account):
    list_videos = raw_method(channel, "/halo.video.v1.VideoService/ListVideos")
    with pytest.raises(grpc.RpcError) as failure:
        list_videos(b"", timeout=5)
    assert failure.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert failure.value.details() == "authentication required"
    answer = list_videos(b"", metadata=(("authorization", f"Bearer {account['access_token']}"),), timeout=5)
    assert isinstance(answer, bytes)


def test_trusted_policy_passes_metadata_untouched(trusted_stub, stubs):
    user = str(uuid.uuid4())
    response = trusted_stub.Unary(
        stubs.pb2.EchoRequest(message="t"),
        metadata=(("x-halo-user-id", user), ("authorization", "Bearer internal")),
        timeout=5,
    )
    assert response.metadata["x-halo-user-id"] == user
    assert response.metadata["authorization"] == "Bearer internal"


# --- a backend killed mid-stream (last: it kills the trusted gateway's backend) ----------------


def test_a_backend_killed_mid_stream_ends_the_call_unavailable(trusted_stub, stubs, doomed_backend):
    requests = RequestQueue()
    call = trusted_stub.Bidi(requests, timeout=0.9)
    requests.put(stubs.pb2.EchoRequest(message="before"))
    assert next(call).message == "before"
    killer = threading.Timer(0.1, doomed_backend.kill)
    killer.start()
    with pytest.raises(grpc.RpcError) as failure:
        next(call)
    killer.join()
    assert failure.value.code() == grpc.StatusCode.UNAVAILABLE, failure.value.details()
    # Later calls fail fast with UNAVAILABLE, not a hang.
    start = time.monotonic()
    with pytest.raises(grpc.RpcError) as later:
        trusted_stub.Unary(stubs.pb2.EchoRequest(message="x"), timeout=0.9)
    assert later.value.code() == grpc.StatusCode.UNAVAILABLE
    assert time.monotonic() - start < 0.8
