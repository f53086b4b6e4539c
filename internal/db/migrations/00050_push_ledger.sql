-- +goose Up
-- One delivery ledger for every push, transactional (SendPush) and campaign
-- (PushCampaign): one row per (send, device). send_id names the send:
-- 'push:<workflow id>' for a SendPush, 'campaign:<campaign id>' for a
-- campaign. A row whose outcome is final (sent, pruned, failed, skipped) is
-- never changed again, which is what makes a retried activity, a page run
-- again or a second run of the same send deliver nothing twice.
--   sent      the provider acknowledged the push (message_id, sent_at)
--   pruned    the token is dead; the device was invalidated in the registry
--   failed    bad message, refused credentials (SendPush), or retryable
--             errors until the attempt limit or the message's TTL
--   deferred  inside quiet hours; to be sent at not_before
--   retrying  retryable errors so far; attempts counts the tries
--   skipped   deferred, but the device was gone when its time came
-- class is the delivery class of the last answer (docs/delivery.md).
-- No foreign key to devices: the ledger outlives a deleted device.
CREATE TABLE imshift.push_ledger (
    send_id    text        NOT NULL,
    device_id  bigint      NOT NULL,
    provider   text        NOT NULL CHECK (provider IN ('fcm', 'apns')),
    outcome    text        NOT NULL
        CHECK (outcome IN ('sent', 'pruned', 'failed', 'deferred', 'retrying', 'skipped')),
    class      text        NOT NULL DEFAULT '',
    reason     text        NOT NULL DEFAULT '',
    message_id text        NOT NULL DEFAULT '',
    attempts   integer     NOT NULL DEFAULT 0,
    not_before timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at    timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (send_id, device_id)
);
-- Deferred devices are read by send in device order once their time has
-- come; the partial index stays as small as the set of deferrals.
CREATE INDEX push_ledger_deferred ON imshift.push_ledger (send_id, device_id, not_before)
    WHERE outcome = 'deferred';
-- SendPush rows are deleted a day after their last change.
CREATE INDEX push_ledger_push_updated ON imshift.push_ledger (updated_at)
    WHERE send_id LIKE 'push:%';

INSERT INTO imshift.push_ledger
    (send_id, device_id, provider, outcome, class, reason, message_id, attempts, created_at, sent_at, updated_at)
SELECT 'push:' || workflow_id, device_id, provider,
       CASE WHEN outcome = 'failed' AND class IN ('throttled', 'transient') THEN 'retrying' ELSE outcome END,
       class, reason, message_id, attempts, updated_at,
       CASE WHEN outcome = 'sent' THEN updated_at END, updated_at
FROM imshift.push_sends;

INSERT INTO imshift.push_ledger
    (send_id, device_id, provider, outcome, class, reason, message_id, attempts, not_before,
     created_at, sent_at, updated_at)
SELECT 'campaign:' || campaign_id, device_id, provider, outcome,
       CASE WHEN outcome = 'sent' THEN 'sent' WHEN outcome = 'pruned' THEN 'dead_token' ELSE '' END,
       coalesce(reason, ''), coalesce(message_id, ''), attempts, not_before, updated_at,
       CASE WHEN outcome = 'sent' THEN updated_at END, updated_at
FROM imshift.deliveries;

DROP TABLE imshift.push_sends;
DROP TABLE imshift.deliveries;

-- +goose Down
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
CREATE INDEX deliveries_deferred ON imshift.deliveries (campaign_id, device_id, not_before)
    WHERE outcome = 'deferred';

INSERT INTO imshift.push_sends
    (workflow_id, device_id, provider, outcome, class, reason, message_id, attempts, updated_at)
SELECT substr(send_id, 6), device_id, provider,
       CASE WHEN outcome IN ('sent', 'pruned') THEN outcome ELSE 'failed' END,
       class, reason, message_id, attempts, updated_at
FROM imshift.push_ledger WHERE send_id LIKE 'push:%';

INSERT INTO imshift.deliveries
    (campaign_id, device_id, provider, outcome, message_id, reason, attempts, not_before, updated_at)
SELECT substr(send_id, 10), device_id, provider, outcome, nullif(message_id, ''), nullif(reason, ''),
       attempts, not_before, updated_at
FROM imshift.push_ledger WHERE send_id LIKE 'campaign:%';

DROP TABLE imshift.push_ledger;
