package procstat

import (
	"os/exec"
	"testing"
	"time"
)

// A child that ignores the request to stop is killed once the wait is over;
// one that ends by itself is simply waited for.
func TestAwaitStop(t *testing.T) {
	hung := exec.Command("sleep", "600")
	if err := hung.Start(); err != nil {
		t.Fatal(err)
	}
	AwaitStop(hung, 100*time.Millisecond)
	if hung.ProcessState == nil || hung.ProcessState.Success() {
		t.Fatalf("the hung child was not killed: %v", hung.ProcessState)
	}
	quick := exec.Command("true")
	if err := quick.Start(); err != nil {
		t.Fatal(err)
	}
	AwaitStop(quick, time.Minute)
	if !quick.ProcessState.Success() {
		t.Fatalf("the child that ended by itself: %v", quick.ProcessState)
	}
}
