"""Our client (`halo-rpc-interop call`) against Python's grpcio server (pypeer.py).

Each case must exit 0. Where the grpcio server can see what the client put on the wire
(metadata, grpc-timeout, RST_STREAM), the test checks that too.
"""

import base64
import subprocess
import time

import pytest

CALL_TIMEOUT_S = 30


def run_case(binary, peer, case):
    peer.recorder.clear()
    try:
        done = subprocess.run(
            [str(binary), "call", "--target", peer.address, "--case", case],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=CALL_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired as timeout:
        pytest.fail(f"`call --case {case}` still running after {CALL_TIMEOUT_S} s\nstderr:\n{timeout.stderr}")
    assert done.returncode == 0, (
        f"`call --case {case}` exited {done.returncode}\nstderr:\n{done.stderr}\nstdout:\n{done.stdout}"
    )
    return done


def ended(peer, method):
    """How each call of `method` ended, once all of them have (3 s at most)."""
    calls = peer.recorder.calls(method)
    for call in calls:
        call.terminated.wait(timeout=3)
    return [c.ended for c in calls]


def test_unary(halo_binary, py_peer):
    run_case(halo_binary, py_peer, "unary")
    assert "ok" in ended(py_peer, "Unary")


def test_server_stream(halo_binary, py_peer):
    run_case(halo_binary, py_peer, "server_stream")
    assert "ok" in ended(py_peer, "ServerStream")


def test_client_stream(halo_binary, py_peer):
    run_case(halo_binary, py_peer, "client_stream")
    calls = py_peer.recorder.calls("ClientStream")
    assert calls and calls[0].ended == "ok" and len(calls[0].requests) >= 1


def test_bidi(halo_binary, py_peer):
    run_case(halo_binary, py_peer, "bidi")
    assert "half-closed" in ended(py_peer, "Bidi")


def test_metadata(halo_binary, py_peer):
    run_case(halo_binary, py_peer, "metadata")
    seen = [c.metadata for c in py_peer.recorder.calls() if "x-halo-test" in c.metadata]
    assert seen, "the server saw no x-halo-test header"
    assert seen[0]["x-halo-test"] == "hello"
    assert base64.b64decode(seen[0]["x-halo-bin-bin"]) == b"\x00\x01\xff"


def test_deadline_exceeded(halo_binary, py_peer):
    start = time.monotonic()
    run_case(halo_binary, py_peer, "deadline_exceeded")
    assert time.monotonic() - start < 1.9, "the client waited for the 2 s handler instead of its 200 ms deadline"
    calls = [c for c in py_peer.recorder.calls("Unary") if c.requests and c.requests[0].delay_ms == 2000]
    assert calls, "the server saw no delayed Unary"
    # The client sent grpc-timeout: the server knew the deadline.
    assert calls[0].time_remaining is not None and 0 < calls[0].time_remaining <= 0.5
    assert calls[0].terminated.wait(timeout=3) and calls[0].ended == "cancelled", calls[0].ended


def test_cancellation(halo_binary, py_peer):
    run_case(halo_binary, py_peer, "cancellation")
    # Whatever reached the server was cancelled (RST_STREAM), never half-closed as if finished.
    assert set(ended(py_peer, "Bidi")) <= {"cancelled"}, ended(py_peer, "Bidi")


def test_large_message(halo_binary, py_peer):
    run_case(halo_binary, py_peer, "large_message")
    sizes = [len(c.requests[0].payload) for c in py_peer.recorder.calls("Unary") if c.requests]
    assert 3 * 1024 * 1024 in sizes, sizes


def test_error_status(halo_binary, py_peer):
    run_case(halo_binary, py_peer, "error_status")
    requests = [c.requests[0] for c in py_peer.recorder.calls("Unary") if c.requests]
    assert any(r.fail_code == 5 and r.fail_message == "not here ✓" for r in requests)


def test_health(halo_binary, py_peer):
    run_case(halo_binary, py_peer, "health")
