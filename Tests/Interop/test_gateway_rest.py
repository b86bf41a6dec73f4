"""The REST contract (DESIGN.md §5) through the real halo-gateway in front of the three real
services, started as processes; RELIABILITY.md cases 1-10 and 13-18 where they reach the gateway.
Clients: Python's http.client (HTTP/1.1 keep-alive), curl (HTTP/2 with prior knowledge), PyJWT
(forged tokens)."""

import base64
import json
import subprocess
import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gateway_stack import started


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    yield from started(tmp_path_factory.mktemp("stack"))


def register(stack, name=None):
    name = name or uuid.uuid4().hex[:12]
    status, _, body = stack.request(
        "POST",
        "/api/v1/auth/register",
        {"email": f"{name}@example.com", "username": f"u{name}", "password": "correct horse battery"},
    )
    assert status == 201, body
    return body


def create_video(stack, token, **fields):
    video = {"title": "a stream", "stream_url": "https://cdn.example.com/v.m3u8", "tags": ["live", "music"]}
    video.update(fields)
    status, headers, body = stack.request("POST", "/api/v1/videos", video, token=token)
    assert status == 201, body
    assert headers["content-type"] == "application/json"
    return body


def assert_problem(status, headers, body, expected_status, code):
    assert status == expected_status, body
    assert headers["content-type"] == "application/problem+json"
    assert body["status"] == expected_status
    assert body["code"] == code
    assert body["request_id"] == headers["x-request-id"]


class TestUserJourney:
    def test_register_login_me_video_engagement_delete(self, stack):
        account = register(stack)
        assert account["token_type"].lower() == "bearer"
        assert set(account["user"]) >= {"id", "email", "username", "display_name", "is_adult", "created_at"}
        token = account["access_token"]

        status, _, login = stack.request(
            "POST", "/api/v1/auth/login", {"email": account["user"]["email"], "password": "correct horse battery"}
        )
        assert status == 200 and login["user"]["id"] == account["user"]["id"]

        status, _, me = stack.request("GET", "/api/v1/auth/me", token=token)
        assert status == 200 and me["id"] == account["user"]["id"]

        video = create_video(stack, token, duration_seconds=61)
        assert video["owner_id"] == account["user"]["id"]
        # DESIGN.md §5: proto names, defaults emitted, int64 as numbers.
        assert video["is_live"] is False and video["duration_seconds"] == 61 and video["tags"] == ["live", "music"]

        status, _, fetched = stack.request("GET", f"/api/v1/videos/{video['id']}")
        assert status == 200 and fetched["title"] == "a stream"
        # Composition: the counts come with the video (fetched beside it).
        assert fetched["engagement"] == {"views": 0, "likes": 0, "comments": 0, "live_viewers": 0, "liked": False}

        status, _, page = stack.request("GET", "/api/v1/videos?limit=5")
        assert status == 200 and any(item["id"] == video["id"] for item in page["videos"])
        assert all(item["engagement"]["views"] >= 0 for item in page["videos"])

        status, _, mine = stack.request("GET", f"/api/v1/users/{account['user']['id']}/videos")
        assert status == 200 and [item["id"] for item in mine["videos"]] == [video["id"]]

        status, _, liked = stack.request("POST", f"/api/v1/videos/{video['id']}/engagement/likes", {}, token=token)
        assert status == 200 and liked["value"] == 1 and liked["metric"] == "likes"
        status, _, viewed = stack.request("POST", f"/api/v1/videos/{video['id']}/engagement/views", {}, token=token)
        assert status == 200 and viewed == {"video_id": video["id"], "metric": "views", "value": 1}
        status, _, counts = stack.request("GET", f"/api/v1/videos/{video['id']}/engagement", token=token)
        assert status == 200 and counts["likes"] == 1 and counts["views"] == 1 and counts["liked"] is True
        status, _, fetched = stack.request("GET", f"/api/v1/videos/{video['id']}", token=token)
        assert fetched["engagement"]["likes"] == 1 and fetched["engagement"]["liked"] is True
        status, _, mine = stack.request("GET", f"/api/v1/users/{account['user']['id']}/videos", token=token)
        assert [item["engagement"]["views"] for item in mine["videos"]] == [1]

        status, headers, body = stack.request("DELETE", f"/api/v1/videos/{video['id']}", token=token, raw=True)
        assert status == 204 and body == b"" and "content-length" not in headers
        status, headers, body = stack.request("GET", f"/api/v1/videos/{video['id']}")
        assert_problem(status, headers, body, 404, "NOT_FOUND")

    def test_jwks_is_served(self, stack):
        status, _, body = stack.request("GET", "/.well-known/jwks.json")
        assert status == 200
        assert body["keys"] and body["keys"][0]["kty"] == "OKP" and body["keys"][0]["crv"] == "Ed25519"

    def test_another_user_may_not_change_a_video(self, stack):
        owner = register(stack)["access_token"]
        stranger = register(stack)["access_token"]
        video = create_video(stack, owner)
        for method in ("PATCH", "DELETE"):
            body = {"title": "mine now"} if method == "PATCH" else None
            status, headers, problem = stack.request(method, f"/api/v1/videos/{video['id']}", body, token=stranger)
            assert_problem(status, headers, problem, 403, "PERMISSION_DENIED")

    def test_http2_with_prior_knowledge(self, stack):
        result = subprocess.run(
            ["curl", "-s", "--http2-prior-knowledge", "-o", "-", "-w", "\n%{http_version} %{http_code}",
             f"http://127.0.0.1:{stack.ports['gateway']}/api/v1/videos?limit=1"],
            capture_output=True, text=True, timeout=20,
        )
        body, _, status_line = result.stdout.rpartition("\n")
        assert status_line == "2 200", result.stdout + result.stderr
        assert "videos" in json.loads(body)


