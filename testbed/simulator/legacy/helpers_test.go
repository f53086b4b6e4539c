package legacy_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/imshift/imshift/testbed/simulator/legacy"
	"github.com/imshift/imshift/testbed/simulator/openimsim"
	"github.com/imshift/imshift/testbed/testenv"
)

const migrationID = "unit-legacy"

type env struct {
	t   *testing.T
	ctx context.Context
	db  *pgxpool.Pool
	rdb *redis.Client
	sim *openimsim.Server
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	pool, _ := testenv.Database(t)
	rdb, _ := testenv.Redis(t)
	return &env{t: t, ctx: ctx, db: pool, rdb: rdb, sim: openimsim.New(openimsim.Options{})}
}

// start runs a population until the test ends.
func (e *env) start(opts legacy.Options) *legacy.Population {
	e.t.Helper()
	opts.Redis, opts.DB, opts.MigrationID, opts.OpenIM = e.rdb, e.db, migrationID, e.sim
	p, err := legacy.New(opts)
	if err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	e.t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			e.t.Errorf("Run: %v", err)
		}
	})
	return p
}

// flip writes the routing row and announces it, as the migration's routing
// activity does; notify=false leaves the change to the resync.
type flip struct {
	threshold        int
	allow, deny      []string
	push, presenceOn bool
	notify           bool
}

func (e *env) flip(f flip) int64 {
	e.t.Helper()
	var rev int64
	err := e.db.QueryRow(e.ctx, `
		INSERT INTO imshift.routing AS r (migration_id, percent, bucket_threshold, allow_users,
			deny_users, revision, legacy_push_enabled, legacy_presence_enabled, updated_at)
		VALUES ($1, $2::numeric / 100, $2, $3, $4, 1, $5, $6, now())
		ON CONFLICT (migration_id) DO UPDATE SET percent = EXCLUDED.percent,
			bucket_threshold = EXCLUDED.bucket_threshold, allow_users = EXCLUDED.allow_users,
			deny_users = EXCLUDED.deny_users, revision = r.revision + 1,
			legacy_push_enabled = EXCLUDED.legacy_push_enabled,
			legacy_presence_enabled = EXCLUDED.legacy_presence_enabled, updated_at = now()
		RETURNING revision`,
		migrationID, f.threshold, nonNil(f.allow), nonNil(f.deny), f.push, f.presenceOn).Scan(&rev)
	if err != nil {
		e.t.Fatal(err)
	}
	if f.notify {
		payload := fmt.Sprintf(`{"migrationId":%q,"revision":%d}`, migrationID, rev)
		if _, err := e.db.Exec(e.ctx, "SELECT pg_notify('imshift_routing', $1)", payload); err != nil {
			e.t.Fatal(err)
		}
	}
	return rev
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// waitRevision waits until the population placed its clients by rev.
func waitRevision(t *testing.T, p *legacy.Population, rev int64) {
	t.Helper()
	testenv.WaitFor(t, fmt.Sprintf("revision %d applied", rev), func() bool { return p.Stats().Routing.Revision == rev })
}

// waitListening waits until a session of the test database listens on the
// routing channel (its last statement stays visible while it waits).
func (e *env) waitListening() {
	e.t.Helper()
	testenv.WaitFor(e.t, "LISTEN", func() bool {
		var n int
		err := e.db.QueryRow(e.ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND query = 'LISTEN imshift_routing'`).Scan(&n)
		return err == nil && n > 0
	})
}

// sockets returns the members of the user's presence set.
func (e *env) sockets(userID string) []string {
	e.t.Helper()
	m, err := e.rdb.SMembers(e.ctx, legacy.UserKey(userID)).Result()
	if err != nil {
		e.t.Fatal(err)
	}
	return m
}

func (e *env) presenceKeys() []string {
	e.t.Helper()
	var keys []string
	iter := e.rdb.Scan(e.ctx, 0, "presence:*", 1000).Iterator()
	for iter.Next(e.ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		e.t.Fatal(err)
	}
	return keys
}

func users(prefix string, n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%s_%06d", prefix, i)
	}
	return ids
}
