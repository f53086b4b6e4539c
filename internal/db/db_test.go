package db_test

import (
	"context"
	"testing"

	"github.com/imshift/imshift/internal/db"
	"github.com/imshift/imshift/testbed/testenv"
)

func TestMigrateIsIdempotent(t *testing.T) {
	pool, _ := testenv.Database(t) // applies every migration once
	ctx := context.Background()
	again, err := db.Migrate(ctx, pool)
	if err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	if len(again) != 0 {
		t.Fatalf("second migrate applied %v, want nothing", again)
	}
	var n int
	err = pool.QueryRow(ctx, `SELECT count(*) FROM imshift.goose_db_version WHERE is_applied`).Scan(&n)
	if err != nil || n < 2 { // goose's own row 0 plus ours
		t.Fatalf("version table: n=%d err=%v", n, err)
	}
}
