package delivery_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/imshift/imshift/activities/delivery"
	"github.com/imshift/imshift/testbed/rigs/dbfault"
	"github.com/imshift/imshift/testbed/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// A final row (sent, failed) is never overwritten; a retrying row takes the
// next answer and counts the attempt; sends do not see each other's rows.
func TestLedgerKeepsFinalRowsAndCountsAttempts(t *testing.T) {
	pool, _ := testenv.Database(t)
	l := delivery.NewLedger(pool)
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	send := delivery.CampaignSend("c1")
	must(l.Record(ctx, send, []delivery.Entry{
		{DeviceID: 1, Provider: "fcm", Outcome: delivery.OutcomeRetrying, Class: delivery.Transient, Reason: "INTERNAL", Attempts: 1},
		{DeviceID: 2, Provider: "fcm", Outcome: delivery.OutcomeSent, Class: delivery.Sent, MessageID: "m2", Attempts: 1},
		{DeviceID: 3, Provider: "apns", Outcome: delivery.OutcomeFailed, Class: delivery.BadMessage, Reason: "PayloadTooLarge", Attempts: 1},
	}))
	must(l.Record(ctx, send, []delivery.Entry{
		{DeviceID: 1, Provider: "fcm", Outcome: delivery.OutcomeSent, Class: delivery.Sent, MessageID: "m1", Attempts: 1},
		{DeviceID: 2, Provider: "fcm", Outcome: delivery.OutcomeFailed, Reason: "late", Attempts: 1},
		{DeviceID: 3, Provider: "apns", Outcome: delivery.OutcomeSent, Attempts: 1},
	}))
	rows, err := l.AllRows(ctx, send)
	must(err)
	if r := rows[1]; r.Outcome != delivery.OutcomeSent || r.Attempts != 2 || r.MessageID != "m1" {
		t.Errorf("device 1: %+v, want sent after 2 attempts", r)
	}
	if r := rows[2]; r.Outcome != delivery.OutcomeSent || r.Attempts != 1 || r.MessageID != "m2" {
		t.Errorf("device 2: %+v, a sent row was overwritten", r)
	}
	if r := rows[3]; r.Outcome != delivery.OutcomeFailed || r.Class != delivery.BadMessage {
		t.Errorf("device 3: %+v, a failed row was overwritten", r)
	}
	var sentAt int
	must(pool.QueryRow(ctx, `SELECT count(sent_at) FROM imshift.push_ledger WHERE send_id = $1`, send).Scan(&sentAt))
	if sentAt != 2 {
		t.Errorf("%d rows with sent_at, want the 2 sent", sentAt)
	}
	other, err := l.AllRows(ctx, delivery.PushSend("c1"))
	must(err)
	if len(other) != 0 {
		t.Errorf("the ledger leaks across sends: %v", other)
	}
}

// Record rides out a database that drops every connection: the pooled
// connections are dead (a statement on one fails), yet the write lands.
func TestLedgerRecordRetriesThroughKilledConnections(t *testing.T) {
	pool, dbURL := testenv.Database(t)
	ctx := context.Background()
	conns := make([]*pgxpool.Conn, 4)
	for i := range conns {
		c, err := pool.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns[i] = c
	}
	for _, c := range conns {
		c.Release()
	}
	if n := dbfault.Terminate(t, dbURL); n < len(conns) {
		t.Fatalf("terminated %d connections, want at least %d", n, len(conns))
	}
	if _, err := pool.Exec(ctx, "SELECT 1"); err == nil {
		t.Fatal("a statement on a killed pooled connection succeeded; the test would prove nothing")
	}
	l := delivery.NewLedger(pool)
	err := l.Record(ctx, delivery.PushSend("w"), []delivery.Entry{
		{DeviceID: 1, Provider: "apns", Outcome: delivery.OutcomeSent, Class: delivery.Sent, MessageID: "id-1", Attempts: 1},
	})
	if err != nil {
		t.Fatalf("record after the connections were killed: %v", err)
	}
	rows, err := l.AllRows(ctx, delivery.PushSend("w"))
	if err != nil || rows[1].MessageID != "id-1" {
		t.Fatalf("rows = %+v, %v", rows, err)
	}
}
