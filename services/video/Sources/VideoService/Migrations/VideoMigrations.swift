package import ServiceSupport

/// The video service's schema, in order. Shipped entries never change; add new versions at the end.
///
/// SQL both dialects understand: ids are lower-case UUID text (hex digits and hyphens sort the
/// same in every collation, so the id tiebreak is the same everywhere), timestamps microseconds
/// since 1970 (BIGINT), tags a JSON array in TEXT. The indexes serve the list queries, all ordered
/// newest first with the id as tiebreak: everyone's, one owner's, and live or recorded only.
package enum VideoMigrations {
    package static let all: [Migration] = [
        Migration(
            version: 1, name: "create videos",
            statements: [
                """
                CREATE TABLE videos (
                    id TEXT PRIMARY KEY,
                    owner_id TEXT NOT NULL,
                    title TEXT NOT NULL,
                    description TEXT NOT NULL,
                    thumbnail_url TEXT NOT NULL,
                    stream_url TEXT NOT NULL,
                    duration_seconds INTEGER NOT NULL CHECK (duration_seconds >= 0),
                    is_live BOOLEAN NOT NULL,
                    is_adult BOOLEAN NOT NULL,
                    tags TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX videos_created_idx ON videos (created_at DESC, id DESC)",
                "CREATE INDEX videos_owner_created_idx ON videos (owner_id, created_at DESC, id DESC)",
                "CREATE INDEX videos_live_created_idx ON videos (is_live, created_at DESC, id DESC)",
            ])
    ]
}
