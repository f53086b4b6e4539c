package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"go.temporal.io/sdk/client"

	"github.com/imshift/imshift/testbed/rigs/devicefill"
	"github.com/imshift/imshift/testbed/simulator/simctl"
	"github.com/imshift/imshift/testbed/testenv"
	"github.com/imshift/imshift/workflows"
)

// Identity the simulator command gives its FCM project and APNs key.
const (
	simProject = "imshift-sim"
	simKeyID   = "SIMKEY0001"
	simTeamID  = "SIMTEAM001"
	simTopic   = "com.example.chat"
)

// stack is everything the measurements run on.
type stack struct {
	f        flags
	dir      string // binaries, simulator files, logs
	temporal *proc  // nil when -temporal was given
	hostPort string
	tc       client.Client
	sim      *proc
	sims     *simctl.Client
	db       *benchDB
	pool     *pgxpool.Pool
	rdb      *redis.Client
	fcmAddr  string
	apnsAddr string
	openim   string
}

func newStack(ctx context.Context, f flags) (*stack, error) {
	root, err := testenv.FindModuleRoot()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "imshift-bench-")
	if err != nil {
		return nil, err
	}
	s := &stack{f: f, dir: dir}
	logf("building worker and simulator into %s", dir)
	if err := build(ctx, root, dir, "./worker", "./testbed/simulator"); err != nil {
		return nil, err
	}
	steps := []func(context.Context, string) error{s.startTemporal, s.startSimulator, s.openDatabase, s.openRedis}
	for _, step := range steps {
		if err := step(ctx, root); err != nil {
			s.close()
			return nil, err
		}
	}
	return s, nil
}

func (s *stack) startTemporal(ctx context.Context, root string) error {
	s.hostPort = s.f.temporal
	if s.hostPort == "" {
		addr, err := freeAddr()
		if err != nil {
			return err
		}
		_, port, _ := net.SplitHostPort(addr)
		s.temporal, err = start("temporal", filepath.Join(root, "bin", "temporal"), filepath.Join(s.dir, "temporal.log"), nil,
			"server", "start-dev", "--headless", "--ip", "127.0.0.1", "--port", port, "--log-level", "error")
		if err != nil {
			return fmt.Errorf("%w (run `make tools` first)", err)
		}
		s.hostPort = addr
		if err := waitListening(ctx, addr, time.Minute); err != nil {
			return err
		}
	}
	var err error
	for range 30 { // the frontend listens before it serves
		if s.tc, err = client.DialContext(ctx, client.Options{HostPort: s.hostPort}); err == nil {
			break
		}
		time.Sleep(time.Second)
	}
	if err != nil {
		return fmt.Errorf("connect to Temporal at %s: %w", s.hostPort, err)
	}
	return workflows.RegisterSearchAttributes(ctx, s.tc, client.DefaultNamespace)
}

func (s *stack) startSimulator(ctx context.Context, _ string) error {
	addrs := make([]string, 3)
	for i := range addrs {
		a, err := freeAddr()
		if err != nil {
			return err
		}
		addrs[i] = a
	}
	s.openim, s.fcmAddr, s.apnsAddr = addrs[0], addrs[1], addrs[2]
	simDir := filepath.Join(s.dir, "sim")
	var err error
	s.sim, err = start("simulator", filepath.Join(s.dir, "simulator"), filepath.Join(s.dir, "simulator.log"), nil,
		"-dir", simDir, "-openim-addr", s.openim, "-fcm-addr", s.fcmAddr, "-apns-addr", s.apnsAddr,
		"-fcm-project", simProject, "-apns-key-id", simKeyID, "-apns-team-id", simTeamID, "-apns-topic", simTopic)
	if err != nil {
		return err
	}
	for _, a := range addrs {
		if err := waitListening(ctx, a, 30*time.Second); err != nil {
			return err
		}
	}
	s.sims, err = simctl.New(filepath.Join(simDir, "ca.pem"), "https://"+s.fcmAddr, "https://"+s.apnsAddr, "http://"+s.openim)
	return err
}

