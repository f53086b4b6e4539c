package e2e

import (
	"testing"

	"github.com/imshift/imshift/internal/cohort"
	"github.com/imshift/imshift/testbed/simulator/legacy"
	"github.com/imshift/imshift/workflows/migration"
)

// TestAutomaticRollbackThenRetry: the second cohort's clients cannot reach
// OpenIM, so its analyses fail and the migration rolls back to the first
// step's percent within failureLimit+1 analyses; once the clients can come
// online, retry re-attempts the step and the migration completes.
func TestAutomaticRollbackThenRetry(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	s.seed(1500)
	s.connect(legacy.Options{SuccessRate: 1})
	s.startWorker()
	plan := s.plan(
		migration.Step{Percent: 5, Bake: "1s", Approval: true},
		migration.Step{Percent: 50, Bake: "2s"},
	)
	plan.Analysis.FailureLimit = 1
	run := s.start(plan)

	s.waitState(migration.StateAwaitingApproval, 0)
	firstCohort := s.routing()
	if err := s.pop.SetSuccessRate(0); err != nil {
		t.Fatal(err)
	}
	s.signal(migration.SignalPromote, migration.PromoteSignal{})
	st := s.waitState(migration.StateRolledBack, 1)

	r := s.routing()
	if r.BucketThreshold != cohort.Threshold(5) || r.Revision <= firstCohort.Revision+1 {
		t.Fatalf("routing after rollback: %+v (first step's revision %d)", r, firstCohort.Revision)
	}
	var failed, otherStep1 int
	for _, a := range st.Analyses {
		switch {
		case a.Step == 1 && a.Result == migration.AnalysisFailed:
			failed++
		case a.Step == 1:
			otherStep1++
		}
	}
	if failed != plan.Analysis.FailureLimit+1 || otherStep1 != 0 {
		t.Fatalf("step 1 had %d failed and %d other analyses before the rollback, want %d failed only: %+v",
			failed, otherStep1, plan.Analysis.FailureLimit+1, st.Analyses)
	}
	if st.Percent != 5 || st.FailureReason == "" {
		t.Fatalf("status after rollback: percent %v, failure %q", st.Percent, st.FailureReason)
	}
	pop := s.waitPopulation(r.Revision)
	rule := cohort.NewRule(5, nil, nil)
	wantOnOpenIM := 0
	for _, id := range s.users {
		if rule.OnOpenIM(id) {
			wantOnOpenIM++
		}
	}
	if pop.OpenIM != wantOnOpenIM || pop.Failed != 0 || s.legacyOnline() != len(s.users)-wantOnOpenIM {
		t.Fatalf("after rollback: population %+v, legacy online %d; want %d on OpenIM, the rest on Socket.IO",
			pop, s.legacyOnline(), wantOnOpenIM)
	}

	if err := s.pop.SetSuccessRate(1); err != nil {
		t.Fatal(err)
	}
	s.signal(migration.SignalRetry, nil)
	st = s.result(run)
	if st.State != migration.StateCompleted || st.Percent != 50 || s.routing().BucketThreshold != cohort.Threshold(50) {
		t.Fatalf("after retry: %s at %v%%, routing %+v", st.State, st.Percent, s.routing())
	}
	rule = cohort.NewRule(50, nil, nil)
	var moved []string
	for _, id := range s.users {
		if rule.OnOpenIM(id) {
			moved = append(moved, id)
		}
	}
	s.registeredOnce(moved)
	if pop := s.waitPopulation(s.routing().Revision); pop.OpenIM != len(moved) {
		t.Fatalf("after retry: %d clients on OpenIM, want %d", pop.OpenIM, len(moved))
	}
}
