package migration

import (
	"errors"
	"slices"
	"testing"
	"time"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"

	migact "github.com/imshift/imshift/activities/migration"
)

// runUntilHandOver executes plan in h; it returns the plan of the next run
// when the run continued as new, or nil when it ended.
func runUntilHandOver(t *testing.T, h *harness, plan Plan) *Plan {
	t.Helper()
	h.execute(plan, plan.MigrationID)
	err := h.env.GetWorkflowError()
	var can *workflow.ContinueAsNewError
	if !errors.As(err, &can) {
		if err != nil {
			t.Fatalf("run failed: %v", err)
		}
		return nil
	}
	if can.WorkflowType.Name != WorkflowName {
		t.Fatalf("continued as %q", can.WorkflowType.Name)
	}
	var next Plan
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatalf("decode continued input: %v", err)
	}
	return &next
}

func withContinueAsNewEvery(t *testing.T, n int) {
	old := continueAsNewEvery
	continueAsNewEvery = n
	t.Cleanup(func() { continueAsNewEvery = old })
}

// A migration handed over run after run ends exactly like one that never
// was: same flips, same provisioning, same final state.
func TestContinueAsNewCarriesTheWholeState(t *testing.T) {
	plan := basePlan()
	for i := range plan.Steps {
		plan.Steps[i].Approval = false
	}
	ref := newHarness(t)
	want := ref.run(plan)

	withContinueAsNewEvery(t, 4)
	var flips []float64
	provisions, runs := 0, 0
	start := ref.env.Now().Add(-24 * time.Hour)
	next := &plan
	var last *harness
	for next != nil {
		runs++
		if runs > 200 {
			t.Fatal("never ends")
		}
		h := newHarness(t)
		h.env.SetStartTime(start)
		if next.Continued != nil {
			if next.Continued.Runs != runs-1 || next.Continued.MigrationID != plan.MigrationID {
				t.Fatalf("run %d carried runs=%d id=%q", runs, next.Continued.Runs, next.Continued.MigrationID)
			}
			h.env.SetStartTime(next.Continued.UpdatedAt)
		}
		next = runUntilHandOver(t, h, *next)
		flips = append(flips, h.w.percents()...)
		provisions += len(h.w.provisions)
		last = h
	}
	var got Status
	if err := last.env.GetWorkflowResult(&got); err != nil {
		t.Fatal(err)
	}
	if runs < 5 || got.Runs != runs {
		t.Fatalf("%d runs, status says %d", runs, got.Runs)
	}
	if !slices.Equal(flips, ref.w.percents()) || provisions != len(ref.w.provisions) {
		t.Fatalf("flips %v / %d provisionings, want %v / %d", flips, provisions, ref.w.percents(), len(ref.w.provisions))
	}
	if got.State != want.State || got.Percent != want.Percent || got.MigratedUsers != want.MigratedUsers ||
		got.Provisioning.Registered != want.Provisioning.Registered || !got.StartedAt.Equal(start) {
		t.Fatalf("final %+v\nwant %+v", got, want)
	}
	if got.Decommission[2].State != StageDone {
		t.Fatalf("decommission %+v", got.Decommission)
	}
}

// A signal that arrives as a run is due to hand over (here together with
// the analysis result that ends its last iteration) is handled before the
// hand-over: the next run carries its effect, nothing is lost.
func TestContinueAsNewDrainsSignals(t *testing.T) {
	withContinueAsNewEvery(t, 2)
	first := newHarness(t)
	next := runUntilHandOver(t, first, basePlan())
	if next == nil || next.Continued.State != StateBaking {
		t.Fatalf("first run handed over %+v", next)
	}
	h := newHarness(t)
	h.env.SetStartTime(next.Continued.UpdatedAt)
	h.delay(migact.AnalyzeName, 5*time.Minute, h.w.analyzeFn)
	h.signalAt(15*time.Minute, SignalPause, PauseSignal{Reason: "handover"})
	after := runUntilHandOver(t, h, *next)
	if after == nil || after.Continued.State != StatePaused || after.Continued.Pause.Reason != "handover" {
		t.Fatalf("handed over %+v", after)
	}
	if after.Continued.Runs != 2 || after.Continued.NextAction != "wait for resume or abort" {
		t.Fatalf("runs %d, next action %q", after.Continued.Runs, after.Continued.NextAction)
	}
}
