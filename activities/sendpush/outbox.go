package sendpush

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Outbox is imshift.push_outbox: the pushes POST /v1/push accepted, until
// their SendPush workflow is started, and the delivery lease every attempt
// of a push takes, whichever path runs it (docs/delivery.md).
type Outbox struct{ DB *pgxpool.Pool }

// Accepted is an accepted push whose workflow is not known to be started.
type Accepted struct {
	WorkflowID string
	Request    []byte // the /v1/push body
	AcceptedAt time.Time
}

// Accept records the push under its workflow id. It reports false, and
// records nothing, when the id was accepted before (a repeated key).
func (o Outbox) Accept(ctx context.Context, workflowID string, request []byte) (Accepted, bool, error) {
	a := Accepted{WorkflowID: workflowID, Request: request}
	err := o.DB.QueryRow(ctx, `
		INSERT INTO imshift.push_outbox (workflow_id, request) VALUES ($1, $2)
		ON CONFLICT (workflow_id) DO NOTHING RETURNING accepted_at`, workflowID, request).Scan(&a.AcceptedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return a, false, nil
	}
	return a, err == nil, err
}

// Lease takes the push's delivery lease for d and returns its token, or ""
// while another attempt holds it. A SendPush started without the API gets
// its row here (marked started: its workflow runs).
func (o Outbox) Lease(ctx context.Context, workflowID string, d time.Duration) (string, error) {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	token := hex.EncodeToString(b)
	err := o.DB.QueryRow(ctx, `
		INSERT INTO imshift.push_outbox AS o (workflow_id, started_at, lease_token, lease_until)
		VALUES ($1, now(), $2, now() + $3 * interval '1 millisecond')
		ON CONFLICT (workflow_id) DO UPDATE SET lease_token = excluded.lease_token, lease_until = excluded.lease_until
		WHERE o.lease_until IS NULL OR o.lease_until < now()
		RETURNING lease_token`, workflowID, token, d.Milliseconds()).Scan(&token)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	return token, err
}

// Release gives the lease back. It runs whatever happened to the attempt;
// if it fails the lease lapses at its time.
func (o Outbox) Release(ctx context.Context, workflowID, token string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_, _ = o.DB.Exec(ctx, `
		UPDATE imshift.push_outbox SET lease_token = NULL, lease_until = NULL
		WHERE workflow_id = $1 AND lease_token = $2`, workflowID, token)
}

// Started records that the push's workflow runs and drops the request
// body: from here the workflow holds it (encrypted by the payload codec).
func (o Outbox) Started(ctx context.Context, workflowID string) error {
	_, err := o.DB.Exec(ctx, `
		UPDATE imshift.push_outbox SET started_at = now(), request = NULL WHERE workflow_id = $1`, workflowID)
	return err
}

// Unstarted returns up to limit pushes accepted more than age ago whose
// workflow is not known to be started and that no attempt holds: the ones
// a worker that crashed, or could not reach Temporal, left.
func (o Outbox) Unstarted(ctx context.Context, age time.Duration, limit int) ([]Accepted, error) {
	rows, err := o.DB.Query(ctx, `
		SELECT workflow_id, request, accepted_at FROM imshift.push_outbox
		WHERE started_at IS NULL AND request IS NOT NULL
		  AND accepted_at < now() - $1 * interval '1 millisecond'
		  AND (lease_until IS NULL OR lease_until < now())
		ORDER BY accepted_at LIMIT $2`, age.Milliseconds(), limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Accepted, error) {
		var a Accepted
		err := r.Scan(&a.WorkflowID, &a.Request, &a.AcceptedAt)
		return a, err
	})
}
