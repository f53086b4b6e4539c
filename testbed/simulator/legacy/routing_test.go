package legacy_test

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/imshift/imshift/testbed/simulator/legacy"
	"github.com/imshift/imshift/testbed/testenv"
)

// TestResyncWithoutAnnouncement covers a missed notification: the row is
// read again on the resync interval.
func TestResyncWithoutAnnouncement(t *testing.T) {
	e := newEnv(t)
	p := e.start(legacy.Options{SuccessRate: 1, Resync: 200 * time.Millisecond})
	if err := p.Connect(e.ctx, users("demo", 50)); err != nil {
		t.Fatal(err)
	}
	waitRevision(t, p, e.flip(flip{threshold: 10000, push: true, presenceOn: true}))
	if s := p.Stats(); s.OpenIM != 50 || s.Announcements != 0 {
		t.Fatalf("stats %+v", s)
	}
}

// TestAnnouncementsOfOtherMigrationsAreIgnored: the channel is shared by
// every migration in the database.
func TestAnnouncementsOfOtherMigrationsAreIgnored(t *testing.T) {
	e := newEnv(t)
	p := e.start(legacy.Options{SuccessRate: 1})
	e.waitListening()
	rev := e.flip(flip{threshold: 100, push: true, presenceOn: true, notify: true})
	waitRevision(t, p, rev)
	if _, err := e.db.Exec(e.ctx, `SELECT pg_notify('imshift_routing', '{"migrationId":"another"}')`); err != nil {
		t.Fatal(err)
	}
	waitRevision(t, p, e.flip(flip{threshold: 200, push: true, presenceOn: true, notify: true}))
	if n := p.Stats().Announcements; n != 2 {
		t.Fatalf("%d announcements counted, want 2", n)
	}
}

// TestLegacyPresenceOffAndOn follows the decommission flag: with presence
// off the gateway writes nothing; turned on again it tracks its clients.
func TestLegacyPresenceOffAndOn(t *testing.T) {
	e := newEnv(t)
	p := e.start(legacy.Options{SuccessRate: 1})
	waitRevision(t, p, e.flip(flip{notify: true}))
	if err := p.Connect(e.ctx, users("demo", 20)); err != nil {
		t.Fatal(err)
	}
	if keys := e.presenceKeys(); len(keys) != 0 {
		t.Fatalf("presence off, yet %d keys written", len(keys))
	}
	waitRevision(t, p, e.flip(flip{push: true, presenceOn: true, notify: true}))
	if keys := e.presenceKeys(); len(keys) != 40 {
		t.Fatalf("presence on: %d keys, want 40", len(keys))
	}
	if s := p.Stats(); !s.Routing.LegacyPresenceEnabled || !s.Routing.LegacyPushEnabled || s.Legacy != 20 {
		t.Fatalf("stats %+v", s)
	}
}

// TestPresenceTTLIsRenewed checks the gateway's keep-alive.
func TestPresenceTTLIsRenewed(t *testing.T) {
	e := newEnv(t)
	p := e.start(legacy.Options{SuccessRate: 1, PresenceTTL: 9 * time.Second})
	if err := p.Connect(e.ctx, []string{"demo_000001"}); err != nil {
		t.Fatal(err)
	}
	key := legacy.UserKey("demo_000001")
	if err := e.rdb.Expire(e.ctx, key, 6*time.Second).Err(); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, "TTL renewed", func() bool { return e.rdb.TTL(e.ctx, key).Val() > 7*time.Second })
}

// TestDisconnect removes a client from whichever stack it is on.
func TestDisconnect(t *testing.T) {
	e := newEnv(t)
	p := e.start(legacy.Options{SuccessRate: 1})
	ids := users("demo", 300)
	if err := p.Connect(e.ctx, ids); err != nil {
		t.Fatal(err)
	}
	waitRevision(t, p, e.flip(flip{threshold: 5000, push: true, presenceOn: true, notify: true}))
	if s := p.Stats(); s.OpenIM == 0 || s.Legacy == 0 {
		t.Fatalf("want clients on both stacks, stats %+v", s)
	}
	if err := p.Disconnect(e.ctx, ids); err != nil {
		t.Fatal(err)
	}
	if s := p.Stats(); s.Clients != 0 || len(e.presenceKeys()) != 0 || e.sim.Counters().Online != 0 {
		t.Fatalf("after disconnect: stats %+v, %d keys, %d online in OpenIM", s, len(e.presenceKeys()), e.sim.Counters().Online)
	}
}

// TestRedisDownIsRetried: an apply that cannot reach Redis is counted and
// tried again once Redis answers.
func TestRedisDownIsRetried(t *testing.T) {
	e := newEnv(t)
	down := &switchLimiter{}
	opts := *e.rdb.Options()
	opts.Limiter = down
	e.rdb = redis.NewClient(&opts)
	t.Cleanup(func() { e.rdb.Close() })
	p := e.start(legacy.Options{SuccessRate: 1})
	ids := users("demo", 10)
	if err := p.Connect(e.ctx, ids); err != nil {
		t.Fatal(err)
	}
	down.off.Store(true)
	rev := e.flip(flip{threshold: 10000, push: true, presenceOn: true, notify: true})
	testenv.WaitFor(t, "a failed apply", func() bool { return p.Stats().Errors > 0 })
	if s := p.Stats(); s.Routing.Revision == rev || s.Legacy != len(ids) || s.LastError == "" {
		t.Fatalf("apply without Redis went through: %+v", s)
	}
	down.off.Store(false)
	waitRevision(t, p, rev)
	if s := p.Stats(); s.OpenIM != len(ids) || len(e.presenceKeys()) != 0 {
		t.Fatalf("after Redis came back: stats %+v, %d keys", s, len(e.presenceKeys()))
	}
}

// switchLimiter fails every Redis command while off is set, as an
// unreachable server would.
type switchLimiter struct{ off atomic.Bool }

func (l *switchLimiter) Allow() error {
	if l.off.Load() {
		return errors.New("redis unreachable (test)")
	}
	return nil
}

func (l *switchLimiter) ReportResult(error) {}
