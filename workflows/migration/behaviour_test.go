package migration

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"

	migact "github.com/imshift/imshift/activities/migration"
)

// Step 1 (10 %) bakes from 30m; its analyses at 40m, 50m, 1h fail, and the
// third is over failureLimit 2: routing goes back to step 0's 1 %. Retry then
// re-attempts step 1, which passes once the cohort is online.
func TestAutomaticRollbackWithinFailureLimitThenRetry(t *testing.T) {
	h := newHarness(t)
	online := false
	h.w.analyze = func(n int) (migact.AnalyzeResult, error) {
		if n >= 3 && !online {
			return stuck(), nil
		}
		return healthy(), nil
	}
	var rolledBack Status
	h.at(65*time.Minute, func() { rolledBack = h.status(); online = true })
	h.signalAt(70*time.Minute, SignalRetry, nil)
	h.signalAt(3*time.Hour, SignalAbort, AbortSignal{Reason: "done testing"})
	st := h.run(basePlan())

	if rolledBack.State != StateRolledBack || rolledBack.Percent != 1 || rolledBack.FailedStep != 1 ||
		rolledBack.Failures != 3 || rolledBack.LastHealthyStep != 0 {
		t.Fatalf("after rollback: %s percent %v failed step %d failures %d healthy %d",
			rolledBack.State, rolledBack.Percent, rolledBack.FailedStep, rolledBack.Failures, rolledBack.LastHealthyStep)
	}
	if !strings.Contains(rolledBack.FailureReason, "3 analyses failed (failureLimit 2)") ||
		!strings.Contains(rolledBack.FailureReason, "below minOpenimOnlineRatio") {
		t.Fatalf("failure reason %q", rolledBack.FailureReason)
	}
	if rolledBack.MigratedUsers != 100*usersPerBucket+1 {
		t.Fatalf("migrated after rollback %d", rolledBack.MigratedUsers)
	}
	// The rollback is at 1h, exactly the third failure: within failureLimit+1 intervals.
	back := eventsFrom(rolledBack, time.Hour)
	if len(back) < 2 || back[0].State != StateRollingBack || back[1].State != StateRolledBack || !back[1].At.Equal(back[0].At) {
		t.Fatalf("rollback events %+v", back)
	}
	// 1, 10, back to 1, retry 10 (healthy), 50, then the abort to 0.
	if got, want := h.w.percents(), []float64{1, 10, 1, 10, 50, 0}; !slices.Equal(got, want) {
		t.Fatalf("flips %v, want %v", got, want)
	}
	if h.w.flips[2].AllowUsers == nil {
		t.Fatal("a rollback must keep the allow list")
	}
	if p := h.w.provisions[2]; p.Step != 1 || p.FromThreshold != 100 || p.ToThreshold != 1000 {
		t.Fatalf("retry provisioned %+v", p.Cohort)
	}
	if st.State != StateAborted || st.AbortReason != "done testing" {
		t.Fatalf("final %s %q", st.State, st.AbortReason)
	}
}

// A failure in the first step rolls back to 0 %, keeping the allow list.
func TestRollbackOfFirstStepGoesToZero(t *testing.T) {
	h := newHarness(t)
	h.w.analyze = func(int) (migact.AnalyzeResult, error) { return stuck(), nil }
	var rolledBack Status
	h.at(45*time.Minute, func() { rolledBack = h.status() })
	h.signalAt(50*time.Minute, SignalAbort, nil)
	h.run(basePlan())
	if rolledBack.State != StateRolledBack || rolledBack.Percent != 0 || rolledBack.MigratedUsers != 1 {
		t.Fatalf("%s %v %d", rolledBack.State, rolledBack.Percent, rolledBack.MigratedUsers)
	}
	f := h.w.flips[1]
	if f.Percent != 0 || !slices.Equal(f.AllowUsers, []string{"staff_001"}) {
		t.Fatalf("rollback flip %+v", f)
	}
}