class TestBadInput:
    """RELIABILITY.md cases 1-9: 4xx with a problem body, no 500, the connection stays usable."""

    @pytest.mark.parametrize(
        "payload",
        [b'{"title":', b"{}x", b"NaN", b"{'title':'a'}", b"\xef\xbb\xbf{}", b"[]", b'"a string"'],
    )
    def test_malformed_json_is_400_and_keep_alive_survives(self, stack, payload):
        token = register(stack)["access_token"]
        connection = stack.connection()
        status, headers, body = stack.request(
            "POST", "/api/v1/videos", payload, {"Content-Type": "application/json"}, token=token,
            connection=connection,
        )
        assert_problem(status, headers, body, 400, "INVALID_ARGUMENT")
        status, _, _ = stack.request("GET", "/health", connection=connection)
        assert status == 200
        connection.close()

    def test_an_empty_body_is_the_empty_message(self, stack):
        token = register(stack)["access_token"]
        status, headers, body = stack.request(
            "POST", "/api/v1/videos", b"", {"Content-Type": "application/json"}, token=token
        )
        # The empty message reaches the service, which refuses its empty title.
        assert_problem(status, headers, body, 400, "INVALID_ARGUMENT")
        assert "title" in body["detail"]

    @pytest.mark.parametrize(
        "content_type",
        ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", "application/json; charset=latin1"],
    )
    def test_wrong_content_type_is_415(self, stack, content_type):
        token = register(stack)["access_token"]
        status, headers, body = stack.request(
            "POST", "/api/v1/videos", b'{"title":"x"}', {"Content-Type": content_type}, token=token
        )
        assert status == 415 and headers["content-type"] == "application/problem+json"

    def test_accept_xml_is_406(self, stack):
        status, _, _ = stack.request("GET", "/api/v1/videos", headers={"Accept": "application/xml"})
        assert status == 406

    def test_a_body_over_the_limit_is_413(self, stack):
        token = register(stack)["access_token"]
        status, _, _ = stack.request(
            "POST", "/api/v1/videos", b"{" + b" " * (1 << 20) + b"}", {"Content-Type": "application/json"},
            token=token,
        )
        assert status == 413

    @pytest.mark.parametrize(
        "payload, pointer",
        [
            ({"title": "a", "duration_seconds": "abc"}, "/duration_seconds"),
            ({"title": "a", "duration_seconds": 1e400}, "/duration_seconds"),
            ({"title": "a", "duration_seconds": 1.5}, "/duration_seconds"),
            ({"title": "a", "tags": ["ok", 3]}, "/tags/1"),
            ({"title": "a", "owner_id": "someone"}, None),
            ({"title": "a", "views": 999999}, None),
        ],
    )
    def test_type_errors_and_unknown_fields_are_400_with_a_pointer(self, stack, payload, pointer):
        token = register(stack)["access_token"]
        status, headers, body = stack.request("POST", "/api/v1/videos", payload, token=token)
        assert_problem(status, headers, body, 400, "INVALID_ARGUMENT")
        if pointer:
            assert body["errors"][0]["pointer"] == pointer

    def test_a_services_field_violations_are_errors_with_pointers(self, stack):
        # The video service sends google.rpc.BadRequest in grpc-status-details-bin; the gateway
        # points into the body the client sent.
        token = register(stack)["access_token"]
        payload = {"title": " ", "tags": ["live", ""], "stream_url": "ftp://x"}
        status, headers, body = stack.request("POST", "/api/v1/videos", payload, token=token)
        assert_problem(status, headers, body, 400, "INVALID_ARGUMENT")
        errors = {error["pointer"]: error["detail"] for error in body["errors"]}
        assert set(errors) == {"/title", "/tags/1", "/stream_url"}, body
        assert errors["/tags/1"] == "is required"

    def test_field_violation_pointers_use_the_name_the_client_sent(self, stack):
        name = uuid.uuid4().hex[:12]
        payload = {
            "email": f"{name}@example.com", "username": f"u{name}", "password": "correct horse battery",
            "displayName": "\u0007bell",
        }
        status, headers, body = stack.request("POST", "/api/v1/auth/register", payload)
        assert_problem(status, headers, body, 400, "INVALID_ARGUMENT")
        assert body["errors"] == [
            {"pointer": "/displayName", "detail": "display name must not contain control characters"}
        ], body

    def test_a_path_field_violation_names_the_parameter(self, stack):
        token = register(stack)["access_token"]
        status, headers, body = stack.request("PATCH", "/api/v1/videos/not-a-uuid", {"title": "x"}, token=token)
        assert_problem(status, headers, body, 400, "INVALID_ARGUMENT")
        assert body["errors"] == [{"parameter": "id", "detail": "must be a UUID"}], body

    def test_duplicate_keys_are_400(self, stack):
        token = register(stack)["access_token"]
        status, _, _ = stack.request(
            "POST", "/api/v1/videos", b'{"title":"a","title":"b"}', {"Content-Type": "application/json"}, token=token
        )
        assert status == 400

    @pytest.mark.parametrize("payload", [b'{"title":"\xc3\x28"}', b'{"title":"\\ud800"}'])
    def test_invalid_utf8_and_lone_surrogates_are_400(self, stack, payload):
        token = register(stack)["access_token"]
        status, _, _ = stack.request(
            "POST", "/api/v1/videos", payload, {"Content-Type": "application/json"}, token=token
        )
        assert status == 400

    @pytest.mark.parametrize("query", ["limit=-1", "limit=0", "limit=1000000000", "limit=abc", "offset=-5",
                                       "offset=1000000000000", "nope=1"])
    def test_pagination_abuse_is_400(self, stack, query):
        status, headers, body = stack.request("GET", f"/api/v1/videos?{query}")
        assert_problem(status, headers, body, 400, "INVALID_ARGUMENT")

    @pytest.mark.parametrize(
        "path",
        ["/api/v1/videos/..%2F..%2Fadmin", "/api/v1/videos/%2e%2e", "/api/v1/videos/' OR '1'='1",
         "/api/v1/videos/abc;jsessionid=1", "/api/v1//videos", "/api/v1/" + "a" * 5000],
    )
    def test_path_tricks_are_4xx(self, stack, path):
        status, _, _ = stack.request("GET", path.replace(" ", "%20").replace("'", "%27"))
        assert status in (400, 404, 414)

    def test_unknown_route_is_404_and_wrong_method_405(self, stack):
        status, headers, body = stack.request("GET", "/api/v1/nothing")
        assert_problem(status, headers, body, 404, "NOT_FOUND")
        status, headers, _ = stack.request("PUT", "/api/v1/videos")
        assert status == 405 and "GET" in headers["allow"] and "POST" in headers["allow"]


