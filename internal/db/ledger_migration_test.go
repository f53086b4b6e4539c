package db_test

import (
	"context"
	"testing"

	"github.com/imshift/imshift/internal/db"
	"github.com/imshift/imshift/testbed/testenv"
)

// Migration 00050 moves the rows of both old ledgers (SendPush's push_sends,
// campaigns' deliveries) into push_ledger, keeping outcome, attempts,
// message id, reason and times, and drops the old tables; its Down moves
// them back.
func TestLedgerMigrationMovesBothTables(t *testing.T) {
	pool, _ := testenv.Database(t)
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(db.MigrateTo(ctx, pool, 49, true))
	_, err := pool.Exec(ctx, `
		INSERT INTO imshift.push_sends (workflow_id, device_id, provider, outcome, class, reason, message_id, attempts, updated_at)
		VALUES ('push-a', 1, 'fcm', 'sent', '', '', 'projects/p/messages/1', 1, '2026-11-01T10:00:00Z'),
		       ('push-a', 2, 'apns', 'pruned', 'dead_token', 'Unregistered', '', 1, '2026-11-01T10:00:00Z'),
		       ('push-b', 1, 'fcm', 'failed', 'transient', 'UNAVAILABLE', '', 3, '2026-11-01T10:00:00Z'),
		       ('push-b', 2, 'fcm', 'failed', 'credentials', 'THIRD_PARTY_AUTH_ERROR', '', 1, '2026-11-01T10:00:00Z');
		INSERT INTO imshift.deliveries (campaign_id, device_id, provider, outcome, message_id, reason, attempts, not_before, updated_at)
		VALUES ('spring', 1, 'fcm', 'sent', 'm1', NULL, 2, NULL, '2026-11-02T10:00:00Z'),
		       ('spring', 2, 'apns', 'deferred', NULL, 'quiet hours', 0, '2026-11-03T07:00:00Z', '2026-11-02T10:00:00Z'),
		       ('spring', 3, 'apns', 'failed', NULL, 'transient: InternalServerError', 10, NULL, '2026-11-02T10:00:00Z')`)
	must(err)
	must(db.MigrateTo(ctx, pool, 50, false))

	type row struct {
		send, provider, outcome, class, reason, msg string
		device                                      int64
		attempts                                    int32
		sent, deferred                              bool
	}
	rows, err := pool.Query(ctx, `
		SELECT send_id, device_id, provider, outcome, class, reason, message_id, attempts,
		       sent_at IS NOT NULL, not_before IS NOT NULL
		FROM imshift.push_ledger ORDER BY send_id, device_id`)
	must(err)
	var got []row
	for rows.Next() {
		var r row
		must(rows.Scan(&r.send, &r.device, &r.provider, &r.outcome, &r.class, &r.reason, &r.msg, &r.attempts, &r.sent, &r.deferred))
		got = append(got, r)
	}
	must(rows.Err())
	want := []row{
		{"campaign:spring", "fcm", "sent", "sent", "", "m1", 1, 2, true, false},
		{"campaign:spring", "apns", "deferred", "", "quiet hours", "", 2, 0, false, true},
		{"campaign:spring", "apns", "failed", "", "transient: InternalServerError", "", 3, 10, false, false},
		{"push:push-a", "fcm", "sent", "", "", "projects/p/messages/1", 1, 1, true, false},
		{"push:push-a", "apns", "pruned", "dead_token", "Unregistered", "", 2, 1, false, false},
		{"push:push-b", "fcm", "retrying", "transient", "UNAVAILABLE", "", 1, 3, false, false},
		{"push:push-b", "fcm", "failed", "credentials", "THIRD_PARTY_AUTH_ERROR", "", 2, 1, false, false},
	}
	if len(got) != len(want) {
		t.Fatalf("push_ledger has %d rows, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("row %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	var old int
	must(pool.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = 'imshift'
		AND tablename IN ('push_sends', 'deliveries')`).Scan(&old))
	if old != 0 {
		t.Errorf("%d old ledger tables left", old)
	}

	must(db.MigrateTo(ctx, pool, 49, true))
	var sends, deliveries int
	must(pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM imshift.push_sends), (SELECT count(*) FROM imshift.deliveries)`).
		Scan(&sends, &deliveries))
	if sends != 4 || deliveries != 3 {
		t.Errorf("down: %d push_sends and %d deliveries rows, want 4 and 3", sends, deliveries)
	}
	_, err = db.Migrate(ctx, pool)
	must(err)
}
