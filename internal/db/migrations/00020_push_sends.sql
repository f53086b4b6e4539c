-- +goose Up
-- What SendPush did per device, so a retried activity never sends again to a
-- device a provider already acknowledged (outcome 'sent') or that turned out
-- dead ('pruned'). Rows only matter while a SendPush runs (its TTL is at most
-- an hour); the activity deletes rows older than a day as it goes, and the
-- workflow's result keeps the per-device outcome after that.
CREATE TABLE imshift.push_sends (
    workflow_id text        NOT NULL,
    device_id   bigint      NOT NULL,
    provider    text        NOT NULL,
    outcome     text        NOT NULL CHECK (outcome IN ('sent', 'pruned', 'failed')),
    class       text        NOT NULL DEFAULT '',
    reason      text        NOT NULL DEFAULT '',
    message_id  text        NOT NULL DEFAULT '',
    attempts    integer     NOT NULL DEFAULT 1,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workflow_id, device_id)
);
CREATE INDEX push_sends_updated_at ON imshift.push_sends (updated_at);

-- +goose Down
DROP TABLE imshift.push_sends;