class TestHeaders:
    """RELIABILITY.md case 10, and request ids."""

    def test_identity_headers_from_outside_are_ignored(self, stack):
        forged = {"x-halo-user-id": str(uuid.uuid4()), "x-halo-admin": "true"}
        status, headers, body = stack.request("POST", "/api/v1/videos", {"title": "forged"}, forged)
        assert_problem(status, headers, body, 401, "UNAUTHENTICATED")

    def test_underscore_header_names_are_refused(self, stack):
        status, _, _ = stack.request("GET", "/api/v1/videos", headers={"x_user_id": "1"})
        assert status == 400

    def test_request_ids_are_echoed_when_sane(self, stack):
        _, headers, _ = stack.request("GET", "/api/v1/videos", headers={"X-Request-Id": "trace-42"})
        assert headers["x-request-id"] == "trace-42"
        _, headers, _ = stack.request("GET", "/api/v1/videos", headers={"X-Request-Id": "bad id!"})
        assert headers["x-request-id"] not in ("bad id!", "")


def signed(claims, key, kid="k1", alg="EdDSA", typ="at+jwt"):
    return jwt.encode(claims, key, algorithm=alg, headers={"kid": kid, "typ": typ})


class TestAuthentication:
    """RELIABILITY.md cases 13-17: 401 with WWW-Authenticate, never 500, no backend call."""

    def me(self, stack, headers):
        status, answer_headers, body = stack.request("GET", "/api/v1/auth/me", headers=headers)
        assert_problem(status, answer_headers, body, 401, "UNAUTHENTICATED")
        assert answer_headers["www-authenticate"].startswith("Bearer")
        return body

    @pytest.mark.parametrize(
        "authorization",
        ["", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer abc", "Bearer a.b", "Bearer ###.###.###",
         "Bearer " + "a" * 20_000],
    )
    def test_missing_or_malformed_authorization(self, stack, authorization):
        self.me(stack, {"Authorization": authorization} if authorization else {})

    def test_a_100kb_authorization_header_is_431_before_any_parsing(self, stack):
        status, headers, _ = stack.request("GET", "/api/v1/auth/me", headers={"Authorization": "Bearer " + "a" * 100_000})
        assert status == 431 and headers["connection"] == "close"

    def test_token_in_the_query_string_is_refused(self, stack):
        token = register(stack)["access_token"]
        status, _, _ = stack.request("GET", f"/api/v1/auth/me?access_token={token}")
        assert status == 401
        status, _, _ = stack.request("GET", f"/api/v1/videos?access_token={token}")
        assert status == 401

    def test_two_authorization_headers(self, stack):
        token = register(stack)["access_token"]
        connection = stack.connection()
        connection.putrequest("GET", "/api/v1/auth/me")
        connection.putheader("Authorization", f"Bearer {token}")
        connection.putheader("Authorization", f"Bearer {token}")
        connection.endheaders()
        response = connection.getresponse()
        response.read()
        connection.close()
        assert response.status == 401

    @pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
    def test_alg_none(self, stack, alg):
        account = register(stack)
        header = base64.urlsafe_b64encode(json.dumps({"alg": alg, "typ": "at+jwt", "kid": "x"}).encode()).rstrip(b"=")
        payload = base64.urlsafe_b64encode(
            json.dumps({"sub": account["user"]["id"], "iss": "halo-auth", "aud": "halo", "exp": int(time.time()) + 600}).encode()
        ).rstrip(b"=")
        self.me(stack, {"Authorization": f"Bearer {header.decode()}.{payload.decode()}."})

    def test_a_modified_payload_with_the_original_signature(self, stack):
        token = register(stack)["access_token"]
        header, payload, signature = token.split(".")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        claims["admin"] = True
        forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        self.me(stack, {"Authorization": f"Bearer {header}.{forged}.{signature}"})

    def test_a_token_signed_by_an_unknown_key(self, stack):
        account = register(stack)
        claims = {"sub": account["user"]["id"], "iss": "halo-auth", "aud": "halo", "exp": int(time.time()) + 600}
        token = signed(claims, Ed25519PrivateKey.generate(), kid="../../dev/null")
        self.me(stack, {"Authorization": f"Bearer {token}"})

    def test_refresh_token_is_not_an_access_token(self, stack):
        account = register(stack)
        self.me(stack, {"Authorization": f"Bearer {account['refresh_token']}"})


