package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	migact "github.com/imshift/imshift/activities/migration"
	notifyact "github.com/imshift/imshift/activities/notify"
	"github.com/imshift/imshift/activities/openim"
	"github.com/imshift/imshift/activities/ownership"
	"github.com/imshift/imshift/internal/config"
	"github.com/imshift/imshift/testbed/simulator/legacy"
	"github.com/imshift/imshift/testbed/simulator/openimsim"
	"github.com/imshift/imshift/testbed/testenv"
	"github.com/imshift/imshift/workflows/migration"
	"github.com/imshift/imshift/workflows/notify"
)

// stack is one migration's world: its own database, Redis database, OpenIM
// simulator, task queue and migration id, on the shared Temporal server.
type stack struct {
	t           *testing.T
	ctx         context.Context
	db          *pgxpool.Pool
	dbURL       string
	rdb         *redis.Client
	redisURL    string
	sim         *openimsim.Server
	simURL      string
	tc          client.Client
	taskQueue   string
	migrationID string
	users       []string // the directory, in seeding order
	pop         *legacy.Population
}

func newStack(t *testing.T) *stack {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	t.Cleanup(cancel)
	pool, dbURL := testenv.Database(t)
	rdb, redisURL := testenv.Redis(t)
	sim := openimsim.New(openimsim.Options{})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	suffix := randomSuffix()
	return &stack{
		t: t, ctx: ctx, db: pool, dbURL: dbURL, rdb: rdb, redisURL: redisURL,
		sim: sim, simURL: srv.URL, tc: testenv.Temporal(t),
		taskQueue:   "e2e-" + suffix,
		migrationID: strings.ReplaceAll(t.Name(), "/", "-") + "-" + suffix,
	}
}

