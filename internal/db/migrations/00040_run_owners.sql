-- +goose Up
-- Run ownership: at most one live workflow run per migration and per
-- campaign, whatever its workflow id (activities/ownership). A run claims
-- its subject before it reads, sends, registers or flips anything. A live
-- owner is (workflow_id, run_id), run_id being the first run of its
-- continue-as-new chain. A claim held by a run that Temporal reports closed
-- (terminated, timed out, failed) is taken over by the next claim. On its
-- end a run releases the claim, recording how it ended: a completed
-- migration is never run again.
CREATE TABLE imshift.run_owners (
    kind          text        NOT NULL CHECK (kind IN ('migration', 'campaign')),
    subject_id    text        NOT NULL,
    workflow_id   text        NOT NULL,
    run_id        text        NOT NULL,
    claimed_at    timestamptz NOT NULL DEFAULT now(),
    released_at   timestamptz,
    final_state   text,
    PRIMARY KEY (kind, subject_id)
);

-- +goose Down
DROP TABLE imshift.run_owners;
