#!/bin/sh
# Each Halo service owns its storage: one database and one role per service, and no role can
# connect to another service's database. The postgres image runs this once, as its superuser, when
# it initialises an empty data directory (/docker-entrypoint-initdb.d); docker-compose.yml mounts it
# there and passes the roles' passwords in HALO_AUTH_DB_PASSWORD and HALO_VIDEO_DB_PASSWORD.
#
# Each role owns its database (and, from PostgreSQL 15 on, thereby its public schema), so its
# migrations can create tables there; it is neither superuser nor allowed to create roles or
# databases. CONNECT is revoked from PUBLIC, so only the owner (and the superuser) get in.
set -eu

: "${HALO_AUTH_DB_PASSWORD:?set HALO_AUTH_DB_PASSWORD}"
: "${HALO_VIDEO_DB_PASSWORD:?set HALO_VIDEO_DB_PASSWORD}"

psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-postgres}" \
    -v auth_password="$HALO_AUTH_DB_PASSWORD" -v video_password="$HALO_VIDEO_DB_PASSWORD" <<'SQL'
CREATE ROLE halo_auth LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'auth_password';
CREATE DATABASE halo_auth OWNER halo_auth;
REVOKE ALL ON DATABASE halo_auth FROM PUBLIC;

CREATE ROLE halo_video LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'video_password';
CREATE DATABASE halo_video OWNER halo_video;
REVOKE ALL ON DATABASE halo_video FROM PUBLIC;
SQL
