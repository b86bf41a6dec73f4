"""gRPC-Web (issue 13 §1): browser-style calls to the real halo-gateway, translated to gRPC on
`halo-rpc-interop serve` and the real services. A client no one here wrote (sonora's
grpc-web client, from PyPI) makes unary and server-streaming calls in binary mode; the framing,
the trailers in the body and the base64 text mode are also checked byte by byte against gRPC's
PROTOCOL-WEB.md, over HTTP/1.1 and HTTP/2 (httpx)."""

import base64
import struct
import time
import uuid

import grpc
import httpx
import jwt
import pytest
import sonora.client
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from test_grpc_passthrough import PassThroughStack, backend, doomed_backend, gateway_config  # noqa: F401

PATH = "/halo.testing.v1.TestService/"


@pytest.fixture(scope="module")
def stack(tmp_path_factory, backend):  # noqa: F811
    running = PassThroughStack(tmp_path_factory.mktemp("stack"), gateway_config(backend.address, "optional"))
    try:
        running.start()
    except Exception:
        for name in ("gateway", "auth", "video", "engagement", "redis"):
            print(f"--- {name}\n{running.log_tail(name)}")
        running.stop()
        raise
    yield running
    running.stop()


def base(stack):
    return f"http://127.0.0.1:{stack.ports['gateway']}"


def frame(message, flags=0):
    return struct.pack(">BI", flags, len(message)) + message


def frames(body):
    """Splits a gRPC-Web body into (flags, payload) frames; fails on a truncated one."""
    out, offset = [], 0
    while offset < len(body):
        flags, length = struct.unpack(">BI", body[offset : offset + 5])
        payload = body[offset + 5 : offset + 5 + length]
        assert len(payload) == length, "truncated frame"
        out.append((flags, payload))
        offset += 5 + length
    return out


def trailers(payload):
    fields = {}
    for line in payload.decode("ascii").split("\r\n"):
        if line:
            name, value = line.split(":", 1)
            assert name == name.lower(), "trailer names are lower-case"
            fields[name] = value.strip()
    return fields


def raw_trailers(payload):
    """The trailer block as name -> value bytes (binary values are not ASCII)."""
    fields = {}
    for line in payload.split(b"\r\n"):
        if line:
            name, value = line.split(b": ", 1)
            fields[name.decode("ascii")] = value
    return fields


def decode_text(body):
    """base64 in chunks, each possibly padded (the spec lets servers flush at any point)."""
    out, chunk = b"", b""
    for index in range(0, len(body), 4):
        quad = body[index : index + 4]
        chunk += quad
        if quad.endswith(b"="):
            out += base64.b64decode(chunk)
            chunk = b""
    return out + base64.b64decode(chunk)


def call(stack, method, body, content_type="application/grpc-web+proto", http2=False, headers=None):
    with httpx.Client(base_url=base(stack), http1=not http2, http2=http2, timeout=10) as client:
        return client.post(
            PATH + method,
            content=body,
            headers={"content-type": content_type, "x-grpc-web": "1", **(headers or {})},
        )


@pytest.mark.parametrize("http2", [False, True], ids=["http1", "http2"])
def test_unary_binary_frames_and_trailers_in_the_body(stack, stubs, http2):
    request = stubs.pb2.EchoRequest(message="web ✓", payload=b"\x00\x01\x02")
    response = call(stack, "Unary", frame(request.SerializeToString()), http2=http2)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/grpc-web+proto"
    parts = frames(response.content)
    assert [flags for flags, _ in parts] == [0x00, 0x80]
    echoed = stubs.pb2.EchoResponse.FromString(parts[0][1])
    assert (echoed.message, echoed.payload) == ("web ✓", b"\x00\x01\x02")
    assert echoed.metadata["x-request-id"] == response.headers["x-request-id"]
    assert trailers(parts[1][1])["grpc-status"] == "0"


@pytest.mark.parametrize("http2", [False, True], ids=["http1", "http2"])
def test_server_streaming_text_mode(stack, stubs, http2):
    request = stubs.pb2.EchoRequest(message="t", response_count=5)
    body = base64.b64encode(frame(request.SerializeToString()))
    response = call(stack, "ServerStream", body, content_type="application/grpc-web-text", http2=http2)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/grpc-web-text+proto"
    assert set(response.content) <= set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")
    parts = frames(decode_text(response.content))
    assert [flags for flags, _ in parts] == [0] * 5 + [0x80]
    assert [stubs.pb2.EchoResponse.FromString(p).index for _, p in parts[:5]] == list(range(5))
    assert trailers(parts[5][1])["grpc-status"] == "0"


