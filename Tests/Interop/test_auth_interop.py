"""Python's grpcio as the client of `halo-auth` (a real process): Register and Login, their errors and
trailing metadata, and the access token checked by PyJWT against GetJWKS.

Stubs are generated at test time with grpcio-tools from protos/. The binary is `.build/debug/halo-auth`
under the repo root, or $HALO_AUTH_BINARY; a missing binary fails the suite, it is never skipped.
The service runs on a free port with a temporary data directory (SQLite), configured through its
environment variables as in production.
"""

import importlib
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import grpc
import pytest

REPO = Path(__file__).resolve().parents[2]
PROTOS = REPO / "protos"
SERVICE = "halo.auth.v1.AuthService"
STARTUP_TIMEOUT_S = 30
ISSUER = "https://auth.halo.interop"
AUDIENCE = "halo-interop"


def auth_binary():
    override = os.environ.get("HALO_AUTH_BINARY")
    return Path(override) if override else REPO / ".build" / "debug" / "halo-auth"


@pytest.fixture(scope="module")
def auth_stubs(tmp_path_factory):
    """halo.auth.v1 messages and stubs, generated with grpcio-tools from protos/; grpc.health.v1 from
    grpcio-health-checking (its `grpc` package name is grpcio's own, so it cannot be generated here)."""
    import grpc_tools
    from grpc_tools import protoc

    out = tmp_path_factory.mktemp("auth-stubs")
    well_known = Path(grpc_tools.__file__).parent / "_proto"
    sources = ["google/api/http.proto", "google/api/annotations.proto", "halo/auth/v1/auth.proto"]
    rc = protoc.main(
        ["grpc_tools.protoc", f"-I{PROTOS}", f"-I{well_known}", f"--python_out={out}", f"--grpc_python_out={out}"]
        + [str(PROTOS / source) for source in sources]
    )
    assert rc == 0, "grpc_tools.protoc failed on the auth protos"
    sys.path.insert(0, str(out))
    return SimpleNamespace(
        pb2=importlib.import_module("halo.auth.v1.auth_pb2"),
        pb2_grpc=importlib.import_module("halo.auth.v1.auth_pb2_grpc"),
        health_pb2=importlib.import_module("grpc_health.v1.health_pb2"),
        health_pb2_grpc=importlib.import_module("grpc_health.v1.health_pb2_grpc"),
    )


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AuthProcess:
    """`halo-auth` as a child process on a free port with its own data directory."""

    def __init__(self, binary, data_dir, log_path):
        self.data_dir = data_dir
        self.log_path = log_path
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HALO_AUTH_HOST": "127.0.0.1",
            "HALO_AUTH_PORT": str(self.port),
            "HALO_DATA_DIR": str(data_dir),
            "HALO_AUTH_ISSUER": ISSUER,
            "HALO_AUTH_AUDIENCE": AUDIENCE,
            "HALO_LOG_LEVEL": "info",
        }
        self._log = open(log_path, "wb")
        self.proc = subprocess.Popen(
            [str(binary)], env=env, stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log
        )

    def wait_until_serving(self, health_pb2, health_pb2_grpc):
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"halo-auth exited with {self.proc.returncode}\n{self.log_tail()}", pytrace=False)
            try:
                with grpc.insecure_channel(self.address) as channel:
                    stub = health_pb2_grpc.HealthStub(channel)
                    response = stub.Check(health_pb2.HealthCheckRequest(service=SERVICE), timeout=1)
                    if response.status == health_pb2.HealthCheckResponse.SERVING:
                        return
            except grpc.RpcError:
                pass
            time.sleep(0.1)
        self.kill()
        pytest.fail(f"halo-auth not SERVING within {STARTUP_TIMEOUT_S} s\n{self.log_tail()}", pytrace=False)

    def log_tail(self, lines=40):
        if not self._log.closed:
            self._log.flush()
        text = Path(self.log_path).read_text(errors="replace").splitlines()
        return "--- halo-auth log (tail) ---\n" + "\n".join(text[-lines:])

    def terminate(self, timeout=15):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"halo-auth did not exit within {timeout} s of SIGTERM\n{self.log_tail()}", pytrace=False)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._log.close()


