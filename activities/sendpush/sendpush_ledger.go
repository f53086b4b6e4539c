package sendpush

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/activity"
)

// ledgerRetention is how long push_sends rows are kept: far beyond the
// longest SendPush TTL (an hour), after which nothing reads them.
const ledgerRetention = "1 day"

// ledgerPruneBatch bounds the rows one activity deletes, so cleanup costs
// every push a little instead of one push a lot.
const ledgerPruneBatch = 200

// loadOutcomes reads what earlier attempts of this workflow recorded.
func loadOutcomes(ctx context.Context, db *pgxpool.Pool, workflowID string) (map[int64]DeviceOutcome, error) {
	rows, err := db.Query(ctx, `
		SELECT device_id, provider, outcome, class, reason, message_id
		FROM imshift.push_sends WHERE workflow_id = $1`, workflowID)
	if err != nil {
		return nil, fmt.Errorf("push: read sends: %w", err)
	}
	out := map[int64]DeviceOutcome{}
	var o DeviceOutcome
	_, err = pgx.ForEachRow(rows, []any{&o.DeviceID, &o.Provider, &o.Outcome, &o.Class, &o.Reason, &o.MessageID}, func() error {
		out[o.DeviceID] = o
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("push: read sends: %w", err)
	}
	return out, nil
}

// saveOutcomes records this attempt's outcomes in one statement. A row that
// says sent or pruned is final and never overwritten; a failed one takes the
// latest outcome and counts the attempt.
func saveOutcomes(ctx context.Context, db *pgxpool.Pool, workflowID string, outcomes []DeviceOutcome) error {
	if len(outcomes) == 0 {
		return nil
	}
	var (
		ids                                []int64
		providers, kinds, classes, reasons []string
		messageIDs                         []string
	)
	for _, o := range outcomes {
		ids = append(ids, o.DeviceID)
		providers = append(providers, o.Provider)
		kinds = append(kinds, o.Outcome)
		classes = append(classes, o.Class)
		reasons = append(reasons, o.Reason)
		messageIDs = append(messageIDs, o.MessageID)
	}
	_, err := db.Exec(ctx, `
		INSERT INTO imshift.push_sends AS p (workflow_id, device_id, provider, outcome, class, reason, message_id)
		SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
		ON CONFLICT (workflow_id, device_id) DO UPDATE SET
			outcome = EXCLUDED.outcome, class = EXCLUDED.class, reason = EXCLUDED.reason,
			message_id = EXCLUDED.message_id, attempts = p.attempts + 1, updated_at = now()
		WHERE p.outcome = 'failed'`,
		workflowID, ids, providers, kinds, classes, reasons, messageIDs)
	if err != nil {
		return fmt.Errorf("push: record sends: %w", err)
	}
	return nil
}

// pruneLedger deletes a bounded batch of rows past retention. It is
// housekeeping: a failure is logged and the push goes on.
func (a *Activities) pruneLedger(ctx context.Context) {
	_, err := a.DB.Exec(ctx, `
		DELETE FROM imshift.push_sends WHERE ctid = ANY(ARRAY(
			SELECT ctid FROM imshift.push_sends
			WHERE updated_at < now() - $1::interval LIMIT $2))`, ledgerRetention, ledgerPruneBatch)
	if err != nil {
		activity.GetLogger(ctx).Warn("push_sends cleanup failed", "error", err)
	}
}