// Errored analyses count toward consecutiveErrorLimit, never toward
// failureLimit, and a passed or failed one in between resets the run.
func TestConsecutiveErrorLimit(t *testing.T) {
	h := newHarness(t)
	// Step 0: the analyses at 10m and 20m error, the one at 30m passes.
	// Step 1 (from 30m): 40m, 50m and 1h error, 3 in a row > limit 2.
	h.w.analyze = func(n int) (migact.AnalyzeResult, error) {
		if n == 2 {
			return healthy(), nil
		}
		return unreachable()
	}
	var st Status
	h.at(65*time.Minute, func() { st = h.status() })
	h.signalAt(70*time.Minute, SignalAbort, nil)
	h.run(basePlan())
	if st.State != StateRolledBack || st.FailedStep != 1 || st.Failures != 0 || st.ConsecutiveErrors != 3 {
		t.Fatalf("%s failed step %d failures %d errors %d", st.State, st.FailedStep, st.Failures, st.ConsecutiveErrors)
	}
	if !strings.Contains(st.FailureReason, "3 analyses in a row errored (consecutiveErrorLimit 2)") ||
		!strings.Contains(st.FailureReason, "transport error") {
		t.Fatalf("reason %q", st.FailureReason)
	}
	last := st.Analyses[len(st.Analyses)-1]
	if last.Result != AnalysisErrored || last.Error == "" {
		t.Fatalf("last analysis %+v", last)
	}
}

// An errored analysis is not healthy: a bake whose last analysis errored
// does not end until one passes.
func TestBakeNeedsAPassingAnalysisToEnd(t *testing.T) {
	h := newHarness(t)
	h.w.analyze = func(n int) (migact.AnalyzeResult, error) {
		if n == 2 || n == 3 { // the analyses at 30m (bake end) and 40m
			return unreachable()
		}
		return healthy(), nil
	}
	var at45 Status
	h.at(45*time.Minute, func() { at45 = h.status() })
	h.signalAt(2*time.Hour, SignalAbort, nil)
	h.run(basePlan())
	if at45.State != StateBaking || at45.Step != 0 || at45.ConsecutiveErrors != 2 {
		t.Fatalf("at 45m: %s step %d errors %d", at45.State, at45.Step, at45.ConsecutiveErrors)
	}
	if h.w.provisions[1].Step != 1 {
		t.Fatal("step 1 never started")
	}
}

// onFailure pause keeps the routing where it is and waits; resume starts
// the bake over with fresh budgets.
func TestOnFailurePauseKeepsRoutingAndResumes(t *testing.T) {
	h := newHarness(t)
	failing := true
	h.w.analyze = func(n int) (migact.AnalyzeResult, error) {
		if failing && n >= 3 {
			return stuck(), nil
		}
		return healthy(), nil
	}
	plan := basePlan()
	plan.OnFailure = OnFailurePause
	var paused Status
	h.at(5*time.Hour, func() { paused = h.status(); failing = false })
	h.signalAt(5*time.Hour+time.Minute, SignalResume, nil)
	var resumed Status
	h.at(5*time.Hour+2*time.Minute, func() { resumed = h.status() })
	h.signalAt(9*time.Hour, SignalAbort, nil)
	h.run(plan)
	if paused.State != StatePaused || paused.Pause == nil || !paused.Pause.Automatic || paused.Pause.From != StateBaking ||
		paused.Percent != 10 {
		t.Fatalf("paused: %+v %+v", paused.State, paused.Pause)
	}
	if got := h.w.percents()[:2]; !slices.Equal(got, []float64{1, 10}) || len(h.w.flips) != 4 {
		t.Fatalf("flips %v: a pause must not flip", h.w.percents())
	}
	if resumed.State != StateBaking || resumed.Failures != 0 || resumed.BakeUntil == nil ||
		!resumed.BakeUntil.Equal(resumed.StartedAt.Add(6*time.Hour+time.Minute)) {
		t.Fatalf("resumed: %s failures %d bake until %v", resumed.State, resumed.Failures, resumed.BakeUntil)
	}
}

// A manual pause holds the routing for as long as it lasts.
func TestPauseStopsProgressAndResumeContinues(t *testing.T) {
	h := newHarness(t)
	h.signalAt(35*time.Minute, SignalPause, PauseSignal{Reason: "on-call handover"})
	var paused Status
	var flipsWhilePaused int
	h.at(10*time.Hour, func() { paused = h.status(); flipsWhilePaused = len(h.w.flips) })
	h.signalAt(10*time.Hour+time.Minute, SignalResume, nil)
	h.signalAt(20*time.Hour, SignalAbort, nil)
	st := h.run(basePlan())
	if paused.State != StatePaused || paused.Pause.Reason != "on-call handover" || paused.Pause.Automatic || paused.Percent != 10 {
		t.Fatalf("paused %s %+v at %v", paused.State, paused.Pause, paused.Percent)
	}
	if flipsWhilePaused != 2 {
		t.Fatalf("%d flips by the end of the pause, want 2", flipsWhilePaused)
	}
	if got := h.w.percents(); !slices.Equal(got[:3], []float64{1, 10, 50}) {
		t.Fatalf("flips %v", got)
	}
	if st.State != StateAborted {
		t.Fatalf("final %s", st.State)
	}
}

