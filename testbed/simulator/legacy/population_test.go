package legacy_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/imshift/imshift/internal/cohort"
	"github.com/imshift/imshift/testbed/simulator/legacy"
	"github.com/imshift/imshift/testbed/testenv"
)

// TestConnectWritesGatewayPresence checks the key layout and TTL a legacy
// gateway writes on connect.
func TestConnectWritesGatewayPresence(t *testing.T) {
	e := newEnv(t)
	p := e.start(legacy.Options{SuccessRate: 1})
	if err := p.Connect(e.ctx, []string{"demo_000001", "demo_000001", "demo_000002"}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"demo_000001", "demo_000002"} {
		socks := e.sockets(id)
		if len(socks) != 1 {
			t.Fatalf("%s: presence set %v, want one socket", id, socks)
		}
		owner, err := e.rdb.Get(e.ctx, legacy.SocketKey(socks[0])).Result()
		if err != nil || owner != id {
			t.Fatalf("%s: socket key holds %q (%v)", id, owner, err)
		}
		for _, key := range []string{legacy.UserKey(id), legacy.SocketKey(socks[0])} {
			ttl := e.rdb.TTL(e.ctx, key).Val()
			if ttl <= 59*time.Minute || ttl > time.Hour {
				t.Errorf("%s TTL %v, want about one hour", key, ttl)
			}
		}
	}
	if s := p.Stats(); s.Clients != 2 || s.Legacy != 2 || s.OpenIM != 0 {
		t.Fatalf("stats %+v", s)
	}
}

// TestFlipMovesCohortAndRollbackReturnsIt follows one cohort to OpenIM and
// back, with a UUID user whose OpenIM id is mapped.
func TestFlipMovesCohortAndRollbackReturnsIt(t *testing.T) {
	e := newEnv(t)
	mapped := map[string]string{}
	p := e.start(legacy.Options{SuccessRate: 1, MoveDelay: 100 * time.Millisecond,
		MapID: func(id string) string {
			out := "m_" + id
			mapped[out] = id
			return out
		}})
	ids := append(users("demo", 400), "6f1c2a9e-4b7d-4f0e-9a51-2c3d4e5f6a7b")
	if err := p.Connect(e.ctx, ids); err != nil {
		t.Fatal(err)
	}
	rule := cohort.NewRule(25, []string{"demo_000399"}, []string{"demo_000000"})
	rev := e.flip(flip{threshold: 2500, allow: []string{"demo_000399"}, deny: []string{"demo_000000"},
		push: true, presenceOn: true, notify: true})
	waitRevision(t, p, rev)
	moved := 0
	for _, id := range ids {
		online := e.sim.User("m_" + id).OnlinePlatformIDs
		switch rule.OnOpenIM(id) {
		case true:
			moved++
			if len(e.sockets(id)) != 0 || !slices.Equal(online, []int32{legacy.DefaultPlatformID}) {
				t.Fatalf("%s in the cohort: sockets %v, OpenIM platforms %v", id, e.sockets(id), online)
			}
		default:
			if len(e.sockets(id)) != 1 || len(online) != 0 {
				t.Fatalf("%s outside the cohort: sockets %v, OpenIM platforms %v", id, e.sockets(id), online)
			}
		}
	}
	if moved < 50 || moved > 150 {
		t.Fatalf("%d of %d moved at 25 %%", moved, len(ids))
	}
	if s := p.Stats(); s.OpenIM != moved || s.MovedToOpenIM != int64(moved) || s.Legacy != len(ids)-moved {
		t.Fatalf("stats %+v, moved %d", s, moved)
	}

	rev = e.flip(flip{push: true, presenceOn: true, notify: true})
	waitRevision(t, p, rev)
	if got := e.sim.Counters().Online; got != 0 {
		t.Fatalf("%d users still online in OpenIM after rollback", got)
	}
	if keys := e.presenceKeys(); len(keys) != 2*len(ids) {
		t.Fatalf("%d presence keys after rollback, want %d (no stale sockets)", len(keys), 2*len(ids))
	}
	if s := p.Stats(); s.Legacy != len(ids) || s.ReturnedToLegacy != int64(moved) {
		t.Fatalf("stats after rollback %+v", s)
	}
}

// TestFailedClientsComeOnlineWhenRateRises makes a cohort fail to reach
// OpenIM, then lets it succeed.
func TestFailedClientsComeOnlineWhenRateRises(t *testing.T) {
	e := newEnv(t)
	p := e.start(legacy.Options{SuccessRate: 0})
	ids := users("demo", 200)
	if err := p.Connect(e.ctx, ids); err != nil {
		t.Fatal(err)
	}
	waitRevision(t, p, e.flip(flip{threshold: 10000, push: true, presenceOn: true, notify: true}))
	if s := p.Stats(); s.Failed != len(ids) || s.OpenIM != 0 || len(e.presenceKeys()) != 0 {
		t.Fatalf("at rate 0: stats %+v, %d presence keys", s, len(e.presenceKeys()))
	}
	if err := p.SetSuccessRate(0.5); err != nil {
		t.Fatal(err)
	}
	half := p.Stats().OpenIM
	if half < 70 || half > 130 || e.sim.Counters().Online != half {
		t.Fatalf("at rate 0.5: %d clients online, OpenIM sees %d", half, e.sim.Counters().Online)
	}
	if err := p.SetSuccessRate(1); err != nil {
		t.Fatal(err)
	}
	if s := p.Stats(); s.OpenIM != len(ids) || e.sim.Counters().Online != len(ids) {
		t.Fatalf("at rate 1: stats %+v", s)
	}
	if err := p.SetSuccessRate(1.5); err == nil {
		t.Fatal("rate 1.5 accepted")
	}
}

// TestSuccessShareIsStable checks that the same users fail on every run
// and that the share is not the cohort's.
func TestSuccessShareIsStable(t *testing.T) {
	e := newEnv(t)
	ids := users("demo", 1000)
	online := func() []string {
		p, err := legacy.New(legacy.Options{Redis: e.rdb, DB: e.db, MigrationID: migrationID,
			OpenIM: e.sim, SuccessRate: 0.3})
		if err != nil {
			t.Fatal(err)
		}
		e.sim.Reset()
		e.flip(flip{threshold: 10000, push: true, presenceOn: true})
		ctx, cancel := context.WithCancel(e.ctx)
		done := make(chan error, 1)
		go func() { done <- p.Run(ctx) }()
		defer func() { cancel(); <-done }()
		testenv.WaitFor(t, "initial routing applied", func() bool { return p.Stats().Routing.BucketThreshold == 10000 })
		if err := p.Connect(e.ctx, ids); err != nil {
			t.Fatal(err)
		}
		var on []string
		for _, id := range ids {
			if p.OnOpenIM(id) {
				on = append(on, id)
			}
		}
		return on
	}
	first, second := online(), online()
	if !slices.Equal(first, second) || len(first) < 250 || len(first) > 350 {
		t.Fatalf("runs put %d and %d users online, want the same ~300", len(first), len(second))
	}
	lowBuckets := 0
	for _, id := range first {
		if cohort.Bucket(id) < 3000 {
			lowBuckets++
		}
	}
	if lowBuckets > len(first)/2 {
		t.Fatalf("%d of %d successful users are in the lowest 30 %% of buckets: share follows the cohort", lowBuckets, len(first))
	}
}
