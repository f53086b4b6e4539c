package procstat

import (
	"os/exec"
	"time"
)

// AwaitStop waits for a child the bench has asked to stop (a signal, its
// stdin closed) and kills it if it takes longer than within, so a hung
// child never hangs the bench. It returns once the child has ended.
func AwaitStop(cmd *exec.Cmd, within time.Duration) {
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(within):
		_ = cmd.Process.Kill()
		<-done
	}
}