@pytest.fixture(scope="module")
def auth_server(auth_stubs, tmp_path_factory):
    binary = auth_binary()
    if not (binary.is_file() and os.access(binary, os.X_OK)):
        pytest.fail(
            f"{binary} is missing: build it with `swift build --product halo-auth` or point HALO_AUTH_BINARY at it",
            pytrace=False,
        )
    base = tmp_path_factory.mktemp("halo-auth")
    server = AuthProcess(binary, base / "data", base / "halo-auth.log")
    server.wait_until_serving(auth_stubs.health_pb2, auth_stubs.health_pb2_grpc)
    yield server
    died = server.proc.poll() is not None
    code = server.terminate()
    server.kill()
    assert not died, f"halo-auth died during the suite (exit {code})\n{server.log_tail()}"
    assert code == 0, f"halo-auth exited {code} on SIGTERM\n{server.log_tail()}"


@pytest.fixture(scope="module")
def auth(auth_server, auth_stubs):
    with grpc.insecure_channel(auth_server.address) as channel:
        grpc.channel_ready_future(channel).result(timeout=5)
        yield auth_stubs.pb2_grpc.AuthServiceStub(channel)


def register(auth, pb2, email, username, password="correct horse battery", **extra):
    return auth.Register(pb2.RegisterRequest(email=email, username=username, password=password, **extra), timeout=10)


def login(auth, pb2, email, password):
    return auth.Login(pb2.LoginRequest(email=email, password=password), timeout=10)


def rpc_error(call):
    with pytest.raises(grpc.RpcError) as failure:
        call()
    return failure.value


def test_register_returns_user_and_tokens(auth, auth_stubs):
    pb2 = auth_stubs.pb2
    response = register(auth, pb2, "Grace@Example.com", "grace", display_name="Grace Hopper", birth_date="1906-12-09")
    assert response.user.email == "grace@example.com"
    assert response.user.username == "grace"
    assert response.user.display_name == "Grace Hopper"
    assert response.user.birth_date == "1906-12-09"
    assert response.user.is_adult and not response.user.adult_mode and not response.user.is_admin
    assert response.user.created_at.seconds > 0
    assert response.token_type == "Bearer"
    assert response.expires_in == 900
    assert len(response.refresh_token) == 43


def test_access_token_verifies_with_pyjwt_against_jwks(auth, auth_stubs):
    import jwt

    pb2 = auth_stubs.pb2
    response = register(auth, pb2, "ada@example.com", "ada_l")
    jwks = auth.GetJWKS(pb2.GetJWKSRequest(), timeout=5)
    assert len(jwks.keys) >= 1
    header = jwt.get_unverified_header(response.access_token)
    assert header["alg"] == "EdDSA" and header["typ"] == "at+jwt"
    (key,) = [k for k in jwks.keys if k.kid == header["kid"]]
    public_key = jwt.PyJWK(
        {"kty": key.kty, "crv": key.crv, "x": key.x, "kid": key.kid, "alg": key.alg, "use": key.use}
    )
    claims = jwt.decode(
        response.access_token, public_key, algorithms=["EdDSA"], audience=AUDIENCE, issuer=ISSUER,
        options={"require": ["exp", "iat", "iss", "aud", "sub", "jti"]},
    )
    assert claims["sub"] == response.user.id
    assert claims["exp"] - claims["iat"] == 900
    assert claims["adult"] is False and claims["admin"] is False


