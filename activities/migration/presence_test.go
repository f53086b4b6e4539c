package migration

import (
	"fmt"
	"slices"
	"testing"
)

func TestDeletePresenceKeysDeletesOnlyPresenceKeys(t *testing.T) {
	f := newFixture(t)
	for i := range 1500 {
		f.legacyOnline(fmt.Sprintf("u%d", i), fmt.Sprintf("s%d", i))
	}
	keep := []string{"presence", "presencex:1", "user:presence:1", "imshift:routing", "notification.push"}
	for _, k := range keep {
		must(t, f.rdb.Set(f.ctx, k, "v", 0).Err())
	}
	acts, err := New(Config{DB: f.db, Redis: f.rdb, Directory: "imshift.demo_users", ScanCount: 100})
	must(t, err)
	env := f.ts.NewTestActivityEnvironment()
	acts.Register(env)
	var res DeletePresenceProgress
	must(t, f.exec(env, DeletePresenceKeysName, DeletePresenceInput{MigrationID: "m1"}, &res))
	if !res.Done || res.Deleted != 3000 || res.Scanned != 3000 {
		t.Fatalf("result %+v", res)
	}
	left, err := f.rdb.Keys(f.ctx, "*").Result() // test-only check on a private database
	must(t, err)
	slices.Sort(left)
	slices.Sort(keep)
	if !slices.Equal(left, keep) {
		t.Fatalf("keys left %v, want %v", left, keep)
	}
	// A retried attempt whose last heartbeat said done does nothing more.
	env = f.ts.NewTestActivityEnvironment()
	acts.Register(env)
	env.SetHeartbeatDetails(res)
	var again DeletePresenceProgress
	must(t, f.exec(env, DeletePresenceKeysName, DeletePresenceInput{MigrationID: "m1"}, &again))
	if again != res {
		t.Fatalf("repeat %+v", again)
	}
}
