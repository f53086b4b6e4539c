// Package dbfault breaks a test's own PostgreSQL database the way a
// restart or a failover does: every connection to it is terminated
// (pg_terminate_backend), so the next statement on a pooled connection
// fails with "terminating connection due to administrator command".
// It touches only the database named in the URL it is given.
package dbfault

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Terminate ends every other backend connected to dbURL's database and
// returns how many it ended.
func Terminate(t testing.TB, dbURL string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatalf("dbfault: connect: %v", err)
	}
	defer conn.Close(ctx)
	var n int
	err = conn.QueryRow(ctx, `
		SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()`).Scan(&n)
	if err != nil {
		t.Fatalf("dbfault: terminate: %v", err)
	}
	return n
}
