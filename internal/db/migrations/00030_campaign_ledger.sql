-- +goose Up
-- A campaign's message, stored once so page activities read it by id instead
-- of every activity input carrying it through workflow history. spec_hash
-- lets a page notice that the campaign id was reused with another message.
CREATE TABLE imshift.campaigns (
    campaign_id text        PRIMARY KEY,
    spec        jsonb       NOT NULL,
    spec_hash   text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- The delivery ledger: one row per (campaign, device). A device whose row
-- says sent, pruned, failed or skipped is never sent again in that campaign,
-- which is what makes a retried page or a re-run campaign send nothing twice.
--   sent      the provider acknowledged the push (message_id)
--   pruned    the token is dead; the device was invalidated in the registry
--   failed    bad message, or transient errors beyond the attempt limit
--   deferred  inside quiet hours; to be sent at not_before
--   retrying  transient errors so far; attempts counts the tries
--   skipped   deferred, but the device was gone when its time came
-- No foreign key to devices: the ledger outlives a deleted device.
CREATE TABLE imshift.deliveries (
    campaign_id text        NOT NULL,
    device_id   bigint      NOT NULL,
    provider    text        NOT NULL CHECK (provider IN ('fcm', 'apns')),
    outcome     text        NOT NULL
        CHECK (outcome IN ('sent', 'pruned', 'failed', 'deferred', 'retrying', 'skipped')),
    message_id  text,
    reason      text,
    attempts    integer     NOT NULL DEFAULT 0,
    not_before  timestamptz,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (campaign_id, device_id)
);
-- Deferred devices are read by campaign in device order once their time has
-- come; the partial index stays as small as the set of deferrals.
CREATE INDEX deliveries_deferred ON imshift.deliveries (campaign_id, device_id, not_before)
    WHERE outcome = 'deferred';

-- +goose Down
DROP TABLE imshift.deliveries;
DROP TABLE imshift.campaigns;
