"""Server streaming over REST (issue 13 §2): WatchCounts bound to
GET /api/v1/videos/{video_id}/engagement:watch through the real halo-gateway in front of the three
real services, read as Server-Sent Events and as NDJSON by Python's httpx (HTTP/1.1 and HTTP/2)
and by `curl -N`. Messages arrive as they are sent (a like made after the stream opened shows up
on it), an early error has its real status and a problem body, and a client that goes away
cancels the backend stream (the gateway's upstream metrics count it CANCELLED)."""

import json
import shutil
import subprocess
import time
import urllib.request
import uuid

import httpx
import pytest

from gateway_stack import started

WATCH = "/halo.engagement.v1.EngagementService/WatchCounts"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    yield from started(tmp_path_factory.mktemp("stack"))


@pytest.fixture(scope="module")
def token(stack):
    name = uuid.uuid4().hex[:12]
    status, _, body = stack.request(
        "POST",
        "/api/v1/auth/register",
        {"email": f"{name}@example.com", "username": f"u{name}", "password": "correct horse battery"},
    )
    assert status == 201, body
    return body["access_token"]


@pytest.fixture
def video(stack, token):
    status, _, body = stack.request(
        "POST", "/api/v1/videos", {"title": "watched", "stream_url": "https://cdn.example.com/w.m3u8"}, token=token
    )
    assert status == 201, body
    return body["id"]


def base(stack):
    return f"http://127.0.0.1:{stack.ports['gateway']}"


def like(stack, token, video_id):
    status, _, body = stack.request("POST", f"/api/v1/videos/{video_id}/engagement/likes", {}, token=token)
    assert status == 200, body


def cancelled_watches(stack):
    with urllib.request.urlopen(f"http://127.0.0.1:{stack.ports['admin']}/metrics", timeout=5) as response:
        text = response.read().decode()
    total = 0
    for line in text.splitlines():
        name = line.split("{")[0]
        if name.startswith("rpc_client_duration") and name.endswith("_count"):
            if f'rpc_method="{WATCH}"' in line and 'rpc_grpc_status_code="CANCELLED"' in line:
                total += int(float(line.rsplit(" ", 1)[1]))
    return total


def sse_events(lines):
    """Parses SSE lines into (event, data) pairs as they complete."""
    event, data = "message", []
    for line in lines:
        if line == "":
            if data:
                yield event, "\n".join(data)
            event, data = "message", []
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].lstrip())


@pytest.mark.parametrize("http2", [False, True], ids=["http1", "http2"])
def test_sse_messages_arrive_as_they_are_sent(stack, token, video, http2):
    with httpx.Client(base_url=base(stack), http1=not http2, http2=http2, timeout=10) as client:
        with client.stream(
            "GET", f"/api/v1/videos/{video}/engagement:watch", headers={"accept": "text/event-stream"}
        ) as response:
            assert response.status_code == 200
            assert response.http_version == ("HTTP/2" if http2 else "HTTP/1.1")
            assert response.headers["content-type"] == "text/event-stream"
            assert response.headers["x-request-id"]
            events = sse_events(response.iter_lines())
            kind, data = next(events)
            first = json.loads(data)
            assert kind == "message"
            assert first["video_id"] == video
            assert first["counts"]["likes"] == 0
            # The stream is open and idle; a like made now arrives on it.
            like(stack, token, video)
            kind, data = next(events)
            assert json.loads(data)["counts"]["likes"] == 1


@pytest.mark.parametrize("http2", [False, True], ids=["http1", "http2"])
def test_ndjson_lines(stack, token, video, http2):
    with httpx.Client(base_url=base(stack), http1=not http2, http2=http2, timeout=10) as client:
        with client.stream(
            "GET", f"/api/v1/videos/{video}/engagement:watch", headers={"accept": "application/x-ndjson"}
        ) as response:
            assert response.status_code == 200
            assert response.headers["content-type"] == "application/x-ndjson"
            lines = response.iter_lines()
            assert json.loads(next(lines))["counts"]["views"] == 0
            status, _, _ = stack.request("POST", f"/api/v1/videos/{video}/engagement/views", {}, token=token)
            assert status == 200
            assert json.loads(next(lines))["counts"]["views"] == 1


def test_an_error_before_the_first_message_has_its_real_status(stack):
    with httpx.Client(base_url=base(stack), timeout=10) as client:
        response = client.get("/api/v1/videos/not-a-uuid/engagement:watch", headers={"accept": "text/event-stream"})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "INVALID_ARGUMENT"
    assert problem["request_id"] == response.headers["x-request-id"]


def test_an_accept_that_rules_both_formats_out_is_406(stack, video):
    status, headers, body = stack.request(
        "GET", f"/api/v1/videos/{video}/engagement:watch", headers={"Accept": "application/xml"}
    )
    assert status == 406
    assert body["code"] == "INVALID_ARGUMENT"


def test_a_client_that_goes_away_cancels_the_backend_stream(stack, video):
    before = cancelled_watches(stack)
    client = httpx.Client(base_url=base(stack), timeout=10)
    with client.stream(
        "GET", f"/api/v1/videos/{video}/engagement:watch", headers={"accept": "application/x-ndjson"}
    ) as response:
        assert json.loads(next(response.iter_lines()))["video_id"] == video
    client.close()  # the connection goes away with the stream still open
    deadline = time.monotonic() + 5
    while cancelled_watches(stack) == before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert cancelled_watches(stack) == before + 1


def test_curl_reads_the_stream_as_it_comes(stack, token, video):
    curl = shutil.which("curl")
    assert curl, "curl is missing (scripts/setup installs it)"
    process = subprocess.Popen(
        [curl, "-sN", "--http2-prior-knowledge", "-H", "accept: text/event-stream",
         f"{base(stack)}/api/v1/videos/{video}/engagement:watch"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        first = process.stdout.readline()
        assert first.startswith("data: ") and json.loads(first[6:])["counts"]["likes"] == 0
        assert process.stdout.readline() == "\n"
        like(stack, token, video)
        second = process.stdout.readline()
        assert json.loads(second[6:])["counts"]["likes"] == 1
    finally:
        process.kill()
        process.wait()


def test_an_error_after_the_first_message_ends_the_stream_with_an_error_event(stack, token, video):
    """The engagement service is stopped mid-stream: the stream ends with an error event (SSE)
    carrying a problem, not with a silent close."""
    with httpx.Client(base_url=base(stack), timeout=15) as client:
        with client.stream(
            "GET", f"/api/v1/videos/{video}/engagement:watch", headers={"accept": "text/event-stream"}
        ) as response:
            events = sse_events(response.iter_lines())
            kind, _ = next(events)
            assert kind == "message"
            stack.stop_process("engagement", sig="kill")
            remaining = list(events)
    try:
        assert remaining, "the stream ended with no error event"
        kind, data = remaining[-1]
        assert kind == "error"
        problem = json.loads(data)
        assert problem["status"] in (502, 503)
        assert problem["code"] in ("UNAVAILABLE", "INTERNAL")
    finally:
        stack.start_service("engagement")
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if stack.request("GET", f"/api/v1/videos/{video}/engagement")[0] == 200:
                break
            time.sleep(0.1)