func (s *stack) openDatabase(ctx context.Context, _ string) error {
	var err error
	if s.db, err = createDB(ctx, s.f.adminDB); err != nil {
		return err
	}
	if s.pool, err = s.db.open(ctx); err != nil {
		return err
	}
	logf("seeding %d devices with COPY", s.f.devices)
	began := time.Now()
	if err := devicefill.Devices(ctx, s.pool, s.f.devices); err != nil {
		return err
	}
	logf("seeded in %v", time.Since(began).Round(time.Millisecond))
	return nil
}

func (s *stack) openRedis(ctx context.Context, _ string) error {
	opts, err := redis.ParseURL(s.f.redisURL)
	if err != nil {
		return fmt.Errorf("-redis: %w", err)
	}
	s.rdb = redis.NewClient(opts)
	return s.rdb.FlushDB(ctx).Err()
}

// benchAPIToken is the bearer token the bench's workers accept.
const benchAPIToken = "bench-api-token-0123456789"

// workerAddrs are where a worker process serves.
type workerAddrs struct {
	http, metrics string // the device and push API; /metrics and /healthz
}

// workerEnv points a worker process at the stack; the worker serves
// /metrics on addrs.metrics once it runs. The global provider
// limits are lifted: the bench measures what the pipeline can do, not the
// default quota of 10 000/s.
func (s *stack) workerEnv(taskQueue string) (env []string, addrs workerAddrs, err error) {
	if addrs.http, err = freeAddr(); err != nil {
		return nil, addrs, err
	}
	if addrs.metrics, err = freeAddr(); err != nil {
		return nil, addrs, err
	}
	simDir := filepath.Join(s.dir, "sim")
	return []string{
		"TEMPORAL_ADDRESS=" + s.hostPort,
		"IMSHIFT_TASK_QUEUE=" + taskQueue,
		"IMSHIFT_DATABASE_URL=" + s.db.url,
		"IMSHIFT_REDIS_URL=" + s.f.redisURL,
		"IMSHIFT_OPENIM_API_URL=http://" + s.openim,
		"IMSHIFT_OPENIM_SECRET=openIM123",
		"IMSHIFT_FCM_CREDENTIALS_FILE=" + filepath.Join(simDir, "fcm-service-account.json"),
		"IMSHIFT_FCM_PROJECT_ID=" + simProject,
		"IMSHIFT_FCM_ENDPOINT=https://" + s.fcmAddr,
		"IMSHIFT_FCM_RATE_PER_SECOND=" + strconv.Itoa(1_000_000),
		"IMSHIFT_APNS_KEY_FILE=" + filepath.Join(simDir, "apns-key.p8"),
		"IMSHIFT_APNS_KEY_ID=" + simKeyID,
		"IMSHIFT_APNS_TEAM_ID=" + simTeamID,
		"IMSHIFT_APNS_TOPIC=" + simTopic,
		"IMSHIFT_APNS_ENDPOINT=https://" + s.apnsAddr,
		"IMSHIFT_APNS_RATE_PER_SECOND=" + strconv.Itoa(1_000_000),
		"IMSHIFT_TLS_CA_FILE=" + filepath.Join(simDir, "ca.pem"),
		"IMSHIFT_API_TOKENS=" + benchAPIToken,
		"IMSHIFT_HTTP_ADDR=" + addrs.http,
		"IMSHIFT_METRICS_ADDR=" + addrs.metrics,
	}, addrs, nil
}

func (s *stack) close() {
	if s.tc != nil {
		s.tc.Close()
	}
	if s.rdb != nil {
		s.rdb.Close()
	}
	if s.pool != nil {
		s.pool.Close()
	}
	if s.db != nil && !s.f.keep {
		s.db.drop()
	}
	for _, p := range []*proc{s.sim, s.temporal} {
		if p != nil {
			p.stop()
		}
	}
	logf("logs of the child processes are in %s", s.dir)
}
