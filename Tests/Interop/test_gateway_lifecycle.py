"""The gateway's life as an operator sees it, through real processes: SIGHUP reloads a changed
configuration file and refuses a broken one, SIGTERM drains requests in flight, and a rotated
auth signing key is picked up from the JWKS while the old key's tokens keep working."""

import http.client
import json
import signal
import socket
import subprocess
import threading
import time
import uuid

import pytest

from gateway_stack import REPO, cluster_connected, free_port, freeze, started, wait_for_port

BUNDLED_CONFIG = REPO / "Sources" / "Gateway" / "halo-gateway.yaml"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    yield from started(tmp_path_factory.mktemp("lifecycle"))


class ExtraGateway:
    """A second halo-gateway in front of the stack's services, on its own ports, optionally with
    a configuration file; the test may signal it."""

    def __init__(self, stack, workdir, config=None):
        self.stack = stack
        self.port = free_port()
        self.admin_port = free_port()
        env = stack.environment()
        env["HALO_GATEWAY_LISTEN"] = f"127.0.0.1:{self.port}"
        env["HALO_GATEWAY_ADMIN"] = f"127.0.0.1:{self.admin_port}"
        command = [str(stack.bin / "halo-gateway")]
        if config is not None:
            command += ["--config", str(config)]
        self.log_path = workdir / f"gateway-{self.port}.log"
        self.log = open(self.log_path, "ab")
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        wait_for_port(self.port, self.process)
        # The gateway binds admin before REST, so this holds at once; it guards the order.
        wait_for_port(self.admin_port, self.process, timeout=1)
        deadline = time.monotonic() + 30
        while self.request("GET", "/ready")[0] != 200:
            assert time.monotonic() < deadline, "the extra gateway never became ready"
            time.sleep(0.1)

    def request(self, method, path, body=None, headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            connection.close()

    def video_cluster(self):
        """The video cluster as /admin/clusters shows it."""
        connection = http.client.HTTPConnection("127.0.0.1", self.admin_port, timeout=10)
        try:
            connection.request("GET", "/admin/clusters")
            clusters = json.loads(connection.getresponse().read())["clusters"]
        finally:
            connection.close()
        return next(cluster for cluster in clusters if cluster["name"] == "video")

    def video_calls_in_flight(self):
        return sum(loop["active"] for loop in self.video_cluster()["loops"])

    def log_tail(self, lines=20):
        self.log.flush()
        return b"\n".join(self.log_path.read_bytes().splitlines()[-lines:]).decode(errors="replace")

    def stop(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.log.close()


def wait_until(predicate, timeout=10, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


class TestReloadOnSIGHUP:
    def test_a_changed_file_is_applied_and_a_broken_one_refused(self, stack, tmp_path):
        config = tmp_path / "gateway.yaml"
        original = BUNDLED_CONFIG.read_text()
        config.write_text(original)
        gateway = ExtraGateway(stack, tmp_path, config)
        try:
            # Listing videos needs no token under the bundled policy.
            assert gateway.request("GET", "/api/v1/videos?limit=1")[0] == 200

            # The operator makes the route require a token and sends SIGHUP.
            config.write_text(
                original.replace(
                    "routes:\n", "routes:\n  halo.video.v1.VideoService.ListVideos: {auth: required}\n", 1
                )
            )
            gateway.process.send_signal(signal.SIGHUP)
            assert wait_until(lambda: gateway.request("GET", "/api/v1/videos?limit=1")[0] == 401)

            # A broken file is refused: the last good configuration keeps serving, the process lives.
            config.write_text("listen: [this is not a listener\n")
            gateway.process.send_signal(signal.SIGHUP)
            time.sleep(0.5)
            assert gateway.process.poll() is None
            assert gateway.request("GET", "/api/v1/videos?limit=1")[0] == 401
            assert gateway.request("GET", "/health")[0] == 200

            # A key the gateway does not know is refused the same way, naming the key in the log.
            config.write_text(original + "\nno_such_key: 1\n")
            gateway.process.send_signal(signal.SIGHUP)
            assert wait_until(lambda: b"no_such_key" in (tmp_path / f"gateway-{gateway.port}.log").read_bytes())
            assert gateway.request("GET", "/api/v1/videos?limit=1")[0] == 401

            # A different number of event loops needs a restart: refused, naming the key.
            config.write_text(original + "\nevent_loops: 7\n")
            gateway.process.send_signal(signal.SIGHUP)
            assert wait_until(
                lambda: b"a changed number of event loops needs a restart"
                in (tmp_path / f"gateway-{gateway.port}.log").read_bytes()
            )
            assert gateway.request("GET", "/api/v1/videos?limit=1")[0] == 401
        finally:
            gateway.stop()


class TestDrainOnSIGTERM:
    def test_requests_in_flight_finish_and_new_connections_are_refused(self, stack, tmp_path):
        gateway = ExtraGateway(stack, tmp_path)
        video = stack.processes["video"]
        results = {}

        def slow_request():
            results["answer"] = gateway.request("GET", "/api/v1/videos?limit=1")

        assert wait_until(lambda: cluster_connected(gateway.admin_port, "video"))
        try:
            # Freeze the video service so a request is in flight when SIGTERM arrives.
            freeze(video)
            client = threading.Thread(target=slow_request)
            client.start()
            # SIGTERM once the request is waiting on the video service, not before.
            assert wait_until(lambda: gateway.video_calls_in_flight() >= 1), (
                results, gateway.video_cluster(), gateway.log_tail())
            gateway.process.send_signal(signal.SIGTERM)
            time.sleep(0.3)
            # Not accepting any more, still draining.
            assert gateway.process.poll() is None
            with pytest.raises(OSError):
                socket.create_connection(("127.0.0.1", gateway.port), timeout=1).close()
            video.send_signal(signal.SIGCONT)
            client.join(timeout=10)
            status, headers, _ = results["answer"]
            assert status == 200
            assert headers.get("connection") == "close"
            assert gateway.process.wait(timeout=10) == 0
        finally:
            video.send_signal(signal.SIGCONT)
            gateway.stop()

    def test_the_drain_ends_at_its_timeout(self, stack, tmp_path):
        config = tmp_path / "gateway.yaml"
        config.write_text(BUNDLED_CONFIG.read_text().replace("drain_timeout: 10s", "drain_timeout: 1s"))
        gateway = ExtraGateway(stack, tmp_path, config)
        video = stack.processes["video"]
        # Connected to the video service on every loop before it freezes: a connection still
        # being set up would hold the request as pending (not in flight), then fail it.
        assert wait_until(lambda: cluster_connected(gateway.admin_port, "video"))
        try:
            freeze(video)
            outcome = {}

            def abandoned_request():
                try:
                    outcome["answer"] = gateway.request("GET", "/api/v1/videos?limit=1")
                except (http.client.HTTPException, OSError) as error:
                    outcome["error"] = error

            client = threading.Thread(target=abandoned_request, daemon=True)
            client.start()
            assert wait_until(lambda: gateway.video_calls_in_flight() >= 1), (
                outcome, gateway.video_cluster(), gateway.log_tail())
            started = time.monotonic()
            gateway.process.send_signal(signal.SIGTERM)
            assert gateway.process.wait(timeout=10) == 0
            assert time.monotonic() - started < 3
            # The request still waiting was cut off with its connection, not answered late.
            client.join(timeout=5)
            assert "error" in outcome, outcome
        finally:
            video.send_signal(signal.SIGCONT)
            gateway.stop()


class TestSigningKeyRotation:
    def test_a_new_key_is_fetched_and_the_old_keys_tokens_still_work(self, stack):
        name = uuid.uuid4().hex[:12]
        credentials = {"email": f"{name}@example.com", "password": "correct horse battery"}
        status, _, account = stack.request(
            "POST", "/api/v1/auth/register", dict(credentials, username=f"u{name}")
        )
        assert status == 201, account
        old_token = account["access_token"]
        assert stack.request("GET", "/api/v1/auth/me", token=old_token)[0] == 200

        # The operator rotates the key: the auth service restarts signing with a new one and
        # publishes both; the gateway has only the old one cached.
        stack.stop_process("auth")
        subprocess.run(
            [str(stack.bin / "halo-auth"), "rotate-signing-key"], env=stack.environment(), check=True,
            capture_output=True,
        )
        stack.start_service("auth")

        # The gateway reconnects to the restarted service with backoff.
        answers = []
        assert wait_until(lambda: answers.append(stack.request("POST", "/api/v1/auth/login", credentials))
                          or answers[-1][0] == 200, timeout=15), answers[-1]
        new_token = answers[-1][2]["access_token"]
        # Each event loop reconnects on its own backoff and checks health again; a loop still
        # waiting answers 503 (no healthy endpoint), which is not what this test is about.
        assert wait_until(lambda: stack.cluster_connected("auth"), timeout=15)
        assert new_token.split(".")[0] != old_token.split(".")[0], "the header names another key"
        # The unknown kid makes the gateway fetch the JWKS (at most once per refetch_interval, 10 s
        # in the bundled configuration, per event loop), then accept the token. Until then the
        # answer is 401 naming the unknown key, never anything else.
        answers = []
        assert wait_until(lambda: answers.append(stack.request("GET", "/api/v1/auth/me", token=new_token))
                          or answers[-1][0] == 200, timeout=25, interval=0.5), answers[-1]
        for status, _, body in answers[:-1]:
            assert status == 401 and "key id is not known" in body["detail"], body
        answer = stack.request("GET", "/api/v1/auth/me", token=old_token)
        assert answer[0] == 200, (answer, stack.log_tail("gateway"))

    def test_a_jwks_outage_keeps_known_keys_serving(self, stack):
        name = uuid.uuid4().hex[:12]
        status, _, account = stack.request(
            "POST", "/api/v1/auth/register",
            {"email": f"{name}@example.com", "username": f"u{name}", "password": "correct horse battery"},
        )
        assert status == 201
        token = account["access_token"]
        stack.stop_process("auth", sig="kill")
        try:
            # Creating a video needs a verified token but not the auth service.
            status, _, body = stack.request(
                "POST", "/api/v1/videos", {"title": "still verified", "stream_url": "https://cdn.example.com/a.m3u8"},
                token=token,
            )
            assert status == 201, body
        finally:
            stack.start_service("auth")


class TestUpstreamResilience:
    """The upstream layer as a REST client sees it, with the cluster keys of the configuration: a
    backend that stops answering costs each request its route budget (504), and once the
    cluster's breaker has seen enough of that it answers 503 at once, without a backend call,
    until a probe after `open_duration` finds the backend well again."""

    @staticmethod
    def config(tmp_path, video_cluster, route_timeout):
        text = BUNDLED_CONFIG.read_text()
        for old, new in (
            ('video: {endpoints: ["127.0.0.1:50052"]}', video_cluster),
            ("timeout: 5s}", f"timeout: {route_timeout}}}"),
        ):
            assert old in text, old
            text = text.replace(old, new)
        # One event loop: one breaker for the cluster, so the count below is exact.
        path = tmp_path / "gateway.yaml"
        path.write_text("event_loops: 1\n" + text)
        return path

    def problem(self, answer, status, code):
        got, headers, body = answer
        assert got == status, (got, body)
        problem = json.loads(body)
        assert headers["content-type"] == "application/problem+json" and problem["code"] == code, problem
        return headers, problem

    def test_a_frozen_backend_costs_the_route_budget_then_the_breaker_answers_at_once(self, stack, tmp_path):
        video_cluster = (
            'video: {endpoints: ["127.0.0.1:50052"], health_check: false, retry: {max_attempts: 1},'
            " circuit_breaker: {window: 4, minimum_calls: 4, open_duration: 2s, half_open_probes: 1}}"
        )
        gateway = ExtraGateway(stack, tmp_path, self.config(tmp_path, video_cluster, "700ms"))
        video = stack.processes["video"]
        assert wait_until(lambda: cluster_connected(gateway.admin_port, "video"))
        try:
            freeze(video)
            for _ in range(4):
                started = time.monotonic()
                self.problem(gateway.request("GET", "/api/v1/videos/1"), 504, "DEADLINE_EXCEEDED")
                elapsed = time.monotonic() - started
                # At the budget (700 ms), not before it and not long after.
                assert 0.6 < elapsed < 3, elapsed
            # Four server faults in a window of four: open.
            started = time.monotonic()
            headers, _ = self.problem(gateway.request("GET", "/api/v1/videos/1"), 503, "UNAVAILABLE")
            assert time.monotonic() - started < 0.5
            assert 1 <= int(headers["retry-after"]) <= 2
            assert [loop["breaker"] for loop in gateway.video_cluster()["loops"]] == ["open"]
            assert gateway.video_calls_in_flight() == 0, "the rejected request never went upstream"
        finally:
            video.send_signal(signal.SIGCONT)
        try:
            # After open_duration one probe goes through; the backend answers it, and the breaker closes.
            def answered():
                status, _, _ = gateway.request("GET", "/api/v1/videos?limit=1")
                return status == 200

            assert wait_until(answered, timeout=15, interval=0.2), gateway.log_tail()
            assert [loop["breaker"] for loop in gateway.video_cluster()["loops"]] == ["closed"]
        finally:
            gateway.stop()
