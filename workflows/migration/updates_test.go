package migration

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// updateOutcome collects what the test environment reports for an update.
type updateOutcome struct {
	rejected error
	status   Status
	err      error
	accepted bool
	complete bool
}

func (u *updateOutcome) Reject(err error) { u.rejected = err }
func (u *updateOutcome) Accept()          { u.accepted = true }
func (u *updateOutcome) Complete(result any, err error) {
	u.complete, u.err = true, err
	if st, ok := result.(Status); ok {
		u.status = st
	}
}

func (h *harness) updateAt(d time.Duration, name string, args ...any) *updateOutcome {
	u := &updateOutcome{}
	h.at(d, func() { h.env.UpdateWorkflow(name, name+d.String(), u, args...) })
	return u
}

// The verbs also work as Updates: the validator refuses one that does not
// fit (nothing recorded, nothing changes); an accepted one answers with the
// status after it was applied.
func TestVerbsAsUpdates(t *testing.T) {
	h := newHarness(t)
	early := h.updateAt(5*time.Minute, SignalResume)
	pause := h.updateAt(6*time.Minute, SignalPause, PauseSignal{Reason: "via update"})
	promote := h.updateAt(7*time.Minute, SignalPromote, PromoteSignal{})
	resume := h.updateAt(8*time.Minute, SignalResume)
	abort := h.updateAt(40*time.Minute, SignalAbort, AbortSignal{Reason: "done"})
	st := h.run(basePlan())

	if early.rejected == nil || !strings.Contains(early.rejected.Error(), "resume applies only while paused") || early.accepted {
		t.Fatalf("resume while baking: %+v", early)
	}
	if !pause.complete || pause.err != nil || pause.status.State != StatePaused || pause.status.Pause.Reason != "via update" {
		t.Fatalf("pause: %+v", pause)
	}
	if promote.rejected == nil || !strings.Contains(promote.rejected.Error(), "promote applies while baking") {
		t.Fatalf("promote while paused: %+v", promote)
	}
	if !resume.complete || resume.status.State != StateBaking {
		t.Fatalf("resume: %+v", resume)
	}
	if !abort.complete || abort.err != nil || abort.status.State != StateRollingBack || !abort.status.Aborting {
		t.Fatalf("abort: %+v", abort)
	}
	if st.State != StateAborted || len(st.RejectedSignals) != 0 {
		t.Fatalf("final %s, rejected %+v", st.State, st.RejectedSignals)
	}
	if got := h.w.percents(); !slices.Equal(got, []float64{1, 10, 0}) {
		t.Fatalf("flips %v", got)
	}
}
