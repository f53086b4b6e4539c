package testenv

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// Binary builds a command of the module (e.g. "./worker") into the test's
// temporary directory and returns its path: a test that runs a process runs
// the code under test, never a stale binary from bin/.
func Binary(t testing.TB, pkg string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", path, pkg)
	cmd.Dir = ModuleRoot()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("testenv: go build %s: %v\n%s", pkg, err, out)
	}
	return path
}

// Process is a command a test started; its output goes to a log file whose
// tail the test prints if it fails.
type Process struct {
	Name string
	Log  string // stdout and stderr
	cmd  *exec.Cmd
	done chan struct{} // closed once it has ended
}

// StartProcess runs bin with args in environment env (the whole environment,
// e.g. append(os.Environ(), ...)). The test's cleanup kills it if it still
// runs.
func StartProcess(t testing.TB, name string, env []string, bin string, args ...string) *Process {
	t.Helper()
	p := &Process{Name: name, Log: filepath.Join(t.TempDir(), name+".log"), done: make(chan struct{})}
	out, err := os.Create(p.Log)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close() // the child holds its own descriptor
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = out, out
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("testenv: start %s: %v", name, err)
	}
	go func() {
		_ = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.Kill()
		if t.Failed() {
			t.Logf("%s output (last 4000 bytes of %s):\n%s", name, p.Log, p.Tail(4000))
		}
	})
	return p
}

// Kill ends the process with SIGKILL, as a crash or an OOM kill would (no
// shutdown, no last heartbeat), and waits for it. Killing an ended process
// does nothing.
func (p *Process) Kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL) // fails only if it already ended
	<-p.done
}

// Pid is the process id (the Temporal SDK's default worker identity is
// "<pid>@<host>@").
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Exited reports whether the process has ended (killed or on its own).
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Tail is the last n bytes of the process's output.
func (p *Process) Tail(n int64) string {
	f, err := os.Open(p.Log)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err.Error()
	}
	off := max(st.Size()-n, 0)
	b := make([]byte, st.Size()-off)
	_, _ = f.ReadAt(b, off)
	return string(b)
}

// FreeAddr is a loopback host:port nothing listens on (at the moment of the
// call), for a process the test starts.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testenv: free port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
