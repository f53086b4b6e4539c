package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/imshift/imshift/testbed/bench/procstat"
	"github.com/imshift/imshift/testbed/simulator/openimsim"
)

// serveOpenIM is the child process: an OpenIM simulator on addr. It prints
// its URL on the first line of stdout and serves until stdin closes (the
// parent went away) or ctx ends.
func serveOpenIM(ctx context.Context, addr string, latency time.Duration) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: openimsim.New(openimsim.Options{Latency: latency}), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		_, _ = bufio.NewReader(os.Stdin).ReadString(0) // returns when stdin closes
		_ = srv.Close()
	}()
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	fmt.Printf("http://%s\n", ln.Addr())
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// child is the simulator process started by the bench.
type child struct {
	cmd   *exec.Cmd
	stdin interface{ Close() error }
	url   string
}

func startChild(latency time.Duration) (*child, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "-serve-openim", "127.0.0.1:0", "-openim-latency", latency.String())
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("OpenIM simulator child did not start: %w", err)
	}
	return &child{cmd: cmd, stdin: stdin, url: strings.TrimSpace(line)}, nil
}

func (c *child) stop() {
	_ = c.stdin.Close()
	procstat.AwaitStop(c.cmd, 10*time.Second)
}

// simCounters reads the simulator's summary counters.
func simCounters(ctx context.Context, base string) (openimsim.Counters, error) {
	var c openimsim.Counters
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base, "/")+"/_sim/counters?summary=1", nil)
	if err != nil {
		return c, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return c, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return c, fmt.Errorf("simulator counters: HTTP %d", resp.StatusCode)
	}
	return c, json.NewDecoder(resp.Body).Decode(&c)
}
