package testenv

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"

	"github.com/imshift/imshift/workflows"
)

var (
	devOnce   sync.Once
	devServer *testsuite.DevServer
	devAddr   string
	devErr    error
	// mainRuns is set by Main: a dev server started without it is never
	// stopped, and `go test` reports "Test I/O incomplete" for the package.
	mainRuns bool
)

// TemporalAddress returns the host:port of a real Temporal dev server with
// imshift's search attributes registered: IMSHIFT_TEST_TEMPORAL_ADDRESS when
// set (make test starts one for the whole run), else one started from
// bin/temporal for this test binary and stopped by Main.
func TemporalAddress(t testing.TB) string {
	t.Helper()
	if !mainRuns && os.Getenv("IMSHIFT_TEST_TEMPORAL_ADDRESS") == "" {
		t.Fatal("testenv: this package starts a Temporal dev server; add func TestMain(m *testing.M) { testenv.Main(m) } so it is stopped")
	}
	devOnce.Do(startDevServer)
	if devErr != nil {
		t.Fatalf("testenv: Temporal dev server: %v", devErr)
	}
	return devAddr
}

// Temporal returns a client on the dev server's default namespace, closed
// when the test ends.
func Temporal(t testing.TB) client.Client {
	t.Helper()
	c, err := client.Dial(client.Options{HostPort: TemporalAddress(t)})
	if err != nil {
		t.Fatalf("testenv: dial Temporal: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

// Main runs the package's tests and stops a dev server this binary started.
// Use it from TestMain: func TestMain(m *testing.M) { testenv.Main(m) }.
func Main(m *testing.M) {
	mainRuns = true
	code := m.Run()
	if devServer != nil {
		_ = devServer.Stop()
	}
	os.Exit(code)
}

func startDevServer() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	devAddr = os.Getenv("IMSHIFT_TEST_TEMPORAL_ADDRESS")
	if devAddr == "" {
		bin := filepath.Join(ModuleRoot(), "bin", "temporal")
		if _, err := os.Stat(bin); err != nil {
			devErr = err
			return
		}
		devServer, devErr = testsuite.StartDevServer(ctx, testsuite.DevServerOptions{
			ExistingPath: bin,
			LogLevel:     "error",
			Stdout:       os.Stderr,
			Stderr:       os.Stderr,
		})
		if devErr != nil {
			return
		}
		devAddr = devServer.FrontendHostPort()
	}
	c, err := client.Dial(client.Options{HostPort: devAddr})
	if err != nil {
		devErr = err
		return
	}
	defer c.Close()
	devErr = workflows.RegisterSearchAttributes(ctx, c, "default")
}

// TemporalAnswers reports whether a Temporal frontend on addr answers a
// health check: for waiting on a server a test started or restarted.
func TemporalAnswers(addr string) bool {
	c, err := client.Dial(client.Options{HostPort: addr})
	if err != nil {
		return false
	}
	defer c.Close()
	_, err = c.CheckHealth(context.Background(), &client.CheckHealthRequest{})
	return err == nil
}
