package cluster

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/imshift/imshift/testbed/testenv"
)

// ServerVersion is the go.temporal.io/server release the pinned temporal
// CLI (Makefile TEMPORAL_CLI_VERSION v1.5.1) embeds; make test-cluster
// builds it and its SQL tool into ServerDir.
const ServerVersion = "v1.29.1"

// ServerDir holds the server binary ("server"), its SQL schema tool
// ("sql", temporal-sql-tool), the PostgreSQL v12 schema ("schema/") and
// ".built", written last.
func ServerDir() string {
	return filepath.Join(testenv.ModuleRoot(), "bin", "temporal-server-"+ServerVersion)
}

// Server is a Temporal server as production runs it: the server built
// from go.temporal.io/server with frontend, history, matching and worker
// services in one process, persistence and SQL visibility on PostgreSQL in
// two databases the test owns (schemas set up by the server's own SQL
// tool). It can be SIGKILLed and started again on the same databases and
// ports.
type Server struct {
	Addr   string // frontend gRPC host:port
	dir    string // --root; the config is dir/config/development.yaml
	proc   *testenv.Process
	Starts int // how many times the process was started
}

// StartServer sets up the databases and the config and starts the server,
// with the namespace "default" registered; the test's cleanup stops it and
// drops the databases.
func StartServer(t *testing.T) *Server {
	t.Helper()
	if _, err := os.Stat(filepath.Join(ServerDir(), ".built")); err != nil {
		t.Fatalf("cluster: %v: make test-cluster builds the Temporal server %s into %s", err, ServerVersion, ServerDir())
	}
	pg := postgresAddress(t)
	suffix := strconv.FormatInt(time.Now().UnixNano()%1e9, 36)
	persistence, visibility := "temporal_"+suffix, "temporal_visibility_"+suffix
	for db, schema := range map[string]string{persistence: "temporal", visibility: "visibility"} {
		createDatabase(t, pg, db)
		setupSchema(t, pg, db, schema)
	}
	ports := freePorts(t, 9)
	s := &Server{Addr: "127.0.0.1:" + strconv.Itoa(ports[0]), dir: t.TempDir()}
	if err := s.writeConfig(pg, persistence, visibility, ports[1:]); err != nil {
		t.Fatal(err)
	}
	s.Restart(t)
	registerNamespace(t, s.Addr, s.Client(t))
	return s
}

// Restart starts the server process (again) and waits until its frontend
// answers.
func (s *Server) Restart(t *testing.T) {
	t.Helper()
	s.Starts++
	s.proc = testenv.StartProcess(t, fmt.Sprintf("temporal-server-%d", s.Starts), os.Environ(),
		filepath.Join(ServerDir(), "server"), "--root", s.dir, "--config", "config", "--env", "development",
		"--allow-no-auth", "start")
	testenv.WaitFor(t, "the Temporal server on "+s.Addr, func() bool {
		if s.proc.Exited() {
			t.Fatalf("cluster: the Temporal server exited:\n%s", s.proc.Tail(3000))
		}
		return testenv.TemporalAnswers(s.Addr)
	})
}

// Kill SIGKILLs the server, as a crashed node looks to its clients.
func (s *Server) Kill() { s.proc.Kill() }

// Client dials the server's default namespace; gRPC reconnects across
// restarts.
func (s *Server) Client(t *testing.T) client.Client {
	t.Helper()
	c, err := client.Dial(client.Options{HostPort: s.Addr})
	if err != nil {
		t.Fatalf("cluster: dial %s: %v", s.Addr, err)
	}
	t.Cleanup(c.Close)
	return c
}

// registerNamespace creates "default" (the dev server makes it itself, a
// cluster does not) and waits until the frontend serves it.
func registerNamespace(t *testing.T, addr string, c client.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	nc, err := client.NewNamespaceClient(client.Options{HostPort: addr})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	err = nc.Register(ctx, &workflowservice.RegisterNamespaceRequest{
		Namespace: client.DefaultNamespace, WorkflowExecutionRetentionPeriod: durationpb.New(24 * time.Hour)})
	var exists *serviceerror.NamespaceAlreadyExists
	if err != nil && !errors.As(err, &exists) {
		t.Fatalf("cluster: register namespace: %v", err)
	}
	testenv.WaitFor(t, "the frontend to serve namespace default", func() bool {
		_, err := c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Namespace: client.DefaultNamespace})
		return err == nil
	})
}

// pgAddress is the machine's PostgreSQL as testenv uses it.
type pgAddress struct {
	admin            string // URL of the admin connection
	host, port, user string
	password         string
}

func postgresAddress(t *testing.T) pgAddress {
	t.Helper()
	admin := os.Getenv("IMSHIFT_TEST_DATABASE_URL")
	if admin == "" {
		admin = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("cluster: IMSHIFT_TEST_DATABASE_URL: %v", err)
	}
	pw, _ := u.User.Password()
	port := u.Port()
	if port == "" {
		port = "5432"
	}
	return pgAddress{admin: admin, host: u.Hostname(), port: port, user: u.User.Username(), password: pw}
}

// createDatabase creates db and drops it (connections and all) when the
// test ends, after the server is gone.
func createDatabase(t *testing.T, pg pgAddress, db string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, pg.admin)
	if err != nil {
		t.Fatalf("cluster: PostgreSQL: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+db); err != nil {
		t.Fatalf("cluster: create %s: %v", db, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		conn, err := pgx.Connect(ctx, pg.admin)
		if err != nil {
			t.Logf("cluster: drop %s: %v", db, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+db+" WITH (FORCE)"); err != nil {
			t.Logf("cluster: drop %s: %v", db, err)
		}
	})
}

// setupSchema runs the server's own SQL tool on db: the base version, then
// every versioned step of schema/<name> (temporal or visibility).
func setupSchema(t *testing.T, pg pgAddress, db, name string) {
	t.Helper()
	tool := filepath.Join(ServerDir(), "sql")
	common := []string{"--plugin", "postgres12", "--ep", pg.host, "--port", pg.port, "--user", pg.user,
		"--password", pg.password, "--db", db}
	for _, args := range [][]string{
		{"setup-schema", "-v", "0.0"},
		{"update-schema", "-d", filepath.Join(ServerDir(), "schema", name, "versioned")},
	} {
		out, err := exec.Command(tool, append(common, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("cluster: temporal-sql-tool %s on %s: %v\n%s", args[0], db, err, out)
		}
	}
}

// freePorts returns n distinct loopback ports free at the moment, below
// 32768: the SQL schema keeps a member's port in a smallint
// (cluster_membership.rpc_port), so ports from the kernel's ephemeral range
// make the server fail with "out of range for type smallint".
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	seen := map[int]bool{}
	var ports []int
	for tries := 0; len(ports) < n; tries++ {
		if tries > 1000 {
			t.Fatal("cluster: no free ports between 20000 and 32767")
		}
		port := 20000 + rand.IntN(12768)
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil || seen[port] {
			continue
		}
		ln.Close()
		seen[port] = true
		ports = append(ports, port)
	}
	return ports
}