def test_a_text_request_in_padded_chunks_is_read_whole(stack, stubs):
    """A client may flush its base64 in pieces, each padded."""
    first = frame(stubs.pb2.EchoRequest(message="a").SerializeToString())
    body = base64.b64encode(first[:4]) + base64.b64encode(first[4:])
    assert body.count(b"=") > 0
    response = call(stack, "Unary", body, content_type="application/grpc-web-text")
    parts = frames(decode_text(response.content))
    assert stubs.pb2.EchoResponse.FromString(parts[0][1]).message == "a"


def test_a_backend_error_is_a_status_not_an_http_error(stack, stubs):
    request = stubs.pb2.EchoRequest(fail_code=5, fail_message="gone ✓")
    response = call(stack, "Unary", frame(request.SerializeToString()))
    assert response.status_code == 200
    # Trailers-only: the status travels in the head, the body is empty.
    assert response.headers["grpc-status"] == "5"
    assert response.headers["grpc-message"] == "gone %E2%9C%93"
    assert response.content == b""


def test_an_error_after_messages_is_in_the_trailer_frame(stack):
    """WatchCounts (engagement) answers the current counts at once, then waits for changes: with a
    half-second budget the messages are in the body and DEADLINE_EXCEEDED follows in the trailer
    frame."""
    video_id = str(uuid.uuid4()).encode()
    request = frame(b"\x0a" + bytes([len(video_id)]) + video_id)
    with httpx.Client(base_url=base(stack), timeout=10) as client:
        response = client.post(
            "/halo.engagement.v1.EngagementService/WatchCounts",
            content=request,
            headers={"content-type": "application/grpc-web+proto", "grpc-timeout": "500m"},
        )
    assert response.status_code == 200
    assert "grpc-status" not in response.headers
    parts = frames(response.content)
    assert [flags for flags, _ in parts] == [0x00, 0x80]
    assert video_id in parts[0][1]
    assert trailers(parts[1][1])["grpc-status"] == str(grpc.StatusCode.DEADLINE_EXCEEDED.value[0])


def test_an_unknown_service_is_unimplemented(stack):
    with httpx.Client(base_url=base(stack), timeout=10) as client:
        response = client.post(
            "/halo.nowhere.v1.Nothing/Call", content=frame(b""), headers={"content-type": "application/grpc-web"}
        )
    assert response.status_code == 200
    assert response.headers["grpc-status"] == "12"


def test_sonora_client_unary_and_server_streaming(stack, stubs):
    # Methods are made on the channel directly: grpcio-tools' generated stubs pass a keyword
    # (`_registered_method`) that sonora's channel does not take.
    pb2 = stubs.pb2
    with sonora.client.insecure_web_channel(base(stack)) as channel:
        unary = channel.unary_unary(
            PATH + "Unary", request_serializer=pb2.EchoRequest.SerializeToString,
            response_deserializer=pb2.EchoResponse.FromString,
        )
        server_stream = channel.unary_stream(
            PATH + "ServerStream", request_serializer=pb2.EchoRequest.SerializeToString,
            response_deserializer=pb2.EchoResponse.FromString,
        )
        assert unary(pb2.EchoRequest(message="from sonora"), timeout=5).message == "from sonora"
        streamed = list(server_stream(pb2.EchoRequest(message="s", response_count=3), timeout=5))
        assert [r.index for r in streamed] == [0, 1, 2]
        with pytest.raises(grpc.RpcError) as failure:
            unary(pb2.EchoRequest(fail_code=7, fail_message="no"), timeout=5)
        assert failure.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_identity_comes_from_the_token_only(stack, stubs):
    name = uuid.uuid4().hex[:12]
    status, _, account = stack.request(
        "POST",
        "/api/v1/auth/register",
        {"email": f"{name}@example.com", "username": f"u{name}", "password": "correct horse battery"},
    )
    assert status == 201
    request = frame(stubs.pb2.EchoRequest(message="who").SerializeToString())
    forged = {"x-halo-user-id": str(uuid.uuid4()), "cookie": "session=1"}
    anonymous = frames(call(stack, "Unary", request, headers=forged).content)
    seen = stubs.pb2.EchoResponse.FromString(anonymous[0][1]).metadata
    assert "x-halo-user-id" not in seen and "cookie" not in seen
    known = call(stack, "Unary", request, headers={**forged, "authorization": f"Bearer {account['access_token']}"})
    seen = stubs.pb2.EchoResponse.FromString(frames(known.content)[0][1]).metadata
    assert seen["x-halo-user-id"] == account["user"]["id"]