class TestUpstreamFaults:
    """An upstream that is down answers 503 fast with Retry-After; its recovery is seen."""

    def test_engagement_down_then_back(self, stack):
        account = register(stack)
        token = account["access_token"]
        video = create_video(stack, token)
        stack.stop_process("engagement", sig="kill")
        try:
            started = time.monotonic()
            status, headers, body = stack.request(
                "POST", f"/api/v1/videos/{video['id']}/engagement/likes", {}, token=token
            )
            assert_problem(status, headers, body, 503, "UNAVAILABLE")
            assert "retry-after" in headers
            assert time.monotonic() - started < 5
            # Video reads do not depend on engagement: its member is null, and a Warning says so.
            status, headers, fetched = stack.request("GET", f"/api/v1/videos/{video['id']}")
            assert status == 200 and fetched["engagement"] is None and "engagement" in headers["warning"]
            status, headers, page = stack.request("GET", f"/api/v1/users/{account['user']['id']}/videos")
            assert status == 200 and page["videos"][0]["engagement"] is None and "warning" in headers
        finally:
            stack.start_service("engagement")
        deadline = time.monotonic() + 20
        while True:
            status, _, body = stack.request(
                "POST", f"/api/v1/videos/{video['id']}/engagement/likes", {}, token=token
            )
            if status == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert status == 200, body


