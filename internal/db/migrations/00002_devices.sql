-- +goose Up
-- The device registry: one row per (provider, token). A token that moves to
-- another user moves (upsert on the unique key). A dead token is kept with
-- invalidated_at/invalid_reason so it is never tried again.
CREATE TABLE imshift.devices (
    id             bigserial PRIMARY KEY,
    user_id        text        NOT NULL,
    platform       text        NOT NULL CHECK (platform IN ('ios', 'android', 'web')),
    provider       text        NOT NULL CHECK (provider IN ('fcm', 'apns')),
    token          text        NOT NULL,
    app_id         text        NOT NULL DEFAULT '',
    locale         text        NOT NULL DEFAULT '',
    time_zone      text        NOT NULL DEFAULT 'UTC',
    created_at     timestamptz NOT NULL DEFAULT now(),
    last_seen_at   timestamptz NOT NULL DEFAULT now(),
    invalidated_at timestamptz,
    invalid_reason text,
    UNIQUE (provider, token)
);
CREATE INDEX devices_user_id ON imshift.devices (user_id);

-- +goose Down
DROP TABLE imshift.devices;
