-- +goose Up
-- The routing contract with the legacy (NestJS) services: one row per
-- migration. A user is on OpenIM iff they are in allow_users, or they are
-- not in deny_users and cohort bucket(user) < bucket_threshold (see
-- cohort/cohort.go and docs/migration.md). percent is informative; the
-- threshold is what gateways compare with. revision grows by one on every
-- change; every change (and every retried flip) is announced with
-- NOTIFY imshift_routing and Redis PUBLISH imshift:routing.
CREATE TABLE imshift.routing (
    migration_id            text        PRIMARY KEY,
    percent                 numeric(5, 2) NOT NULL CHECK (percent >= 0 AND percent <= 100),
    bucket_threshold        int         NOT NULL CHECK (bucket_threshold >= 0 AND bucket_threshold <= 10000),
    allow_users             text[]      NOT NULL DEFAULT '{}',
    deny_users              text[]      NOT NULL DEFAULT '{}',
    revision                bigint      NOT NULL DEFAULT 1,
    legacy_push_enabled     bool        NOT NULL DEFAULT true,
    legacy_presence_enabled bool        NOT NULL DEFAULT true,
    updated_at              timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE imshift.routing;
