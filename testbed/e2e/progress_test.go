package e2e

import (
	"testing"
	"time"

	"github.com/imshift/imshift/workflows/migration"
)

// TestProvisioningCountsRiseDuringTheStep provisions 20 000 users through a
// slow OpenIM and samples the status query while the step runs: the
// registered count rises at least twice before the step ends, never runs
// ahead of what OpenIM holds, and ends equal to it.
func TestProvisioningCountsRiseDuringTheStep(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	s.seed(20000)
	s.sim.SetLatency(500 * time.Millisecond)
	s.startWorker()
	run := s.start(s.plan(migration.Step{Percent: 100}))

	var seen []int64
	s.waitStatus("three rising registered counts during provisioning", func(st migration.Status) bool {
		if st.State != migration.StateProvisioning && st.State != migration.StateValidating {
			t.Fatalf("%s before three counts were seen: %v", st.State, seen)
		}
		n := st.Provisioning.Registered
		if held := int64(s.sim.Users()); n > held {
			t.Fatalf("status says %d registered, OpenIM holds %d", n, held)
		}
		if n > 0 && (len(seen) == 0 || n > seen[len(seen)-1]) {
			seen = append(seen, n)
		}
		return len(seen) >= 3
	})
	if seen[len(seen)-1] >= int64(len(s.users)) {
		t.Fatalf("counts %v: the step had ended, nothing was seen rising", seen)
	}
	t.Logf("registered counts seen during the step: %v of %d", seen, len(s.users))
	st := s.result(run)
	if p := st.Provisioning; p.Registered != int64(s.sim.Users()) || p.Registered != int64(len(s.users)) {
		t.Fatalf("final registered %d, OpenIM holds %d, directory %d", p.Registered, s.sim.Users(), len(s.users))
	}
}
