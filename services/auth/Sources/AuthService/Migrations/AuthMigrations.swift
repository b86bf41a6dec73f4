package import ServiceSupport

/// The auth service's schema, in order. Shipped entries never change; add new versions at the end.
///
/// SQL both dialects understand, as in the other services: ids are lower-case UUID text, times microseconds
/// since 1970 (BIGINT). Uniqueness is the database's job: emails are stored lower-cased and usernames have a
/// lower-cased key, each under a UNIQUE constraint, and CHECKs keep both keys lower case.
package enum AuthMigrations {
    package static let all: [Migration] = [
        Migration(
            version: 1, name: "create users, refresh tokens and login failures",
            statements: [
                """
                CREATE TABLE users (
                    id TEXT PRIMARY KEY,
                    email TEXT NOT NULL,
                    username TEXT NOT NULL,
                    username_key TEXT NOT NULL,
                    password_hash TEXT NOT NULL,
                    display_name TEXT NOT NULL,
                    birth_date TEXT,
                    adult_mode BOOLEAN NOT NULL DEFAULT FALSE,
                    is_admin BOOLEAN NOT NULL DEFAULT FALSE,
                    created_at BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL,
                    CONSTRAINT users_email_unique UNIQUE (email),
                    CONSTRAINT users_username_unique UNIQUE (username_key),
                    CONSTRAINT users_email_lower CHECK (email = lower(email)),
                    CONSTRAINT users_username_key_lower CHECK (username_key = lower(username))
                )
                """,
                // Refresh tokens: only the SHA-256 of the token; family_id is the id of the family's first token,
                // parent_id and replaced_by_id link each rotation.
                """
                CREATE TABLE refresh_tokens (
                    id TEXT PRIMARY KEY,
                    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                    family_id TEXT NOT NULL,
                    token_hash TEXT NOT NULL,
                    parent_id TEXT,
                    replaced_by_id TEXT,
                    created_at BIGINT NOT NULL,
                    expires_at BIGINT NOT NULL,
                    spent_at BIGINT,
                    revoked_at BIGINT,
                    CONSTRAINT refresh_tokens_hash_unique UNIQUE (token_hash)
                )
                """,
                "CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id)",
                "CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id)",
                // Failed logins per account key (SHA-256 of the lower-cased email), for throttling.
                """
                CREATE TABLE login_failures (
                    id TEXT PRIMARY KEY,
                    account_key TEXT NOT NULL,
                    failed_at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX login_failures_account_idx ON login_failures (account_key, failed_at)",
            ]),
        // Expired failures of every account are pruned a few at a time, oldest first (SQLAuthStore).
        Migration(
            version: 2, name: "index login failures by time",
            statements: ["CREATE INDEX login_failures_time_idx ON login_failures (failed_at)"]),
    ]
}
