-- +goose Up
-- The schema itself is created before goose runs (its version table lives in
-- it); this first migration records the owner comment so `\dn+` explains it.
COMMENT ON SCHEMA imshift IS 'imshift: traffic migration to OpenIM and non-chat push';

-- +goose Down
COMMENT ON SCHEMA imshift IS NULL;