func TestPromoteFullJumpsToTheLastStep(t *testing.T) {
	h := newHarness(t)
	h.signalAt(5*time.Minute, SignalPromote, PromoteSignal{Full: true})
	h.signalAt(2*time.Hour, SignalPromote, PromoteSignal{})
	st := h.run(basePlan())
	if got := h.w.percents(); !slices.Equal(got, []float64{1, 100, 100, 100}) {
		t.Fatalf("flips %v", got)
	}
	if p := h.w.provisions[1]; p.Step != 3 || p.FromThreshold != 100 || p.ToThreshold != 10000 || p.IncludeAllow {
		t.Fatalf("jump provisioned %+v", p.Cohort)
	}
	if st.State != StateCompleted || st.LastHealthyStep != 3 {
		t.Fatalf("final %s healthy %d", st.State, st.LastHealthyStep)
	}
}

func TestAbortMidProvisioningAndMidBake(t *testing.T) {
	for _, c := range []struct {
		name  string
		at    time.Duration
		delay bool
		flips []float64
	}{
		{"provisioning", 10 * time.Minute, true, []float64{0}},
		{"baking", 45 * time.Minute, false, []float64{1, 10, 0}},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			if c.delay {
				h.delay(migact.ProvisionStepName, time.Hour, h.w.provision)
			}
			h.signalAt(c.at, SignalAbort, AbortSignal{Reason: "pager storm"})
			st := h.run(basePlan())
			if got := h.w.percents(); !slices.Equal(got, c.flips) {
				t.Fatalf("flips %v, want %v", got, c.flips)
			}
			f := h.w.flips[len(h.w.flips)-1]
			if f.Percent != 0 || len(f.AllowUsers) != 0 || !f.LegacyPushEnabled || !f.LegacyPresenceEnabled {
				t.Fatalf("abort flip %+v", f)
			}
			if st.State != StateAborted || st.AbortReason != "pager storm" || st.MigratedUsers != 0 || st.Percent != 0 {
				t.Fatalf("final %+v", st)
			}
			if h.w.deletes != 0 {
				t.Fatal("abort must not delete presence")
			}
		})
	}
}

// A failure while awaiting approval means the step is not healthy after
// all: the rollback goes to the step before.
func TestFailureWhileAwaitingApprovalRollsBackToPreviousStep(t *testing.T) {
	h := newHarness(t)
	// Step 2 (50 %) awaits approval from 2h30; its analyses then fail.
	h.w.analyze = func(n int) (migact.AnalyzeResult, error) {
		if n >= 15 {
			return stuck(), nil
		}
		return healthy(), nil
	}
	var st Status
	h.at(3*time.Hour+15*time.Minute, func() { st = h.status() })
	h.signalAt(3*time.Hour+20*time.Minute, SignalAbort, nil)
	h.run(basePlan())
	if st.State != StateRolledBack || st.Percent != 10 || st.FailedStep != 2 {
		t.Fatalf("%s at %v, failed step %d", st.State, st.Percent, st.FailedStep)
	}
}

func TestProvisioningFailureRollsBackWithoutFlippingTheStep(t *testing.T) {
	h := newHarness(t)
	h.env.OnActivity(migact.ProvisionStepName, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, in migact.ProvisionInput) (migact.ProvisionResult, error) {
			if in.Step == 1 {
				return migact.ProvisionResult{}, temporal.NewNonRetryableApplicationError("openim /user/user_register: errCode 1002 NoPermissionError", "OpenIMRefused", nil)
			}
			return h.w.provision(ctx, in)
		})
	var st Status
	h.at(40*time.Minute, func() { st = h.status() })
	h.signalAt(45*time.Minute, SignalAbort, nil)
	h.run(basePlan())
	if st.State != StateRolledBack || st.FailedStep != 1 || !strings.Contains(st.FailureReason, "NoPermissionError") {
		t.Fatalf("%s step %d %q", st.State, st.FailedStep, st.FailureReason)
	}
	if got := h.w.percents(); !slices.Equal(got, []float64{1, 1, 0}) {
		t.Fatalf("flips %v: step 1 must never be flipped", got)
	}
}

