package migration

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"github.com/imshift/imshift/activities/openim"
	"github.com/imshift/imshift/testbed/simulator/openimsim"
	"github.com/imshift/imshift/testbed/testenv"
)

// fixture is a real PostgreSQL database, a real Redis database and the
// OpenIM simulator over HTTP, with the activities wired to them.
type fixture struct {
	t     *testing.T
	ctx   context.Context
	db    *pgxpool.Pool
	dbURL string
	rdb   *redis.Client
	sim   *openimsim.Server
	acts  *Activities
	ts    testsuite.WorkflowTestSuite
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	pool, url := testenv.Database(t)
	rdb, _ := testenv.Redis(t)
	sim := openimsim.New(openimsim.Options{})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	client := openim.New(openim.Config{BaseURL: srv.URL, AdminUserID: openimsim.DefaultAdminUserID, Secret: openimsim.DefaultSecret})
	acts, err := New(Config{DB: pool, Redis: rdb, OpenIM: client, Directory: "imshift.demo_users", PageSize: 50, TokenWorkers: 8})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	f := &fixture{t: t, ctx: ctx, db: pool, dbURL: url, rdb: rdb, sim: sim, acts: acts}
	f.ts.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	return f
}

// env is a fresh activity environment with the activities registered.
func (f *fixture) env() *testsuite.TestActivityEnvironment {
	env := f.ts.NewTestActivityEnvironment()
	f.acts.Register(env)
	return env
}

// exec runs the activity called name with in, decoding its result into out.
func (f *fixture) exec(env *testsuite.TestActivityEnvironment, name string, in, out any) error {
	v, err := env.ExecuteActivity(name, in)
	if err != nil {
		return err
	}
	return v.Get(out)
}

// seedUsers adds ids to the demo directory, nickname "Nick <id>".
func (f *fixture) seedUsers(ids ...string) {
	f.t.Helper()
	rows := make([][]any, len(ids))
	for i, id := range ids {
		rows[i] = []any{id, "Nick " + id, "https://cdn.example/" + id + ".png"}
	}
	_, err := f.db.CopyFrom(f.ctx, pgx.Identifier{"imshift", "demo_users"}, []string{"user_id", "nickname", "face_url"}, pgx.CopyFromRows(rows))
	if err != nil {
		f.t.Fatalf("seed users: %v", err)
	}
}

// numbered is n user ids u00000, u00001, ...
func numbered(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("u%05d", i)
	}
	return ids
}

// device registers a push token in the device registry.
func (f *fixture) device(user, platform, provider, token string, lastSeen time.Time, invalidated bool) {
	f.t.Helper()
	var inv any
	if invalidated {
		inv = lastSeen
	}
	_, err := f.db.Exec(f.ctx, `
		INSERT INTO imshift.devices (user_id, platform, provider, token, last_seen_at, invalidated_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, user, platform, provider, token, lastSeen, inv)
	if err != nil {
		f.t.Fatalf("device: %v", err)
	}
}

// rows counts the rows a query returns for this migration.
func (f *fixture) count(query string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.db.QueryRow(f.ctx, query, args...).Scan(&n); err != nil {
		f.t.Fatalf("%s: %v", query, err)
	}
	return n
}
