"""curl and nghttp (nghttp2-client) against our server: plain HTTP/2 clients that know nothing of gRPC."""

import re
import shutil
import subprocess
import time

import pytest

from conftest import SERVICE

TOOL_TIMEOUT_S = 15


def tool(name):
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed (scripts/setup installs curl and nghttp2-client)", pytrace=False)
    return path


def framed(message):
    body = message.SerializeToString()
    return b"\x00" + len(body).to_bytes(4, "big") + body


def unframe(data):
    assert len(data) >= 5, data
    assert data[0] == 0, "compressed flag set"
    length = int.from_bytes(data[1:5], "big")
    assert len(data) == 5 + length, f"frame says {length} bytes, got {len(data) - 5}: {data!r}"
    return data[5:]


def url(server, method):
    return f"http://{server.address}/{SERVICE}/{method}"


def run(args):
    done = subprocess.run(args, capture_output=True, timeout=TOOL_TIMEOUT_S)
    return done


def nghttp_grpc(server, method, request_file, *headers):
    args = [tool("nghttp"), "-v", "-H", "content-type: application/grpc", "-H", "te: trailers"]
    for header in headers:
        args += ["-H", header]
    done = run(args + ["-d", str(request_file), url(server, method)])
    return done.stdout.decode("utf-8", "replace")


def test_curl_get_video(halo_server, stubs, tmp_path):
    request = tmp_path / "getvideo-42.bin"
    request.write_bytes(framed(stubs.pb2.GetVideoRequest(id=42)))
    body, headers = tmp_path / "body.bin", tmp_path / "headers.txt"
    done = run(
        [
            tool("curl"), "-sS", "--http2-prior-knowledge", "--max-time", "10",
            "-H", "content-type: application/grpc", "-H", "te: trailers",
            "--data-binary", f"@{request}", "-D", str(headers), "-o", str(body),
            "-w", "%{http_code} %{http_version}", url(halo_server, "GetVideo"),
        ]
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode() == "200 2"
    video = stubs.pb2.Video.FromString(unframe(body.read_bytes()))
    assert (video.id, video.title, video.views, video.live) == (42, "Video number 42", 42000, True)
    dumped = headers.read_text().lower()
    assert "content-type: application/grpc" in dumped
    assert re.search(r"^grpc-status: 0\r?$", dumped, re.M), dumped  # curl dumps trailers too


def test_curl_without_grpc_content_type_gets_415(halo_server, tmp_path):
    request = tmp_path / "req.bin"
    request.write_bytes(b"\x00\x00\x00\x00\x02\x08\x01")
    for content_type in ([], ["-H", "content-type: application/json"]):
        done = run(
            [
                tool("curl"), "-sS", "--http2-prior-knowledge", "--max-time", "10", *content_type,
                "--data-binary", f"@{request}", "-o", "/dev/null", "-w", "%{http_code}",
                url(halo_server, "GetVideo"),
            ]
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert done.stdout.decode() == "415", content_type


def test_nghttp_trailers_carry_grpc_status_0(halo_server, tmp_path):
    request = tmp_path / "getvideo-1.bin"
    request.write_bytes(b"\x00\x00\x00\x00\x02\x08\x01")  # the benchmark's request
    out = nghttp_grpc(halo_server, "GetVideo", request)
    data = out.find("recv DATA frame")
    status = out.find("grpc-status: 0")
    assert data >= 0 and status > data, f"grpc-status: 0 not in trailers after the DATA frame:\n{out}"
    assert re.search(r"recv HEADERS frame .*\n.*END_STREAM", out[status:]), out


def test_nghttp_unknown_video_not_found(halo_server, tmp_path, stubs):
    request = tmp_path / "getvideo-0.bin"
    request.write_bytes(framed(stubs.pb2.GetVideoRequest(id=1001)))
    out = nghttp_grpc(halo_server, "GetVideo", request)
    assert "grpc-status: 5" in out, out


def test_nghttp_grpc_timeout_enforced_by_server(halo_server, tmp_path, stubs):
    """The client does not enforce anything here: the server must answer DEADLINE_EXCEEDED itself."""
    request = tmp_path / "slow.bin"
    request.write_bytes(framed(stubs.pb2.EchoRequest(message="slow", delay_ms=2000)))
    start = time.monotonic()
    out = nghttp_grpc(halo_server, "Unary", request, "grpc-timeout: 200m")
    elapsed = time.monotonic() - start
    assert "grpc-status: 4" in out, out
    assert elapsed < 1.5, f"took {elapsed:.2f} s for a 200 ms deadline"
