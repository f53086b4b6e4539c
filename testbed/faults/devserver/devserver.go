// Package devserver runs a Temporal dev server a fault test owns: the
// pinned bin/temporal as its own process on a SQLite file, so the test can
// SIGKILL it and start it again on the same file and port, as a crashed and
// restarted Temporal cluster looks to the worker, the starter and the UI.
package devserver

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/imshift/imshift/testbed/testenv"
	"github.com/imshift/imshift/workflows"
)

// Server is one dev server process and what it needs to come back.
type Server struct {
	Addr  string // frontend host:port, the same across restarts
	ports [2]int // HTTP API and metrics
	db    string
	log   *os.File
	cmd   *exec.Cmd
}

// Start runs a dev server on free ports and a database file in a temp
// dir, registers imshift's search attributes, and stops it when the test
// ends.
func Start(t testing.TB) *Server {
	t.Helper()
	dir := t.TempDir()
	log, err := os.Create(filepath.Join(dir, "temporal.log"))
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{
		Addr:  "127.0.0.1:" + strconv.Itoa(freePort(t)),
		ports: [2]int{freePort(t), freePort(t)},
		db:    filepath.Join(dir, "temporal.db"),
		log:   log,
	}
	t.Cleanup(func() {
		s.Kill(t)
		log.Close()
	})
	s.Restart(t)
	c := s.Client(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := workflows.RegisterSearchAttributes(ctx, c, client.DefaultNamespace); err != nil {
		t.Fatalf("devserver: search attributes: %v", err)
	}
	return s
}

// Restart starts the server process (again) on the same port and database
// file and waits until it answers.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	_, port, _ := net.SplitHostPort(s.Addr)
	s.cmd = exec.Command(filepath.Join(testenv.ModuleRoot(), "bin", "temporal"), "server", "start-dev",
		"--headless", "--ip", "127.0.0.1", "--port", port,
		"--http-port", strconv.Itoa(s.ports[0]), "--metrics-port", strconv.Itoa(s.ports[1]),
		"--db-filename", s.db, "--log-level", "error",
		"--dynamic-config-value", "frontend.enableServerVersionCheck=false")
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("devserver: %v", err)
	}
	testenv.WaitFor(t, "the dev server on "+s.Addr, func() bool { return testenv.TemporalAnswers(s.Addr) })
}

// Kill SIGKILLs the server, as a crash would, and waits for it to exit.
func (s *Server) Kill(t testing.TB) {
	t.Helper()
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	_ = s.cmd.Wait()
	s.cmd = nil
}

// Client dials the server; the client outlives restarts (gRPC reconnects).
func (s *Server) Client(t testing.TB) client.Client {
	t.Helper()
	c, err := client.Dial(client.Options{HostPort: s.Addr})
	if err != nil {
		t.Fatalf("devserver: dial: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

func freePort(t testing.TB) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(fmt.Errorf("devserver: free port: %w", err))
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
