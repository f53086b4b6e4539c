-- +goose Up
-- The transactional-push outbox (docs/delivery.md, "SendPush at rate"):
-- POST /v1/push accepts a push here, durably, before Temporal is asked for
-- anything; the worker that took it delivers it at once and then starts its
-- SendPush workflow, and any worker's sweeper finishes what a crashed one
-- left. One row per SendPush workflow id, kept as long as the push's ledger
-- rows (a day), so a repeated idempotency key is answered without sending.
CREATE TABLE imshift.push_outbox (
    workflow_id text PRIMARY KEY,
    -- the /v1/push body; cleared once the workflow holds it (its payloads
    -- are encrypted by the codec, this table is not)
    request     jsonb,
    accepted_at timestamptz NOT NULL DEFAULT now(),
    -- the workflow is known to be started
    started_at  timestamptz,
    -- one delivery attempt at a time per push: the attempt holding the
    -- lease (its token) until lease_until
    lease_token text,
    lease_until timestamptz
);
-- The sweeper's scan: accepted pushes whose workflow is not started yet.
CREATE INDEX push_outbox_unstarted ON imshift.push_outbox (accepted_at) WHERE started_at IS NULL;

-- +goose Down
DROP TABLE imshift.push_outbox;