func randomSuffix() string {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// seed fills the user directory with n users: demo_000000.. and, every
// 100th, a UUID whose OpenIM id is mapped.
func (s *stack) seed(n int) {
	s.t.Helper()
	for i := range n {
		id := fmt.Sprintf("demo_%06d", i)
		if i%100 == 99 {
			id = fmt.Sprintf("6f1c2a9e-4b7d-4f0e-9a51-%012d", i)
		}
		s.users = append(s.users, id)
	}
	i := 0
	_, err := s.db.CopyFrom(s.ctx, pgx.Identifier{"imshift", "demo_users"}, []string{"user_id", "nickname", "face_url"},
		pgx.CopyFromFunc(func() ([]any, error) {
			if i == len(s.users) {
				return nil, nil
			}
			i++
			return []any{s.users[i-1], "User " + s.users[i-1], nil}, nil
		}))
	if err != nil {
		s.t.Fatal(err)
	}
}

// connect puts every directory user's client online on the legacy stack
// and follows the routing until the test ends.
func (s *stack) connect(opts legacy.Options) {
	s.t.Helper()
	opts.Redis, opts.DB, opts.MigrationID, opts.OpenIM = s.rdb, s.db, s.migrationID, s.sim
	opts.MapID = migact.OpenIMUserID
	pop, err := legacy.New(opts)
	if err != nil {
		s.t.Fatal(err)
	}
	if err := pop.Connect(s.ctx, s.users); err != nil {
		s.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(s.ctx)
	done := make(chan error, 1)
	go func() { done <- pop.Run(ctx) }()
	s.t.Cleanup(func() {
		cancel()
		<-done
	})
	s.pop = pop
}

// startWorker runs, in this process, what the worker registers for migrations.
func (s *stack) startWorker() {
	s.t.Helper()
	w := worker.New(s.tc, s.taskQueue, worker.Options{})
	acts, err := migact.New(migact.Config{
		DB: s.db, Redis: s.rdb, Directory: "imshift.demo_users",
		OpenIM: openim.New(openim.Config{BaseURL: s.simURL, AdminUserID: openimsim.DefaultAdminUserID, Secret: openimsim.DefaultSecret}),
	})
	if err != nil {
		s.t.Fatal(err)
	}
	migration.Register(w, acts)
	ownership.New(s.db, s.tc).Register(w)
	notify.Register(w, notifyact.New(config.Notify{}, nil)) // no receivers: state changes are only logged
	if err := w.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(w.Stop)
}

// plan is a plan with short bakes: analyses every 500 ms over up to 200
// users, strict health thresholds, and room for one slow start per bake.
func (s *stack) plan(steps ...migration.Step) migration.Plan {
	return migration.Plan{
		MigrationID: s.migrationID,
		Steps:       steps,
		Analysis: migration.Analysis{
			Interval: "500ms", SampleSize: 200,
			MinOpenimOnlineRatio: 0.9, MaxLegacyOnlineRatio: 0.05, MaxProvisionErrorRatio: 0.001,
			FailureLimit: 3, ConsecutiveErrorLimit: 3,
		},
		OnFailure: migration.OnFailureRollback,
	}
}

func (s *stack) workflowID() string { return migration.WorkflowID(s.migrationID) }

func (s *stack) start(plan migration.Plan) client.WorkflowRun {
	s.t.Helper()
	run, err := s.tc.ExecuteWorkflow(s.ctx, client.StartWorkflowOptions{
		ID: s.workflowID(), TaskQueue: s.taskQueue,
	}, migration.WorkflowName, plan)
	if err != nil {
		s.t.Fatal(err)
	}
	return run
}

func (s *stack) status() migration.Status {
	s.t.Helper()
	v, err := s.tc.QueryWorkflow(s.ctx, s.workflowID(), "", migration.QueryStatus)
	if err != nil {
		s.t.Fatalf("query status: %v", err)
	}
	var st migration.Status
	if err := v.Get(&st); err != nil {
		s.t.Fatal(err)
	}
	return st
}

// waitStatus polls the status query until cond holds; a terminal state
// that does not satisfy cond fails the test at once.
func (s *stack) waitStatus(what string, cond func(migration.Status) bool) migration.Status {
	s.t.Helper()
	var st migration.Status
	testenv.WaitFor(s.t, what, func() bool {
		st = s.status()
		if !cond(st) && st.State.Terminal() {
			s.t.Fatalf("waiting for %s: state %s step %d percent %v, failure %q, events %+v",
				what, st.State, st.Step, st.Percent, st.FailureReason, st.Events)
		}
		return cond(st)
	})
	return st
}

func (s *stack) waitState(state migration.State, step int) migration.Status {
	s.t.Helper()
	return s.waitStatus(fmt.Sprintf("%s at step %d", state, step), func(st migration.Status) bool {
		return st.State == state && st.Step == step
	})
}

func (s *stack) signal(name string, arg any) {
	s.t.Helper()
	if err := s.tc.SignalWorkflow(s.ctx, s.workflowID(), "", name, arg); err != nil {
		s.t.Fatalf("signal %s: %v", name, err)
	}
}

// cli runs the pinned temporal CLI against the test server, as an operator
// would type it.
func (s *stack) cli(args ...string) string {
	s.t.Helper()
	bin := filepath.Join(testenv.ModuleRoot(), "bin", "temporal")
	args = append(args, "--address", testenv.TemporalAddress(s.t))
	out, err := exec.CommandContext(s.ctx, bin, args...).CombinedOutput()
	if err != nil {
		s.t.Fatalf("temporal %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// result waits for the run's end and returns its final status.
func (s *stack) result(run client.WorkflowRun) migration.Status {
	s.t.Helper()
	var st migration.Status
	if err := run.Get(s.ctx, &st); err != nil {
		s.t.Fatalf("run failed: %v", err)
	}
	return st
}

func (s *stack) routing() legacy.Routing {
	s.t.Helper()
	r, err := legacy.ReadRouting(s.ctx, s.db, s.migrationID)
	if err != nil {
		s.t.Fatal(err)
	}
	return r
}

// waitPopulation waits until the clients are placed by routing revision rev.
func (s *stack) waitPopulation(rev int64) legacy.Stats {
	s.t.Helper()
	var st legacy.Stats
	testenv.WaitFor(s.t, fmt.Sprintf("the population to apply routing revision %d", rev), func() bool {
		st = s.pop.Stats()
		return st.Routing.Revision == rev
	})
	return st
}

// presenceKeys counts the legacy presence keys (SCAN, as production would).
func (s *stack) presenceKeys() int {
	s.t.Helper()
	n := 0
	iter := s.rdb.Scan(s.ctx, 0, "presence:*", 1000).Iterator()
	for iter.Next(s.ctx) {
		n++
	}
	if err := iter.Err(); err != nil {
		s.t.Fatal(err)
	}
	return n
}

// legacyOnline is how many directory users hold legacy presence.
func (s *stack) legacyOnline() int {
	s.t.Helper()
	cmds, err := s.rdb.Pipelined(s.ctx, func(p redis.Pipeliner) error {
		for _, id := range s.users {
			p.Exists(s.ctx, legacy.UserKey(id))
		}
		return nil
	})
	if err != nil {
		s.t.Fatal(err)
	}
	n := 0
	for _, c := range cmds {
		n += int(c.(*redis.IntCmd).Val())
	}
	return n
}

// registerCounts checks that OpenIM received exactly one user_register
// request for each of want (legacy ids) and none for anybody else.
func (s *stack) registeredOnce(want []string) {
	s.t.Helper()
	c := s.sim.Counters()
	if len(c.RegisterRequests) != len(want) || c.Users != len(want) {
		s.t.Fatalf("OpenIM saw registrations of %d ids and holds %d users, want %d", len(c.RegisterRequests), c.Users, len(want))
	}
	for _, id := range want {
		if n := c.RegisterRequests[migact.OpenIMUserID(id)]; n != 1 {
			s.t.Fatalf("user %s was sent to user_register %d times", id, n)
		}
	}
}

// countRows counts the rows of an imshift table.
func (s *stack) countRows(table string) int {
	s.t.Helper()
	var n int
	if err := s.db.QueryRow(s.ctx, "SELECT count(*) FROM imshift."+table).Scan(&n); err != nil {
		s.t.Fatal(err)
	}
	return n
}
