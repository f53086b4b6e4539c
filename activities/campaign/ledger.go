package campaign

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Ledger outcomes (imshift.deliveries.outcome).
const (
	OutcomeSent     = "sent"
	OutcomePruned   = "pruned"
	OutcomeFailed   = "failed"
	OutcomeDeferred = "deferred"
	OutcomeRetrying = "retrying"
	OutcomeSkipped  = "skipped"
)

// Ledger reads and writes imshift.deliveries. It is safe for concurrent use.
type Ledger struct {
	pool *pgxpool.Pool
}

// NewLedger returns a Ledger on pool.
func NewLedger(pool *pgxpool.Pool) *Ledger { return &Ledger{pool: pool} }

// Entry is one device's ledger row as written after a provider call.
// Attempts is added to the row's count, not stored over it.
type Entry struct {
	DeviceID  int64
	Provider  string
	Outcome   string
	MessageID string
	Reason    string
	Attempts  int32
	NotBefore time.Time // deferred only
}

// Record upserts entries in one statement. A row already 'sent' is never
// overwritten: once a provider acknowledged a push, nothing undoes that.
func (l *Ledger) Record(ctx context.Context, campaignID string, entries []Entry) error {
	if len(entries) == 0 {
		return nil
	}
	n := len(entries)
	ids, providers := make([]int64, n), make([]string, n)
	outcomes, msgIDs, reasons := make([]string, n), make([]string, n), make([]string, n)
	attempts, notBefore := make([]int32, n), make([]*time.Time, n)
	for i, e := range entries {
		ids[i], providers[i], outcomes[i] = e.DeviceID, e.Provider, e.Outcome
		msgIDs[i], reasons[i], attempts[i] = e.MessageID, e.Reason, e.Attempts
		if !e.NotBefore.IsZero() {
			notBefore[i] = &entries[i].NotBefore
		}
	}
	_, err := l.pool.Exec(ctx, `
		INSERT INTO imshift.deliveries AS d
			(campaign_id, device_id, provider, outcome, message_id, reason, attempts, not_before)
		SELECT $1, u.id, u.provider, u.outcome, nullif(u.msg, ''), nullif(u.reason, ''), u.attempts, u.not_before
		FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[], $8::timestamptz[])
			AS u(id, provider, outcome, msg, reason, attempts, not_before)
		ON CONFLICT (campaign_id, device_id) DO UPDATE SET
			outcome = EXCLUDED.outcome, message_id = EXCLUDED.message_id, reason = EXCLUDED.reason,
			attempts = d.attempts + EXCLUDED.attempts, not_before = EXCLUDED.not_before, updated_at = now()
		WHERE d.outcome <> 'sent'`,
		campaignID, ids, providers, outcomes, msgIDs, reasons, attempts, notBefore)
	if err != nil {
		return fmt.Errorf("ledger: record %d rows: %w", n, err)
	}
	return nil
}

// State is what the ledger already says about one device.
type State struct {
	Outcome   string
	Attempts  int32
	Reason    string
	NotBefore time.Time // deferred only
}