// Too many provisioning errors hold the flip back.
func TestProvisionErrorRatioGatesTheFlip(t *testing.T) {
	h := newHarness(t)
	h.w.provisionErrors = 50 // of 1001 users: 0.05 > 0.01
	var st Status
	h.at(time.Minute, func() { st = h.status() })
	h.signalAt(2*time.Minute, SignalAbort, nil)
	h.run(basePlan())
	if st.State != StateRolledBack || st.Percent != 0 || !strings.Contains(st.FailureReason, "exceed maxProvisionErrorRatio") {
		t.Fatalf("%s %v %q", st.State, st.Percent, st.FailureReason)
	}
	if got := h.w.percents(); !slices.Equal(got, []float64{0, 0}) {
		t.Fatalf("flips %v", got)
	}
}

// A bake shorter than the analysis interval gets one analysis at its end.
func TestShortBakeGetsOneAnalysis(t *testing.T) {
	h := newHarness(t)
	plan := basePlan()
	plan.Steps = []Step{{Percent: 5, Bake: "3m"}, {Percent: 100, Bake: "0s"}}
	plan.Decommission = false
	st := h.run(plan)
	if len(h.w.analyses) != 1 || st.State != StateCompleted || len(st.Analyses) != 1 ||
		!st.Analyses[0].At.Equal(st.StartedAt.Add(3*time.Minute)) {
		t.Fatalf("%d analyses, %+v", len(h.w.analyses), st.Analyses)
	}
	if got := h.w.percents(); !slices.Equal(got, []float64{5, 100}) {
		t.Fatalf("flips %v", got)
	}
}

func TestDryRunComputesAndChangesNothing(t *testing.T) {
	h := newHarness(t)
	plan := basePlan()
	plan.DryRun = true
	st := h.run(plan)
	if len(h.w.flips)+len(h.w.provisions)+len(h.w.analyses)+h.w.deletes != 0 || h.w.dryRuns != 1 {
		t.Fatalf("a dry run did things: %v %d %d %d", h.w.percents(), len(h.w.provisions), len(h.w.analyses), h.w.deletes)
	}
	r := st.DryRunReport
	if st.State != StateCompleted || r == nil || r.DirectoryUsers != 100000 || r.MappedIDs != 7 || len(r.Steps) != 4 {
		t.Fatalf("report %+v", r)
	}
	if s := r.Steps[1]; s.BucketThreshold != 1000 || s.Users != 10001 || s.NewUsers != 9000 {
		t.Fatalf("step 1 %+v", s)
	}
}

func TestInvalidPlanFailsBeforeAnySideEffect(t *testing.T) {
	h := newHarness(t)
	plan := basePlan()
	plan.Steps[2].Percent = 5
	h.execute(plan, plan.MigrationID)
	err := h.env.GetWorkflowError()
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || app.Type() != "InvalidPlan" || !app.NonRetryable() ||
		!strings.Contains(app.Error(), "steps[2].percent: must be greater than steps[1].percent (10)") {
		t.Fatalf("error %v", err)
	}
	if len(h.w.flips)+len(h.w.provisions)+h.w.dryRuns != 0 {
		t.Fatal("an invalid plan did something")
	}
}

func TestUndecodableSignalIsRejected(t *testing.T) {
	h := newHarness(t)
	h.signalAt(5*time.Minute, SignalPromote, "yes please")
	h.signalAt(6*time.Minute, SignalAbort, nil)
	st := h.run(basePlan())
	if len(st.RejectedSignals) != 1 || st.RejectedSignals[0].Name != SignalPromote ||
		st.RejectedSignals[0].Reason != "payload refused: input: must be an object" {
		t.Fatalf("rejected %+v", st.RejectedSignals)
	}
	if got := h.w.percents(); !slices.Equal(got, []float64{1, 0}) {
		t.Fatalf("flips %v", got)
	}
}
