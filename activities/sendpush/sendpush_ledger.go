package sendpush

import (
	"context"

	"go.temporal.io/sdk/activity"
)

// ledgerRetention is how long SendPush's ledger rows are kept: far beyond
// the longest SendPush TTL (an hour), after which nothing reads them.
const ledgerRetention = "1 day"

// ledgerPruneBatch bounds the rows one activity deletes, so cleanup costs
// every push a little instead of one push a lot.
const ledgerPruneBatch = 200

// pruneLedger deletes a bounded batch of SendPush rows past retention
// (campaign rows stay: they are the campaign's record). It is housekeeping:
// a failure is logged and the push goes on.
func (a *Activities) pruneLedger(ctx context.Context) {
	_, err := a.DB.Exec(ctx, `
		DELETE FROM imshift.push_ledger WHERE ctid = ANY(ARRAY(
			SELECT ctid FROM imshift.push_ledger
			WHERE send_id LIKE 'push:%' AND updated_at < now() - $1::interval LIMIT $2))`,
		ledgerRetention, ledgerPruneBatch)
	if err != nil {
		activity.GetLogger(ctx).Warn("push ledger cleanup failed", "error", err)
	}
}
