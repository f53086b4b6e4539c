package testenv

import (
	"testing"
	"time"
)

// WaitTimeout is how long WaitFor waits before it fails the test: long
// enough for a loaded 2-core CI machine; a passing test never waits it out.
const WaitTimeout = 3 * time.Minute

// WaitFor polls cond every 50 ms until it holds, failing the test with
// "timed out waiting for <what>" after WaitTimeout. It is the one polling
// loop of the tests: they wait for an event they can observe, never for a
// fixed time.
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(WaitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", WaitTimeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