def test_register_errors(auth, auth_stubs):
    pb2 = auth_stubs.pb2
    register(auth, pb2, "linus@example.com", "linus")
    taken = rpc_error(lambda: register(auth, pb2, "LINUS@example.com", "other_name"))
    assert taken.code() == grpc.StatusCode.ALREADY_EXISTS
    assert taken.details() == "email is already registered"
    taken = rpc_error(lambda: register(auth, pb2, "other@example.com", "LiNuS"))
    assert taken.code() == grpc.StatusCode.ALREADY_EXISTS
    assert taken.details() == "username is already taken"
    short = rpc_error(lambda: register(auth, pb2, "short@example.com", "shorty", password="1234567"))
    assert short.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert short.details() == "password must be at least 8 characters"
    future = rpc_error(lambda: register(auth, pb2, "f@example.com", "future", birth_date="2999-01-01"))
    assert future.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_login_and_identical_failures(auth, auth_stubs):
    pb2 = auth_stubs.pb2
    registered = register(auth, pb2, "barbara@example.com", "barbara", password="crème brûlée")
    # The NFD spelling of the same password logs in too.
    nfd = "cre\u0300me bru\u0302le\u0301e"
    session = login(auth, pb2, "Barbara@Example.com", nfd)
    assert session.user.id == registered.user.id
    assert session.refresh_token != registered.refresh_token
    wrong = rpc_error(lambda: login(auth, pb2, "barbara@example.com", "wrong password"))
    unknown = rpc_error(lambda: login(auth, pb2, "nobody@example.com", "wrong password"))
    assert wrong.code() == unknown.code() == grpc.StatusCode.UNAUTHENTICATED
    assert wrong.details() == unknown.details() == "invalid email or password"
    assert dict(wrong.trailing_metadata()) == dict(unknown.trailing_metadata())


def test_lockout_with_retry_after(auth, auth_stubs):
    pb2 = auth_stubs.pb2
    register(auth, pb2, "edsger@example.com", "edsger")
    for _ in range(5):
        failure = rpc_error(lambda: login(auth, pb2, "edsger@example.com", "not it at all"))
        assert failure.code() == grpc.StatusCode.UNAUTHENTICATED
    locked = rpc_error(lambda: login(auth, pb2, "edsger@example.com", "correct horse battery"))
    assert locked.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    retry_after = dict(locked.trailing_metadata())["retry-after"]
    assert 890 <= int(retry_after) <= 900
    assert locked.details() == f"too many failed logins; try again in {retry_after} seconds"


def test_refresh_and_logout(auth, auth_stubs):
    pb2 = auth_stubs.pb2
    registered = register(auth, pb2, "ken@example.com", "ken")
    rotated = auth.Refresh(pb2.RefreshRequest(refresh_token=registered.refresh_token), timeout=5)
    assert rotated.refresh_token != registered.refresh_token
    reuse = rpc_error(lambda: auth.Refresh(pb2.RefreshRequest(refresh_token=registered.refresh_token), timeout=5))
    assert reuse.code() == grpc.StatusCode.UNAUTHENTICATED
    revoked = rpc_error(lambda: auth.Refresh(pb2.RefreshRequest(refresh_token=rotated.refresh_token), timeout=5))
    assert revoked.code() == grpc.StatusCode.UNAUTHENTICATED
    auth.Logout(pb2.LogoutRequest(refresh_token=rotated.refresh_token), timeout=5)


def test_profile_uses_identity_metadata(auth, auth_stubs):
    pb2 = auth_stubs.pb2
    registered = register(auth, pb2, "dennis@example.com", "dennis", birth_date="1941-09-09")
    identity = (("x-halo-user-id", registered.user.id),)
    assert auth.GetUser(pb2.GetUserRequest(), metadata=identity, timeout=5).username == "dennis"
    updated = auth.UpdateProfile(pb2.UpdateProfileRequest(adult_mode=True), metadata=identity, timeout=5)
    assert updated.adult_mode and updated.is_adult
    anonymous = rpc_error(lambda: auth.GetUser(pb2.GetUserRequest(), timeout=5))
    assert anonymous.code() == grpc.StatusCode.UNAUTHENTICATED


def test_signing_key_file_is_private(auth_server, auth):
    key_file = Path(auth_server.data_dir) / "auth-signing-key"
    assert key_file.is_file()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