class TestOperations:
    """The admin listener, readiness and reload."""

    def admin(self, stack, method, path):
        import http.client

        connection = http.client.HTTPConnection("127.0.0.1", stack.ports["admin"], timeout=10)
        connection.request(method, path)
        response = connection.getresponse()
        body = response.read()
        connection.close()
        return response.status, body

    def test_health_and_ready(self, stack):
        assert stack.request("GET", "/health")[0] == 200
        assert stack.request("GET", "/ready")[0] == 200

    def test_openapi_is_served_valid_with_the_configured_auth(self, stack):
        from openapi_spec_validator import validate

        status, headers, spec = stack.request("GET", "/openapi.json")
        assert status == 200 and headers["content-type"] == "application/json"
        validate(spec)
        # The gateway's own policy: required, optional (a token or none), none.
        assert spec["paths"]["/api/v1/videos"]["post"]["security"] == [{"bearer": []}]
        assert spec["paths"]["/api/v1/videos"]["get"]["security"] == [{"bearer": []}, {}]
        assert spec["paths"]["/api/v1/auth/login"]["post"]["security"] == []

    def test_metrics_count_requests_by_route_and_status(self, stack):
        stack.request("GET", "/api/v1/videos?limit=1")
        stack.request("GET", "/api/v1/nothing")
        status, body = self.admin(stack, "GET", "/metrics")
        text = body.decode()
        assert status == 200
        assert 'http_server_requests{route="halo.video.v1.VideoService.ListVideos",status="200"}' in text
        assert 'http_server_requests{route="-",status="404"}' in text
        assert "http_server_request_duration_bucket" in text

    def test_metrics_gauge_open_connections(self, stack):
        import re

        def open_connections():
            text = self.admin(stack, "GET", "/metrics")[1].decode()
            match = re.search(r'^http_server_open_connections\{listener="rest"\} (\S+)$', text, re.MULTILINE)
            assert match, text
            return float(match.group(1))

        before = open_connections()
        held = [stack.connection() for _ in range(3)]
        for connection in held:
            stack.request("GET", "/health", connection=connection)
        assert open_connections() == before + 3
        for connection in held:
            connection.close()
        deadline = time.monotonic() + 5
        while open_connections() != before and time.monotonic() < deadline:
            time.sleep(0.05)
        assert open_connections() == before

    def test_routes_clusters_and_config(self, stack):
        status, body = self.admin(stack, "GET", "/admin/routes")
        routes = json.loads(body)["routes"]
        assert status == 200
        assert {"http_method": "POST", "path": "/api/v1/videos", "grpc_method": "halo.video.v1.VideoService.CreateVideo",
                "cluster": "video", "auth": "required", "status": 201, "timeout_ms": 5000,
                "idempotent": False} in routes
        status, body = self.admin(stack, "GET", "/admin/clusters")
        clusters = {cluster["name"]: cluster for cluster in json.loads(body)["clusters"]}
        assert status == 200 and clusters["video"]["usable"] is True
        status, body = self.admin(stack, "GET", "/admin/config")
        config = json.loads(body)
        assert status == 200 and config["services"]["halo.video.v1.VideoService"] == "video"
        # The tuning in force, defaults included: the bundled file sets none of it.
        video = config["cluster_settings"]["video"]
        assert video["load_balancing"] == "round_robin" and video["idle_timeout_ms"] is None
        assert video["circuit_breaker"]["minimum_calls"] == 20 and video["circuit_breaker"]["open_duration_ms"] == 30000
        assert video["outlier_detection"]["consecutive_faults"] == 5
        assert video["retry"] == {
            "max_attempts": 3, "initial_backoff_ms": 25, "max_backoff_ms": 250, "backoff_multiplier": 2.0,
            "retryable_codes": ["UNAVAILABLE"], "budget_share": 0.2, "min_retry_concurrency": 3}

    def test_reload_keeps_serving(self, stack):
        status, body = self.admin(stack, "POST", "/admin/reload")
        assert status == 200, body
        assert json.loads(body)["status"] == "reloaded"
        assert stack.request("GET", "/api/v1/videos?limit=1")[0] == 200
