package migration

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestHealthyRunGoesStepByStepThenDecommissions(t *testing.T) {
	h := newHarness(t)
	// Step 2 (50 %) awaits approval from 2h30, step 3 (100 %) from 4h.
	var awaiting []Status
	h.at(2*time.Hour+45*time.Minute, func() { awaiting = append(awaiting, h.status()) })
	h.signalAt(3*time.Hour, SignalPromote, PromoteSignal{})
	h.at(4*time.Hour+15*time.Minute, func() { awaiting = append(awaiting, h.status()) })
	h.signalAt(4*time.Hour+30*time.Minute, SignalPromote, PromoteSignal{})
	st := h.run(basePlan())

	if st.State != StateCompleted || st.Percent != 100 || st.Step != 3 || st.LastHealthyStep != 3 {
		t.Fatalf("final: state %s percent %v step %d healthy %d", st.State, st.Percent, st.Step, st.LastHealthyStep)
	}
	if got, want := h.w.percents(), []float64{1, 10, 50, 100, 100, 100}; !slices.Equal(got, want) {
		t.Fatalf("flips %v, want %v", got, want)
	}
	for i, f := range h.w.flips[:4] {
		if !f.LegacyPushEnabled || !f.LegacyPresenceEnabled || !slices.Equal(f.AllowUsers, []string{"staff_001"}) ||
			!slices.Equal(f.DenyUsers, []string{"vip_007"}) {
			t.Fatalf("step flip %d: %+v", i, f)
		}
	}
	if f := h.w.flips[4]; f.LegacyPushEnabled || !f.LegacyPresenceEnabled {
		t.Fatalf("decommission stage 1 flip: %+v", f)
	}
	if f := h.w.flips[5]; f.LegacyPushEnabled || f.LegacyPresenceEnabled {
		t.Fatalf("decommission stage 2 flip: %+v", f)
	}
	wantSlices := [][2]int{{0, 100}, {100, 1000}, {1000, 5000}, {5000, 10000}}
	for i, p := range h.w.provisions {
		if p.FromThreshold != wantSlices[i][0] || p.ToThreshold != wantSlices[i][1] || p.IncludeAllow != (i == 0) || p.Step != i {
			t.Fatalf("provisioning %d: %+v", i, p.Cohort)
		}
	}
	if len(h.w.provisions) != 4 || h.w.deletes != 1 {
		t.Fatalf("%d provisionings, %d deletes", len(h.w.provisions), h.w.deletes)
	}
	for _, s := range st.Decommission {
		if s.State != StageDone || s.DoneAt == nil {
			t.Fatalf("stage %+v", s)
		}
	}
	if st.Decommission[2].Deleted != 42 || st.Decommission[1].Revision != 6 {
		t.Fatalf("stages %+v", st.Decommission)
	}
	if st.MigratedUsers != 10000*usersPerBucket+1 || st.Provisioning.Registered != 10000*usersPerBucket+1 {
		t.Fatalf("migrated %d, provisioning %+v", st.MigratedUsers, st.Provisioning)
	}
	if len(awaiting) != 2 || awaiting[0].State != StateAwaitingApproval || awaiting[0].Step != 2 ||
		awaiting[1].State != StateAwaitingApproval || awaiting[1].Step != 3 || awaiting[1].Percent != 100 {
		t.Fatalf("approval gates: %+v", awaiting)
	}
	if awaiting[0].NextActionAt == nil || !strings.Contains(awaiting[0].NextAction, "promote") {
		t.Fatalf("next action while awaiting: %q %v", awaiting[0].NextAction, awaiting[0].NextActionAt)
	}
	// Analyses ran on the interval, including while awaiting approval.
	if n := len(h.w.analyses); n < 3+6+6+2+6+2 {
		t.Fatalf("only %d analyses", n)
	}
	if a := st.Analyses[len(st.Analyses)-1]; a.Result != AnalysisPassed || a.Sampled != 100 || a.OpenIMOnlineRatio != 1 {
		t.Fatalf("last analysis %+v", a)
	}
	wantStates := []string{"validating", "provisioning", "baking", "awaiting_approval", "decommissioning", "completed"}
	for _, s := range wantStates {
		if !slices.Contains(h.w.states, s) {
			t.Fatalf("search attribute ImshiftState never %q: %v", s, h.w.states)
		}
	}
	if len(st.RejectedSignals) != 0 {
		t.Fatalf("rejected: %+v", st.RejectedSignals)
	}
}