@pytest.fixture(scope="module")
def pypeer_gateway(stack, py_peer):
    """A second gateway on the same services whose TestService is the grpcio peer (it can send
    trailing metadata)."""
    port, _ = stack.start_second_gateway("pypeer-gateway", gateway_config(py_peer.address, "optional"))
    yield f"http://127.0.0.1:{port}"
    stack.stop_process("pypeer-gateway")


def test_text_mode_trailers_carry_binary_metadata_as_raw_bytes(pypeer_gateway, stubs):
    """PROTOCOL-WEB.md: in text mode the extra base64 of binary metadata is skipped (the frame is
    base64 as a whole); in binary mode trailers pass as received."""
    detail = bytes([0x00, 0x01, 0xFF, 0x41]) * 5
    request = frame(stubs.pb2.EchoRequest(message="bin").SerializeToString())
    headers = {
        "x-grpc-web": "1", "x-trailer-detail-bin": base64.b64encode(detail).decode(), "x-trailer-note": "plain",
    }
    with httpx.Client(base_url=pypeer_gateway, timeout=10) as client:
        text = client.post(
            PATH + "Unary", content=base64.b64encode(request),
            headers={**headers, "content-type": "application/grpc-web-text"},
        )
        binary = client.post(
            PATH + "Unary", content=request, headers={**headers, "content-type": "application/grpc-web+proto"}
        )
    assert text.status_code == 200 and binary.status_code == 200
    parts = frames(decode_text(text.content))
    assert [flags for flags, _ in parts] == [0x00, 0x80]
    fields = raw_trailers(parts[1][1])
    assert fields["grpc-status"] == b"0"
    assert fields["x-trailer-detail-bin"] == detail
    assert fields["x-trailer-note"] == b"plain"
    parts = frames(binary.content)
    fields = raw_trailers(parts[1][1])
    sent = fields["x-trailer-detail-bin"]
    assert base64.b64decode(sent + b"=" * (-len(sent) % 4)) == detail
    assert fields["x-trailer-note"] == b"plain"


def test_an_unknown_key_is_unauthenticated_as_a_grpc_web_status(stack):
    """After the JWKS refetch the key is still unknown: a gRPC-Web status, not a problem body."""
    claims = {"sub": str(uuid.uuid4()), "iss": "halo-auth", "aud": "halo", "exp": int(time.time()) + 600}
    token = jwt.encode(claims, Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": "rotated", "typ": "at+jwt"})
    response = call(stack, "Unary", frame(b""), headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/grpc-web+proto"
    assert response.headers["grpc-status"] == str(grpc.StatusCode.UNAUTHENTICATED.value[0])
    assert response.content == b""


def test_keys_that_cannot_be_fetched_are_unavailable_as_a_grpc_status(stack, stubs):
    """A gateway that starts while the auth service is down has no keys; a token then makes it
    refetch the JWKS, which fails: gRPC-Web and gRPC callers get UNAVAILABLE as a gRPC status
    (retry later), not a REST problem body."""
    name = uuid.uuid4().hex[:12]
    status, _, account = stack.request(
        "POST", "/api/v1/auth/register",
        {"email": f"{name}@example.com", "username": f"u{name}", "password": "correct horse battery"},
    )
    assert status == 201
    token = account["access_token"]
    stack.stop_process("auth", sig="kill")
    try:
        port, _ = stack.start_second_gateway("keyless-gateway", gateway_config("127.0.0.1:1", "optional"))
        request = frame(stubs.pb2.EchoRequest(message="who").SerializeToString())
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            response = client.post(
                "/halo.video.v1.VideoService/GetVideo", content=request,
                headers={"content-type": "application/grpc-web", "authorization": f"Bearer {token}"},
            )
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/grpc-web+proto"
        assert response.headers["grpc-status"] == str(grpc.StatusCode.UNAVAILABLE.value[0])
        assert response.headers["retry-after"] == "1"
        assert response.content == b""
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            get_video = channel.unary_unary("/halo.video.v1.VideoService/GetVideo")
            with pytest.raises(grpc.RpcError) as failure:
                get_video(b"", metadata=[("authorization", f"Bearer {token}")], timeout=5)
        assert failure.value.code() == grpc.StatusCode.UNAVAILABLE
        assert "cannot be fetched" in failure.value.details()
    finally:
        stack.stop_process("keyless-gateway")
        stack.start_service("auth")