// States returns the ledger rows of the campaign for device ids in
// (after, upto], so a page (or its retry) skips what is settled.
func (l *Ledger) States(ctx context.Context, campaignID string, after, upto int64) (map[int64]State, error) {
	rows, err := l.pool.Query(ctx, `
		SELECT device_id, outcome, attempts, coalesce(reason, ''), coalesce(not_before, 'epoch')
		FROM imshift.deliveries
		WHERE campaign_id = $1 AND device_id > $2 AND device_id <= $3`, campaignID, after, upto)
	if err != nil {
		return nil, fmt.Errorf("ledger: read states: %w", err)
	}
	out := map[int64]State{}
	var id int64
	var s State
	_, err = pgx.ForEachRow(rows, []any{&id, &s.Outcome, &s.Attempts, &s.Reason, &s.NotBefore}, func() error {
		if s.Outcome != OutcomeDeferred {
			s.NotBefore = time.Time{}
		}
		out[id] = s
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ledger: read states: %w", err)
	}
	return out, nil
}

// Counts is a tally of ledger outcomes. Failed is by reason.
type Counts struct {
	Sent     int64            `json:"sent"`
	Pruned   int64            `json:"pruned"`
	Deferred int64            `json:"deferred"`
	Skipped  int64            `json:"skipped,omitempty"`
	Failed   map[string]int64 `json:"failed,omitempty"`
}

// Add adds o to c.
func (c *Counts) Add(o Counts) {
	c.Sent += o.Sent
	c.Pruned += o.Pruned
	c.Deferred += o.Deferred
	c.Skipped += o.Skipped
	for r, n := range o.Failed {
		c.AddFailed(r, n)
	}
}

// AddFailed counts n failures with reason.
func (c *Counts) AddFailed(reason string, n int64) {
	if c.Failed == nil {
		c.Failed = map[string]int64{}
	}
	c.Failed[reason] += n
}

// FailedTotal is every failure whatever its reason.
func (c *Counts) FailedTotal() int64 {
	var n int64
	for _, v := range c.Failed {
		n += v
	}
	return n
}

// Settled is every device the campaign is done with.
func (c *Counts) Settled() int64 { return c.Sent + c.Pruned + c.Skipped + c.FailedTotal() }

// count adds n rows of outcome (with reason) to c; retrying rows are still
// in flight and not counted.
func (c *Counts) count(outcome, reason string, n int64) {
	switch outcome {
	case OutcomeSent:
		c.Sent += n
	case OutcomePruned:
		c.Pruned += n
	case OutcomeSkipped:
		c.Skipped += n
	case OutcomeFailed:
		c.AddFailed(reason, n)
	case OutcomeDeferred:
		c.Deferred += n
	}
}

// Tally counts the campaign's whole ledger and finds the earliest end of
// quiet hours among its deferrals (zero if none).
func (l *Ledger) Tally(ctx context.Context, campaignID string) (Counts, time.Time, error) {
	rows, err := l.pool.Query(ctx, `
		SELECT outcome, coalesce(reason, ''), count(*), coalesce(min(not_before), 'epoch')
		FROM imshift.deliveries WHERE campaign_id = $1 GROUP BY 1, 2`, campaignID)
	if err != nil {
		return Counts{}, time.Time{}, fmt.Errorf("ledger: tally: %w", err)
	}
	var c Counts
	var next, nb time.Time
	var outcome, reason string
	var n int64
	_, err = pgx.ForEachRow(rows, []any{&outcome, &reason, &n, &nb}, func() error {
		c.count(outcome, reason, n)
		if outcome == OutcomeDeferred {
			next = earliest(next, nb)
		}
		return nil
	})
	if err != nil {
		return Counts{}, time.Time{}, fmt.Errorf("ledger: tally: %w", err)
	}
	return c, next, nil
}

// earliest is the earlier of two times, a zero time counting as none.
func earliest(a, b time.Time) time.Time {
	if a.IsZero() || !b.IsZero() && b.Before(a) {
		return b
	}
	return a
}

// DeferredBoundaries plans the deferred pass: walking the campaign's
// deferred rows due by cutoff in device order after `after`, it returns the
// last device id of each of up to `pages` pages of pageSize. Only ids are
// read, from the partial index.
func (l *Ledger) DeferredBoundaries(ctx context.Context, campaignID string, cutoff time.Time, after int64, pageSize, pages int) ([]int64, error) {
	rows, err := l.pool.Query(ctx, `
		SELECT device_id FROM imshift.deliveries
		WHERE campaign_id = $1 AND outcome = 'deferred' AND not_before <= $2 AND device_id > $3
		ORDER BY device_id LIMIT $4`, campaignID, cutoff, after, pageSize*pages)
	if err != nil {
		return nil, fmt.Errorf("ledger: plan deferred pages: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("ledger: plan deferred pages: %w", err)
	}
	return boundaries(ids, pageSize), nil
}

// boundaries is the last id of every pageSize ids, and of the short tail.
func boundaries(ids []int64, pageSize int) []int64 {
	var out []int64
	for i := pageSize - 1; i < len(ids); i += pageSize {
		out = append(out, ids[i])
	}
	if len(ids)%pageSize != 0 {
		out = append(out, ids[len(ids)-1])
	}
	return out
}

// DueDevice is a deferred device whose quiet hours are over, with what a
// send needs.
type DueDevice struct {
	ID       int64
	Provider string
	Token    string
	Locale   string
}

// DueDevices reads the deferred devices due by cutoff with ids in (after,
// upto] that are still valid in the registry. Deferred rows whose device was
// deleted or found dead meanwhile are marked skipped, so no deferral waits
// forever for a device that is gone.
func (l *Ledger) DueDevices(ctx context.Context, campaignID string, cutoff time.Time, after, upto int64) ([]DueDevice, error) {
	_, err := l.pool.Exec(ctx, `
		UPDATE imshift.deliveries l SET outcome = 'skipped', reason = 'device gone', updated_at = now()
		WHERE l.campaign_id = $1 AND l.outcome = 'deferred' AND l.not_before <= $2
		  AND l.device_id > $3 AND l.device_id <= $4
		  AND NOT EXISTS (SELECT 1 FROM imshift.devices d WHERE d.id = l.device_id AND d.invalidated_at IS NULL)`,
		campaignID, cutoff, after, upto)
	if err != nil {
		return nil, fmt.Errorf("ledger: skip gone devices: %w", err)
	}
	rows, err := l.pool.Query(ctx, `
		SELECT d.id, d.provider, d.token, d.locale
		FROM imshift.deliveries l JOIN imshift.devices d ON d.id = l.device_id
		WHERE l.campaign_id = $1 AND l.outcome = 'deferred' AND l.not_before <= $2
		  AND l.device_id > $3 AND l.device_id <= $4 AND d.invalidated_at IS NULL
		ORDER BY d.id`, campaignID, cutoff, after, upto)
	if err != nil {
		return nil, fmt.Errorf("ledger: read due devices: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[DueDevice])
	if err != nil {
		return nil, fmt.Errorf("ledger: read due devices: %w", err)
	}
	return out, nil
}
