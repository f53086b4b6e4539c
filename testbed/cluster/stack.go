package cluster

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/client"

	"github.com/imshift/imshift/testbed/simulator/simctl"
	"github.com/imshift/imshift/testbed/testenv"
)

// TaskQueue is the queue the workers of the topology poll.
const TaskQueue = "imshift-cluster"

// Stack is the production topology on one machine: the Temporal server on
// PostgreSQL, the simulator command (OpenIM, FCM, APNs) as its own process,
// imshift's database and Redis, and worker processes built from ./worker.
type Stack struct {
	Server   *Server
	Temporal client.Client
	DB       *pgxpool.Pool
	Sims     *simctl.Client
	// ProviderRate is each provider's global limit per second
	// (IMSHIFT_FCM_RATE_PER_SECOND, IMSHIFT_APNS_RATE_PER_SECOND).
	ProviderRate int
	env          []string // every worker's environment but its addresses
	worker       string   // the worker binary
	workers      []*testenv.Process
}

// NewStack starts everything but the workers and runs `worker setup`
// against it, as the Helm chart's pre-install Job does.
func NewStack(t *testing.T, providerRate int) *Stack {
	t.Helper()
	s := &Stack{ProviderRate: providerRate, worker: testenv.Binary(t, "./worker")}
	s.Server = StartServer(t)
	s.Temporal = s.Server.Client(t)
	pool, dbURL := testenv.Database(t)
	_, redisURL := testenv.Redis(t)
	s.DB = pool
	simEnv := s.startSimulator(t, testenv.Binary(t, "./testbed/simulator"))
	s.env = append(append(os.Environ(), simEnv...),
		"TEMPORAL_ADDRESS="+s.Server.Addr,
		"TEMPORAL_NAMESPACE="+client.DefaultNamespace,
		"IMSHIFT_TASK_QUEUE="+TaskQueue,
		"IMSHIFT_BUILD_ID=cluster-test",
		"IMSHIFT_DATABASE_URL="+dbURL,
		"IMSHIFT_REDIS_URL="+redisURL,
		"IMSHIFT_USER_DIRECTORY=imshift.demo_users",
		"IMSHIFT_API_TOKENS=cluster-token-0123456789",
		"IMSHIFT_FCM_RATE_PER_SECOND="+strconv.Itoa(providerRate),
		"IMSHIFT_APNS_RATE_PER_SECOND="+strconv.Itoa(providerRate),
	)
	setup := exec.Command(s.worker, "setup")
	setup.Env = s.env
	if out, err := setup.CombinedOutput(); err != nil {
		t.Fatalf("worker setup: %v\n%s", err, out)
	}
	return s
}

// startSimulator runs the simulator command on free ports and returns the
// settings it wrote for workers.
func (s *Stack) startSimulator(t *testing.T, bin string) []string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "sim")
	openim, fcm, apns := testenv.FreeAddr(t), testenv.FreeAddr(t), testenv.FreeAddr(t)
	p := testenv.StartProcess(t, "simulator", os.Environ(), bin,
		"-dir", dir, "-openim-addr", openim, "-fcm-addr", fcm, "-apns-addr", apns)
	testenv.WaitFor(t, "the simulator to write its files and serve", func() bool {
		return strings.Contains(p.Tail(4000), "simulators ready")
	})
	env, err := simctl.Env(dir)
	if err != nil {
		t.Fatal(err)
	}
	if s.Sims, err = simctl.New(filepath.Join(dir, "ca.pem"), "https://"+fcm, "https://"+apns, "http://"+openim); err != nil {
		t.Fatal(err)
	}
	return env
}

// StartWorker runs one more worker process, with API and metrics on ports
// of its own.
func (s *Stack) StartWorker(t *testing.T, name string) *testenv.Process {
	t.Helper()
	env := append(s.env[:len(s.env):len(s.env)],
		"IMSHIFT_HTTP_ADDR="+testenv.FreeAddr(t), "IMSHIFT_METRICS_ADDR="+testenv.FreeAddr(t))
	p := testenv.StartProcess(t, name, env, s.worker)
	s.workers = append(s.workers, p)
	return p
}

// Count runs a count query on imshift's database.
func (s *Stack) Count(t *testing.T, query string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := s.DB.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}
