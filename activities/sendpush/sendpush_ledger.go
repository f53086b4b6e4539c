package sendpush

import "context"

// ledgerRetention is how long SendPush's ledger rows are kept: far beyond
// the longest SendPush TTL (an hour), after which nothing reads them.
const ledgerRetention = "1 day"

// ledgerPruneBatch bounds the rows one Prune deletes of each table.
const ledgerPruneBatch = 200

// Prune deletes a bounded batch of SendPush ledger rows past retention
// (campaign rows stay: they are the campaign's record), and of outbox rows:
// a repeated idempotency key is remembered as long as its ledger rows. The
// dispatcher's sweep calls it every so often on every worker, off any
// push's path.
func (a *Activities) Prune(ctx context.Context) error {
	_, err := a.DB.Exec(ctx, `
		DELETE FROM imshift.push_ledger WHERE ctid = ANY(ARRAY(
			SELECT ctid FROM imshift.push_ledger
			WHERE send_id LIKE 'push:%' AND updated_at < now() - $1::interval LIMIT $2))`,
		ledgerRetention, ledgerPruneBatch)
	if err != nil {
		return err
	}
	_, err = a.DB.Exec(ctx, `
		DELETE FROM imshift.push_outbox WHERE ctid = ANY(ARRAY(
			SELECT ctid FROM imshift.push_outbox WHERE accepted_at < now() - $1::interval LIMIT $2))`,
		ledgerRetention, ledgerPruneBatch)
	return err
}
