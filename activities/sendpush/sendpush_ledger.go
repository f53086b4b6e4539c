package sendpush

import "context"

// ledgerRetention is how long SendPush's ledger rows are kept: far beyond
// the longest SendPush TTL (an hour), after which nothing reads them.
const ledgerRetention = "1 day"

// ledgerPruneBatch bounds the rows one activity deletes, so cleanup costs
// every push a little instead of one push a lot.
const ledgerPruneBatch = 200

// pruneLedger deletes a bounded batch of SendPush rows past retention
// (campaign rows stay: they are the campaign's record), and of outbox rows:
// a repeated idempotency key is remembered as long as its ledger rows. It is housekeeping:
// a failure is logged and the push goes on.
func (a *Activities) pruneLedger(ctx context.Context) {
	_, err := a.DB.Exec(ctx, `
		DELETE FROM imshift.push_ledger WHERE ctid = ANY(ARRAY(
			SELECT ctid FROM imshift.push_ledger
			WHERE send_id LIKE 'push:%' AND updated_at < now() - $1::interval LIMIT $2))`,
		ledgerRetention, ledgerPruneBatch)
	if err == nil {
		_, err = a.DB.Exec(ctx, `
			DELETE FROM imshift.push_outbox WHERE ctid = ANY(ARRAY(
				SELECT ctid FROM imshift.push_outbox WHERE accepted_at < now() - $1::interval LIMIT $2))`,
			ledgerRetention, ledgerPruneBatch)
	}
	if err != nil {
		logger(ctx).Warn("push ledger cleanup failed", "error", err)
	}
}
