-- +goose Up
-- When a dead FCM token was last cleared from OpenIM (TokenSweep,
-- docs/presence.md). A device needs the OpenIM side again when it was
-- invalidated after that (a revived token that died again).
ALTER TABLE imshift.devices ADD COLUMN openim_pruned_at timestamptz;
CREATE INDEX devices_openim_prune ON imshift.devices (id)
    WHERE provider = 'fcm' AND invalidated_at IS NOT NULL;
-- TokenSweep finds devices not refreshed for IMSHIFT_TOKEN_STALE_AFTER.
CREATE INDEX devices_last_seen_at ON imshift.devices (last_seen_at);

-- +goose Down
DROP INDEX imshift.devices_last_seen_at;
DROP INDEX imshift.devices_openim_prune;
ALTER TABLE imshift.devices DROP COLUMN openim_pruned_at;
