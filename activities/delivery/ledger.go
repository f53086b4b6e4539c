package delivery

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Ledger reads and writes imshift.push_ledger, the one record of every push
// (SendPush and campaigns), keyed by (send id, device id). It is safe for
// concurrent use.
type Ledger struct {
	pool  *pgxpool.Pool
	retry WriteRetry
}

// NewLedger returns a Ledger on pool whose writes retry with
// DefaultWriteRetry.
func NewLedger(pool *pgxpool.Pool) *Ledger { return &Ledger{pool: pool, retry: DefaultWriteRetry} }

// CampaignSend is the send id of a campaign's rows.
func CampaignSend(campaignID string) string { return "campaign:" + campaignID }

// PushSend is the send id of a SendPush's rows.
func PushSend(workflowID string) string { return "push:" + workflowID }

// Entry is one device's ledger row as written after a provider answer.
// Attempts is added to the row's count, not stored over it.
type Entry struct {
	DeviceID  int64
	Provider  string
	Outcome   string
	Class     Class
	MessageID string
	Reason    string
	Attempts  int32
	NotBefore time.Time // deferred and retrying: not to be sent before
}

// Record upserts entries in one statement, retrying it (WriteRetry) when
// the database fails: the entries usually say what a provider already
// acknowledged, and failing instead would send those pushes again. A row
// whose outcome is final is never overwritten. A deferred row's created_at
// becomes the time of its first answer, so a TTL counts from the first try.
func (l *Ledger) Record(ctx context.Context, sendID string, entries []Entry) error {
	if len(entries) == 0 {
		return nil
	}
	n := len(entries)
	ids, providers := make([]int64, n), make([]string, n)
	outcomes, classes, msgIDs, reasons := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	attempts, notBefore := make([]int32, n), make([]*time.Time, n)
	for i, e := range entries {
		ids[i], providers[i], outcomes[i], classes[i] = e.DeviceID, e.Provider, e.Outcome, string(e.Class)
		msgIDs[i], reasons[i], attempts[i] = e.MessageID, e.Reason, e.Attempts
		if !e.NotBefore.IsZero() {
			notBefore[i] = &entries[i].NotBefore
		}
	}
	return l.retry.Do(ctx, fmt.Sprintf("ledger: record %d rows", n), func(ctx context.Context) error {
		_, err := l.pool.Exec(ctx, `
			INSERT INTO imshift.push_ledger AS d
				(send_id, device_id, provider, outcome, class, message_id, reason, attempts, not_before, sent_at)
			SELECT $1, u.id, u.provider, u.outcome, u.class, u.msg, u.reason, u.attempts, u.not_before,
				CASE WHEN u.outcome = 'sent' THEN now() END
			FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[],
				$9::timestamptz[]) AS u(id, provider, outcome, class, msg, reason, attempts, not_before)
			ON CONFLICT (send_id, device_id) DO UPDATE SET
				outcome = EXCLUDED.outcome, class = EXCLUDED.class, message_id = EXCLUDED.message_id,
				reason = EXCLUDED.reason, attempts = d.attempts + EXCLUDED.attempts,
				not_before = EXCLUDED.not_before, sent_at = EXCLUDED.sent_at, updated_at = now(),
				created_at = CASE WHEN d.outcome = 'deferred' THEN now() ELSE d.created_at END
			WHERE d.outcome IN ('retrying', 'deferred')`,
			sendID, ids, providers, outcomes, classes, msgIDs, reasons, attempts, notBefore)
		return err
	})
}

// Row is what the ledger says about one device of a send.
type Row struct {
	DeviceID  int64
	Provider  string
	Outcome   string
	Class     Class
	Reason    string
	MessageID string
	Attempts  int32
	NotBefore time.Time // deferred and retrying only
	// CreatedAt is the device's first try (for a deferred device, the
	// first try after its deferral); a message's TTL counts from it.
	CreatedAt time.Time
}

// Rows returns the send's rows for device ids in (after, upto].
func (l *Ledger) Rows(ctx context.Context, sendID string, after, upto int64) (map[int64]Row, error) {
	rows, err := l.pool.Query(ctx, `
		SELECT device_id, provider, outcome, class, reason, message_id, attempts, coalesce(not_before, 'epoch'),
			created_at
		FROM imshift.push_ledger
		WHERE send_id = $1 AND device_id > $2 AND device_id <= $3`, sendID, after, upto)
	if err != nil {
		return nil, fmt.Errorf("ledger: read rows: %w", err)
	}
	out := map[int64]Row{}
	var r Row
	_, err = pgx.ForEachRow(rows, []any{&r.DeviceID, &r.Provider, &r.Outcome, &r.Class, &r.Reason, &r.MessageID,
		&r.Attempts, &r.NotBefore, &r.CreatedAt}, func() error {
		if Final(r.Outcome) {
			r.NotBefore = time.Time{}
		}
		out[r.DeviceID] = r
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ledger: read rows: %w", err)
	}
	return out, nil
}

// AllRows returns every row of the send.
func (l *Ledger) AllRows(ctx context.Context, sendID string) (map[int64]Row, error) {
	return l.Rows(ctx, sendID, math.MinInt64, math.MaxInt64)
}

// Pool is the ledger's database, for the queries only campaigns make.
func (l *Ledger) Pool() *pgxpool.Pool { return l.pool }

// Retry is the ledger's write retry, for writes that go with its rows.
func (l *Ledger) Retry() WriteRetry { return l.retry }
