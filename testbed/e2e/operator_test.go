package e2e

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/imshift/imshift/internal/cohort"
	"github.com/imshift/imshift/testbed/simulator/legacy"
	"github.com/imshift/imshift/testbed/testenv"
	"github.com/imshift/imshift/workflows/migration"
)

// TestPauseHoldsTheRoutingAndResumeContinues pauses a bake through the
// temporal CLI for longer than the bake: no flip happens until resume.
func TestPauseHoldsTheRoutingAndResumeContinues(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	s.seed(1000)
	s.connect(legacy.Options{SuccessRate: 1})
	s.startWorker()
	run := s.start(s.plan(
		migration.Step{Percent: 10, Bake: "4s"},
		migration.Step{Percent: 100, Bake: "1s"},
	))
	baking := s.waitState(migration.StateBaking, 0)
	s.cli("workflow", "signal", "--workflow-id", s.workflowID(), "--name", "pause", "--input", `{"reason":"looking at dashboards"}`)
	st := s.waitState(migration.StatePaused, 0)
	if st.Pause == nil || st.Pause.Reason != "looking at dashboards" || st.Pause.Automatic {
		t.Fatalf("pause recorded as %+v", st.Pause)
	}
	held := s.routing()
	// Without the pause, step 1 would flip once the bake has ended. The
	// explicit event: the workflow handles a (refused) retry signal after
	// the bake's end by its own clock, and still holds.
	testenv.WaitFor(t, "the paused bake's end", func() bool { return time.Now().After(*baking.BakeUntil) })
	s.signal(migration.SignalRetry, nil)
	st = s.waitStatus("the retry signal refused after the bake's end", func(st migration.Status) bool {
		n := len(st.RejectedSignals)
		return n > 0 && st.RejectedSignals[n-1].At.After(*baking.BakeUntil)
	})
	if r := s.routing(); st.State != migration.StatePaused || r.Revision != held.Revision || r.BucketThreshold != cohort.Threshold(10) {
		t.Fatalf("%s while paused, routing %+v, was %+v", st.State, r, held)
	}
	var shown migration.Status
	out := s.cli("workflow", "query", "--workflow-id", s.workflowID(), "--type", "status", "--output", "json")
	if err := json.Unmarshal([]byte(out), &struct {
		QueryResult []*migration.Status `json:"queryResult"`
	}{[]*migration.Status{&shown}}); err != nil || shown.State != migration.StatePaused {
		t.Fatalf("temporal workflow query: state %q (%v)\n%s", shown.State, err, out)
	}

	s.signal(migration.SignalResume, nil)
	st = s.result(run)
	if st.State != migration.StateCompleted || s.routing().BucketThreshold != 10000 || s.routing().Revision <= held.Revision {
		t.Fatalf("after resume: %s, routing %+v", st.State, s.routing())
	}
}

// TestPromoteSkipsTheApprovalGate promotes, through the temporal CLI, a
// step that waits for approval.
func TestPromoteSkipsTheApprovalGate(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	s.seed(1000)
	s.connect(legacy.Options{SuccessRate: 1})
	s.startWorker()
	run := s.start(s.plan(
		migration.Step{Percent: 10, Bake: "1s"},
		migration.Step{Percent: 50, Bake: "1s", Approval: true},
		migration.Step{Percent: 100},
	))
	waiting := s.waitState(migration.StateAwaitingApproval, 1)
	gate := s.routing()
	// The explicit event: two more analyses while it waits; the gate holds.
	s.waitStatus("two analyses at the approval gate", func(st migration.Status) bool {
		return st.StepAnalyses >= waiting.StepAnalyses+2
	})
	if r, st := s.routing(), s.status(); r.Revision != gate.Revision || st.State != migration.StateAwaitingApproval {
		t.Fatalf("approval gate did not hold: %s, routing %+v", st.State, r)
	}
	s.cli("workflow", "signal", "--workflow-id", s.workflowID(), "--name", "promote", "--input", `{"full":false}`)
	st := s.result(run)
	if st.State != migration.StateCompleted || s.routing().BucketThreshold != 10000 {
		t.Fatalf("after promote: %s, routing %+v", st.State, s.routing())
	}
}

// TestAbortMidProvisioning aborts while a slow OpenIM holds the second
// step's provisioning: everybody, the allow list included, goes back to
// Socket.IO.
func TestAbortMidProvisioning(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	s.seed(3000)
	s.connect(legacy.Options{SuccessRate: 1})
	s.startWorker()
	plan := s.plan(
		migration.Step{Percent: 10, Bake: "1s"},
		migration.Step{Percent: 100, Bake: "1m"},
	)
	plan.AllowUsers = []string{s.users[42]}
	run := s.start(plan)
	s.waitState(migration.StateBaking, 0)
	s.sim.SetLatency(300 * time.Millisecond)
	first := s.sim.Users()
	s.waitStatus("provisioning of step 1 under way", func(st migration.Status) bool {
		return st.State == migration.StateProvisioning && st.Step == 1 && s.sim.Users() > first
	})
	s.signal(migration.SignalAbort, migration.AbortSignal{Reason: "OpenIM is slow"})
	st := s.result(run)
	if st.State != migration.StateAborted || st.AbortReason != "OpenIM is slow" {
		t.Fatalf("ended %s, abort reason %q", st.State, st.AbortReason)
	}
	if s.sim.Users() == len(s.users) {
		t.Fatal("provisioning had finished before the abort: the test proves nothing")
	}
	s.expectAllOnLegacy()
}

// TestAbortMidBake aborts a bake: the cohort and the allow list return to
// Socket.IO.
func TestAbortMidBake(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	s.seed(1000)
	s.connect(legacy.Options{SuccessRate: 1})
	s.startWorker()
	plan := s.plan(migration.Step{Percent: 20, Bake: "1m"})
	plan.AllowUsers = []string{s.users[42]}
	run := s.start(plan)
	s.waitState(migration.StateBaking, 0)
	if pop := s.waitPopulation(s.routing().Revision); pop.OpenIM == 0 || !s.pop.OnOpenIM(s.users[42]) {
		t.Fatalf("nobody moved before the abort: %+v", pop)
	}
	s.signal(migration.SignalAbort, migration.AbortSignal{Reason: "errors in the app"})
	if st := s.result(run); st.State != migration.StateAborted {
		t.Fatalf("ended %s", st.State)
	}
	s.expectAllOnLegacy()
}

// expectAllOnLegacy checks the state after an abort: routing at 0 with no
// allow list and the legacy path on, every client back on Socket.IO with
// its presence, nobody online in OpenIM.
func (s *stack) expectAllOnLegacy() {
	s.t.Helper()
	r := s.routing()
	if r.BucketThreshold != 0 || len(r.AllowUsers) != 0 || !r.LegacyPushEnabled || !r.LegacyPresenceEnabled {
		s.t.Fatalf("routing after abort: %+v", r)
	}
	pop := s.waitPopulation(r.Revision)
	if pop.Legacy != len(s.users) || s.sim.Counters().Online != 0 {
		s.t.Fatalf("after abort: population %+v, %d online in OpenIM", pop, s.sim.Counters().Online)
	}
	if n := s.legacyOnline(); n != len(s.users) {
		s.t.Fatalf("after abort: %d of %d users hold legacy presence", n, len(s.users))
	}
	if keys := s.presenceKeys(); keys != 2*len(s.users) {
		s.t.Fatalf("after abort: %d presence keys, want %d (no stale sockets)", keys, 2*len(s.users))
	}
}
