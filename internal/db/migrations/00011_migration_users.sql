-- +goose Up
-- The demo's user directory. Production points IMSHIFT_USER_DIRECTORY at a
-- table or view of its own with the same columns (face_url optional).
CREATE TABLE imshift.demo_users (
    user_id  text PRIMARY KEY,
    nickname text NOT NULL,
    face_url text
);

-- Legacy user id -> OpenIM user id, for every user a migration provisioned.
-- Ids OpenIM accepts map to themselves; the others are escaped (docs/migration.md).
CREATE TABLE imshift.user_id_map (
    legacy_id      text        PRIMARY KEY,
    openim_id      text        NOT NULL UNIQUE,
    migration_id   text        NOT NULL,
    provisioned_at timestamptz NOT NULL DEFAULT now()
);

-- Per migration and user, what provisioning did: the record a retried or
-- resumed provisioning activity reads to skip users already done, and the
-- analysis samples from (by bucket, so the index serves it).
CREATE TABLE imshift.migration_users (
    migration_id      text        NOT NULL,
    legacy_id         text        NOT NULL,
    openim_id         text        NOT NULL,
    bucket            int         NOT NULL CHECK (bucket >= 0 AND bucket < 10000),
    status            text        NOT NULL CHECK (status IN ('registered', 'existed', 'error')),
    error             text        NOT NULL DEFAULT '',
    fcm_tokens_copied int         NOT NULL DEFAULT 0,
    apns_devices      int         NOT NULL DEFAULT 0,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (migration_id, legacy_id)
);
CREATE INDEX migration_users_bucket ON imshift.migration_users (migration_id, bucket, legacy_id);

-- +goose Down
DROP TABLE imshift.migration_users;
DROP TABLE imshift.user_id_map;
DROP TABLE imshift.demo_users;
