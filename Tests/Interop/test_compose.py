"""docker-compose.yml: each service owns its storage (DESIGN.md §1, §3).

Auth and video each get their own PostgreSQL database and role, created by the init script the
postgres container runs on its first start; neither role can reach the other's database, and no
service connects as the superuser. The compose file is read with PyYAML and its `${VAR:-default}`
values resolved as compose resolves them with nothing set; the init script is then run for real
against a private PostgreSQL cluster (the server binaries `scripts/setup` installs) and the roles
are tried against each other's databases.
"""

import os
import pathlib
import re
import shutil
import socket
import subprocess
import tempfile
import time
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
INIT_TARGET = "/docker-entrypoint-initdb.d"
SQL_SERVICES = {"auth": "HALO_AUTH_DATABASE_URL", "video": "HALO_VIDEO_DATABASE_URL"}

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}")


def resolve(value, environment=None):
    """A compose value with `${NAME:-default}` / `${NAME-default}` / `${NAME}` resolved against
    `environment` (nothing set by default), as `docker compose config` would."""
    environment = environment or {}

    def substitute(match):
        name, default = match.group(1), match.group(2)
        if name in environment:
            return environment[name]
        if default is None:
            raise AssertionError(f"{name} has no default in docker-compose.yml")
        return default

    return _VARIABLE.sub(substitute, str(value))


def environment_of(service):
    """A service's environment as a dict (compose accepts a mapping or a list of NAME=value)."""
    raw = service.get("environment", {})
    if isinstance(raw, list):
        return dict(item.split("=", 1) for item in raw)
    return dict(raw)


@pytest.fixture(scope="module")
def compose():
    with COMPOSE.open() as handle:
        return yaml.safe_load(handle)


@pytest.fixture(scope="module")
def init_directory(compose):
    """The host directory the postgres service mounts as its init directory."""
    for volume in compose["services"]["postgres"].get("volumes", []):
        parts = volume.split(":") if isinstance(volume, str) else [volume["source"], volume["target"]]
        if len(parts) >= 2 and parts[1].rstrip("/") == INIT_TARGET:
            assert parts[0].startswith("./"), f"the init scripts come from the repository, got {parts[0]}"
            assert parts[2:] == ["ro"], "the init scripts are mounted read-only"
            return (ROOT / parts[0]).resolve()
    raise AssertionError(f"the postgres service mounts nothing at {INIT_TARGET}")


def database_urls(compose, environment=None):
    urls = {}
    for name, variable in SQL_SERVICES.items():
        value = environment_of(compose["services"][name]).get(variable)
        assert value, f"{name} has no {variable}"
        urls[name] = urlsplit(resolve(value, environment))
    return urls


def test_each_sql_service_has_its_own_database_and_role(compose):
    postgres = environment_of(compose["services"]["postgres"])
    superuser = resolve(postgres.get("POSTGRES_USER", "postgres"))
    urls = database_urls(compose)
    users = {name: url.username for name, url in urls.items()}
    databases = {name: url.path.lstrip("/") for name, url in urls.items()}
    assert len(set(users.values())) == len(users), f"services share a role: {users}"
    assert len(set(databases.values())) == len(databases), f"services share a database: {databases}"
    for name, url in urls.items():
        assert url.scheme in ("postgres", "postgresql")
        assert url.hostname == "postgres" and (url.port or 5432) == 5432
        assert url.username != superuser, f"{name} connects as the superuser"
        assert url.password, f"{name} has no password"
        assert databases[name] not in ("", "postgres", resolve(postgres.get("POSTGRES_DB", superuser)))


def test_no_service_but_postgres_gets_the_superuser_password(compose):
    for name, service in compose["services"].items():
        if name == "postgres":
            continue
        environment = environment_of(service)
        assert "POSTGRES_PASSWORD" not in environment, name
        for value in environment.values():
            assert "HALO_POSTGRES_PASSWORD" not in str(value), name


def test_role_passwords_reach_postgres_and_the_services_alike(compose):
    """Setting a password in the environment changes it on both sides (a different value for each)."""
    chosen = {"HALO_AUTH_DB_PASSWORD": "auth-secret", "HALO_VIDEO_DB_PASSWORD": "video-secret"}
    postgres = environment_of(compose["services"]["postgres"])
    urls = database_urls(compose, chosen)
    for service, variable in (("auth", "HALO_AUTH_DB_PASSWORD"), ("video", "HALO_VIDEO_DB_PASSWORD")):
        assert resolve(postgres[variable], chosen) == chosen[variable]
        assert urls[service].password == chosen[variable]


def test_sql_services_wait_for_an_initialised_postgres(compose):
    for name in SQL_SERVICES:
        depends = compose["services"][name].get("depends_on", {})
        assert depends.get("postgres", {}).get("condition") == "service_healthy", name
    # pg_isready over TCP: the image's first-start server, which runs the init scripts, has no TCP listener.
    test = " ".join(compose["services"]["postgres"]["healthcheck"]["test"])
    assert "pg_isready" in test and "-h 127.0.0.1" in test


def test_init_scripts_exist_and_run_in_the_container(init_directory):
    scripts = sorted(p for p in init_directory.iterdir() if p.suffix in (".sh", ".sql"))
    assert scripts, f"no init script in {init_directory}"
    for script in scripts:
        if script.suffix == ".sh":
            assert os.access(script, os.X_OK) or script.read_text().startswith("#!"), script


# MARK: The init script against a real server


def postgres_bin():
    configured = os.environ.get("HALO_PG_BIN")
    candidates = [pathlib.Path(configured)] if configured else sorted(
        pathlib.Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: [int(x) for x in re.findall(r"\d+", p.parent.name)]
    )
    for candidate in reversed(candidates):
        if (candidate / "initdb").exists():
            return candidate
    raise AssertionError("no PostgreSQL server binaries (scripts/setup installs them; or set HALO_PG_BIN)")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def initialised_cluster(init_directory):
    """A throwaway cluster on a free port, initialised as the postgres image would: the init
    scripts run once, as the superuser, with the compose file's role passwords."""
    binaries = postgres_bin()
    state = pathlib.Path(tempfile.mkdtemp(prefix="halo-compose-"))
    as_postgres = []
    superuser = os.environ.get("USER") or "postgres"
    if os.geteuid() == 0:
        # The server refuses to run as root: run it as the `postgres` user, as scripts/with-test-services does.
        as_postgres = ["runuser", "-u", "postgres", "--"]
        superuser = "postgres"
        state.chmod(0o755)
    data = state / "data"
    data.mkdir()
    if as_postgres:
        shutil.chown(data, "postgres", "postgres")
    port = free_port()
    subprocess.run(
        as_postgres + [str(binaries / "initdb"), "-D", str(data), "-U", superuser, "--auth=trust", "-E", "UTF8"],
        check=True, capture_output=True, cwd=state,
    )
    options = f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        as_postgres + [str(binaries / "pg_ctl"), "-D", str(data), "-l", str(data / "server.log"), "-w", "-t", "30",
                       "-o", options, "start"],
        check=True, capture_output=True, cwd=state,
    )
    try:
        environment = dict(
            os.environ, PGHOST="127.0.0.1", PGPORT=str(port), POSTGRES_USER=superuser, POSTGRES_DB="postgres",
            HALO_AUTH_DB_PASSWORD="auth-secret", HALO_VIDEO_DB_PASSWORD="video-secret",
            PATH=f"{binaries}:{os.environ.get('PATH', '')}",
        )
        for script in sorted(p for p in init_directory.iterdir() if p.suffix in (".sh", ".sql")):
            command = ["sh", str(script)] if script.suffix == ".sh" else ["psql", "-v", "ON_ERROR_STOP=1", "-f", str(script)]
            subprocess.run(command, check=True, capture_output=True, env=environment, cwd=state)
        yield {"port": port, "binaries": binaries, "superuser": superuser}
    finally:
        subprocess.run(
            as_postgres + [str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
            capture_output=True, cwd=state,
        )
        shutil.rmtree(state, ignore_errors=True)


def psql(cluster, user, database, sql):
    deadline = time.monotonic() + 10
    while True:
        result = subprocess.run(
            [str(cluster["binaries"] / "psql"), "-h", "127.0.0.1", "-p", str(cluster["port"]), "-U", user, "-d",
             database, "-v", "ON_ERROR_STOP=1", "--no-psqlrc", "-At", "-c", sql],
            capture_output=True, text=True,
        )
        if "the database system is starting up" not in result.stderr or time.monotonic() > deadline:
            return result
        time.sleep(0.1)


def test_each_role_owns_its_database_and_can_migrate_it(compose, initialised_cluster):
    for service, url in database_urls(compose).items():
        user, database = url.username, url.path.lstrip("/")
        created = psql(initialised_cluster, user, database, "CREATE TABLE probe (id BIGINT PRIMARY KEY); SELECT 1")
        assert created.returncode == 0, f"{service}: {created.stderr}"
        owner = psql(initialised_cluster, initialised_cluster["superuser"], "postgres",
                     f"SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '{database}'")
        assert owner.stdout.strip() == user


def test_no_role_reaches_another_services_database(compose, initialised_cluster):
    urls = database_urls(compose)
    for service, url in urls.items():
        for other, other_url in urls.items():
            if other == service:
                continue
            denied = psql(initialised_cluster, url.username, other_url.path.lstrip("/"), "SELECT 1")
            assert denied.returncode != 0, f"{service}'s role reached {other}'s database"
            assert "permission denied" in denied.stderr, denied.stderr


def test_service_roles_are_not_privileged(compose, initialised_cluster):
    for service, url in database_urls(compose).items():
        flags = psql(initialised_cluster, initialised_cluster["superuser"], "postgres",
                     f"SELECT rolsuper, rolcreatedb, rolcreaterole, rolpassword IS NOT NULL "
                     f"FROM pg_authid WHERE rolname = '{url.username}'")
        assert flags.stdout.strip() == "f|f|f|t", f"{service}: {flags.stdout} {flags.stderr}"
