package migration

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	migact "github.com/imshift/imshift/activities/migration"
)

// settle starts what the state needs while nothing is in flight, and takes
// the transitions that need no waiting, until the state waits for a signal,
// the timer or an operation.
func (m *migration) settle(ctx workflow.Context) {
	for m.op == nil && m.failed == nil && !m.st.State.Terminal() {
		if !m.advance(ctx) {
			return
		}
	}
}

// advance does the next thing the state calls for; false when it waits.
func (m *migration) advance(ctx workflow.Context) bool {
	switch m.st.State {
	case StateProvisioning:
		switch {
		case m.st.StepProvisioned:
			m.startStepFlip(ctx)
		case m.st.ProvisionResume != nil && m.shouldContinueAsNew(ctx):
			return false // between pages: the next run goes on from the cursor
		default:
			m.startProvision(ctx)
		}
		return true
	case StateBaking:
		return m.bake(ctx)
	case StateAwaitingApproval:
		return m.watchApproval(ctx)
	case StateRollingBack:
		m.startRollbackFlip(ctx)
		return true
	case StateDecommissioning:
		return m.startDecommissionStage(ctx)
	}
	m.cancelTimer()
	return false
}

// enterStep starts step i, provisioning the users from bucket threshold
// `from` up to the step's.
func (m *migration) enterStep(ctx workflow.Context, i, from int, note string) {
	m.st.Step = i
	m.st.TargetPercent = m.plan.Steps[i].Percent
	m.st.ProvisionFrom = from
	m.st.StepProvisioned = false
	m.st.ProvisionResume = nil
	m.st.StepStartedAt = workflow.Now(ctx)
	m.enter(ctx, StateProvisioning, deadlines{}, note)
}

// cohort is the current step's slice.
func (m *migration) cohort() migact.Cohort {
	return migact.Cohort{
		MigrationID:   m.plan.MigrationID,
		FromThreshold: m.st.ProvisionFrom,
		ToThreshold:   m.threshold(m.st.Step),
		IncludeAllow:  m.st.ProvisionFrom == 0,
		AllowUsers:    m.plan.AllowUsers,
		DenyUsers:     m.plan.DenyUsers,
	}
}

// startProvision provisions the step's users in calls of about
// provisionPage each, so the counts in the status and the UI rise during
// the step (docs/migration.md §4). Runs recorded before provisioned a step
// in one call.
func (m *migration) startProvision(ctx workflow.Context) {
	in := migact.ProvisionInput{Cohort: m.cohort(), Step: m.st.Step}
	if workflow.GetVersion(ctx, "provision-pages", workflow.DefaultVersion, 1) == 1 {
		in.PageBudget, in.Resume = provisionPage, m.st.ProvisionResume
	}
	m.start(ctx, provisionOptions, true, migact.ProvisionStepName, "provision "+m.stepLabel(), in, m.provisioned)
}

// provisionPage is how long one provisioning call runs before it reports:
// how stale the live counts may be, and a few history events per page.
const provisionPage = 5 * time.Second

// provisioned records the outcome and holds the flip back when too many
// users could not be provisioned: they would be routed to an OpenIM that
// does not know them.
func (m *migration) provisioned(ctx workflow.Context, f workflow.Future) {
	var res migact.ProvisionResult
	if err := f.Get(ctx, &res); err != nil {
		m.fail(ctx, fmt.Sprintf("provisioning of step %d failed: %s", m.st.Step+1, errText(err)))
		return
	}
	p := &m.st.Provisioning
	p.ProvisionCounts = res.Totals
	if m.cohort().IncludeAllow {
		p.NotInDirectory = res.NotInDirectory
	}
	p.LastRun = &ProvisionRun{Step: m.st.Step, At: workflow.Now(ctx), Scanned: res.Scanned,
		Selected: res.Selected, Skipped: res.Skipped, Done: res.Done}
	if res.More {
		m.st.ProvisionResume = &res.ProvisionProgress
		return
	}
	m.st.ProvisionResume = nil
	m.st.CohortSizes[m.st.Step] = res.CohortSize
	m.st.AllowFound = res.AllowFound
	if ratio, total := errorRatio(res.Totals); ratio > m.plan.Analysis.MaxProvisionErrorRatio {
		m.fail(ctx, fmt.Sprintf("provisioning errors %d of %d users (%.4f) exceed maxProvisionErrorRatio %v",
			res.Totals.Errors, total, ratio, m.plan.Analysis.MaxProvisionErrorRatio))
		return
	}
	m.st.StepProvisioned = true
}

func (m *migration) startStepFlip(ctx workflow.Context) {
	in := m.flipInput(m.st.TargetPercent, m.plan.AllowUsers)
	m.start(ctx, flipOptions, false, migact.FlipRoutingName, fmt.Sprintf("flip routing to %v %%", in.Percent), in, func(ctx workflow.Context, f workflow.Future) {
		if !m.flipped(ctx, f, in) {
			return
		}
		m.st.MigratedUsers = m.st.CohortSizes[m.st.Step]
		m.startBake(ctx, fmt.Sprintf("routing at %v%% (revision %d)", in.Percent, m.st.Routing.Revision))
	})
}

// flipInput is a routing row with the legacy flags as they are.
func (m *migration) flipInput(percent float64, allow []string) migact.FlipInput {
	return migact.FlipInput{
		MigrationID: m.plan.MigrationID, Percent: percent,
		AllowUsers: allow, DenyUsers: m.plan.DenyUsers,
		LegacyPushEnabled: m.st.Routing.LegacyPushEnabled, LegacyPresenceEnabled: m.st.Routing.LegacyPresenceEnabled,
	}
}

// flipped records a flip's result. A flip only fails for a bug (bad input):
// the run fails then, since the routing is not known.
func (m *migration) flipped(ctx workflow.Context, f workflow.Future, in migact.FlipInput) bool {
	var res migact.FlipResult
	if err := f.Get(ctx, &res); err != nil {
		m.failed = fmt.Errorf("routing flip to %v%% failed: %w", in.Percent, err)
		return false
	}
	m.st.Percent = in.Percent
	m.st.Routing = Routing{
		Revision: res.Revision, BucketThreshold: res.BucketThreshold, AllowListed: len(in.AllowUsers),
		LegacyPushEnabled: in.LegacyPushEnabled, LegacyPresenceEnabled: in.LegacyPresenceEnabled,
	}
	return true
}

// startBake starts (or starts over) the current step's bake.
func (m *migration) startBake(ctx workflow.Context, note string) {
	now := workflow.Now(ctx)
	until := now.Add(m.plan.Steps[m.st.Step].bake())
	d := deadlines{bakeUntil: &until}
	if until.After(now) {
		next := now.Add(m.plan.Analysis.interval())
		d.nextAnalysis = &next
	}
	m.resetAnalysis()
	m.enter(ctx, StateBaking, d, note)
}

func (m *migration) resetAnalysis() {
	m.st.Failures, m.st.ConsecutiveErrors, m.st.StepAnalyses, m.st.LastAnalysisPassed = 0, 0, 0, false
}

// bake runs analyses on their interval and ends the bake once its time has
// passed and the latest analysis passed. A bake shorter than the interval
// gets one analysis at its end; a bake of 0 none.
func (m *migration) bake(ctx workflow.Context) bool {
	now := workflow.Now(ctx)
	next, until := m.st.NextAnalysisAt, *m.st.BakeUntil
	switch {
	case next != nil && !now.Before(*next):
		m.startAnalysis(ctx)
		return true
	case now.Before(until):
		at := until
		if next != nil && next.Before(at) {
			at = *next
		}
		m.ensureTimer(ctx, at, m.waitLabel(at))
		return false
	case next == nil || m.st.LastAnalysisPassed:
		m.bakeDone(ctx)
		return true
	case m.st.StepAnalyses == 0 && m.analyseAtBakeEnd(ctx):
		m.startAnalysis(ctx)
		return true
	}
	m.ensureTimer(ctx, *next, "next analysis of "+m.stepLabel()) // the latest analysis did not pass
	return false
}

// analyseAtBakeEnd is the versioned rule that a bake shorter than the
// analysis interval gets one analysis at its end (version 1); histories
// recorded before the rule ended such a bake unchecked.
func (m *migration) analyseAtBakeEnd(ctx workflow.Context) bool {
	return workflow.GetVersion(ctx, "analysis-at-bake-end", workflow.DefaultVersion, 1) == 1
}

// bakeDone moves on, or waits for approval. A step is healthy once it is
// left forward (bake passed or promoted): a failure while it awaits
// approval rolls back to the step before.
func (m *migration) bakeDone(ctx workflow.Context) {
	note := fmt.Sprintf("bake of step %d passed", m.st.Step+1)
	if m.plan.Steps[m.st.Step].Approval {
		m.enter(ctx, StateAwaitingApproval, deadlines{nextAnalysis: m.st.NextAnalysisAt}, note+"; waiting for promote")
		return
	}
	m.st.LastHealthyStep = m.st.Step
	m.nextStep(ctx, note)
}

// watchApproval keeps analysing the live cohort while it waits for promote.
func (m *migration) watchApproval(ctx workflow.Context) bool {
	next := m.st.NextAnalysisAt
	if next == nil {
		m.cancelTimer()
		return false
	}
	if !workflow.Now(ctx).Before(*next) {
		m.startAnalysis(ctx)
		return true
	}
	m.ensureTimer(ctx, *next, "approval wait of "+m.stepLabel()+"; next analysis")
	return false
}

// nextStep enters the next step, or finishes after the last.
func (m *migration) nextStep(ctx workflow.Context, note string) {
	if m.st.Step == len(m.plan.Steps)-1 {
		m.finish(ctx, note)
		return
	}
	m.enterStep(ctx, m.st.Step+1, m.threshold(m.st.Step), note)
}

// finish decommissions the legacy path if the plan says so, else completes.
func (m *migration) finish(ctx workflow.Context, note string) {
	if !m.plan.Decommission {
		m.enter(ctx, StateCompleted, deadlines{}, note+"; migration complete")
		return
	}
	m.st.Decommission = []DecommissionStep{
		{Name: StageLegacyPushOff, State: StagePending},
		{Name: StageLegacyPresenceOff, State: StagePending},
		{Name: StagePresenceKeysDeleted, State: StagePending},
	}
	m.enter(ctx, StateDecommissioning, deadlines{}, note+"; decommissioning the legacy path")
}

// fail applies onFailure: roll back to the last healthy step, or pause.
func (m *migration) fail(ctx workflow.Context, reason string) {
	m.st.FailureReason = reason
	m.st.FailedStep = m.st.Step
	if m.plan.onFailure() == OnFailurePause {
		m.pause(ctx, reason, true)
		return
	}
	m.enter(ctx, StateRollingBack, deadlines{}, "automatic rollback: "+reason)
}

// startRollbackFlip flips back to the last healthy step (0 % if none), or,
// for an abort, to 0 % with no allow list and the legacy path fully on.
func (m *migration) startRollbackFlip(ctx workflow.Context) {
	in := m.flipInput(m.healthyPercent(), m.plan.AllowUsers)
	if m.st.Aborting {
		in = m.flipInput(0, nil)
		in.LegacyPushEnabled, in.LegacyPresenceEnabled = true, true
	}
	m.start(ctx, flipOptions, false, migact.FlipRoutingName, fmt.Sprintf("flip routing to %v %%", in.Percent), in, func(ctx workflow.Context, f workflow.Future) {
		if !m.flipped(ctx, f, in) {
			return
		}
		note := fmt.Sprintf("routing back at %v%% (revision %d)", in.Percent, m.st.Routing.Revision)
		if m.st.Aborting {
			m.st.MigratedUsers = 0
			m.enter(ctx, StateAborted, deadlines{}, note)
			return
		}
		m.st.MigratedUsers = m.healthyCohort()
		m.enter(ctx, StateRolledBack, deadlines{}, note+"; waiting for retry or abort")
	})
}

func (m *migration) healthyPercent() float64 {
	if h := m.st.LastHealthyStep; h >= 0 {
		return m.plan.Steps[h].Percent
	}
	return 0
}

func (m *migration) healthyCohort() int64 {
	if h := m.st.LastHealthyStep; h >= 0 {
		return max(m.st.CohortSizes[h], 0) // unknown (-1) for a step a resumed run did not provision
	}
	return m.st.AllowFound
}

// pause holds the migration; routing stays as it is.
func (m *migration) pause(ctx workflow.Context, reason string, automatic bool) {
	m.st.Pause = &Pause{Reason: reason, At: workflow.Now(ctx), From: m.st.State, Automatic: automatic}
	note := "paused"
	if automatic {
		note = "automatic pause"
	}
	if reason != "" {
		note += ": " + reason
	}
	m.enter(ctx, StatePaused, deadlines{}, note)
}

// resume returns to where pause left: provisioning goes on (skipping users
// done), a bake starts over, an approval wait goes on analysing.
func (m *migration) resume(ctx workflow.Context) {
	from := m.st.Pause.From
	m.st.Pause = nil
	switch from {
	case StateBaking:
		m.startBake(ctx, "resumed; the bake starts over")
	case StateAwaitingApproval:
		m.resetAnalysis()
		next := workflow.Now(ctx).Add(m.plan.Analysis.interval())
		m.enter(ctx, StateAwaitingApproval, deadlines{nextAnalysis: &next}, "resumed")
	default:
		m.enter(ctx, StateProvisioning, deadlines{}, "resumed")
	}
}

// promote skips the current bake or approval; full jumps to the last step.
// The step promoted from counts as healthy: the operator vouched for it.
func (m *migration) promote(ctx workflow.Context, full bool) {
	last := len(m.plan.Steps) - 1
	live := m.st.State != StateProvisioning
	if live {
		m.st.LastHealthyStep = m.st.Step
	}
	if full && m.st.Step < last {
		from := m.st.ProvisionFrom
		if live {
			from = m.threshold(m.st.Step)
		}
		m.enterStep(ctx, last, from, "promoted (full) to the last step")
		return
	}
	m.nextStep(ctx, fmt.Sprintf("step %d promoted", m.st.Step+1))
}

// abort takes everyone back to Socket.IO and ends the run.
func (m *migration) abort(ctx workflow.Context, reason string) {
	m.st.AbortReason = reason
	m.st.Aborting = true
	m.st.Pause = nil
	note := "abort"
	if reason != "" {
		note += ": " + reason
	}
	m.enter(ctx, StateRollingBack, deadlines{}, note)
}

// retry re-attempts the step that failed, from its provisioning (users
// already done are skipped).
func (m *migration) retry(ctx workflow.Context) {
	step := m.st.FailedStep
	m.st.FailedStep = -1
	m.enterStep(ctx, step, m.st.ProvisionFrom, fmt.Sprintf("retry of step %d", step+1))
}

// refreshNextAction says what happens next and when, for the status.
func (m *migration) refreshNextAction() {
	st := m.st
	var action string
	var when *time.Time
	switch st.State {
	case StateProvisioning:
		action = fmt.Sprintf("provision the users of step %d (%v%%)", st.Step+1, st.TargetPercent)
		if st.StepProvisioned {
			action = fmt.Sprintf("flip routing to %v%%", st.TargetPercent)
		}
	case StateBaking:
		action, when = fmt.Sprintf("end the bake of step %d", st.Step+1), st.BakeUntil
		if st.NextAnalysisAt != nil && (st.BakeUntil == nil || st.NextAnalysisAt.Before(*st.BakeUntil)) {
			action, when = "analyse the cohort's health", st.NextAnalysisAt
		}
	case StateAwaitingApproval:
		// The time is the next analysis's, not promote's: promote comes from a person.
		action, when = fmt.Sprintf("analyse the cohort again (step %d waits for promote)", st.Step+1), st.NextAnalysisAt
	case StatePaused:
		action = "wait for resume or abort"
	case StateRollingBack:
		action = fmt.Sprintf("flip routing back to %v%%", m.healthyPercent())
		if st.Aborting {
			action = "flip routing to 0% (abort)"
		}
	case StateRolledBack:
		action = fmt.Sprintf("wait for retry (of step %d) or abort", st.FailedStep+1)
	case StateDecommissioning:
		action = "decommission stage " + m.currentStage()
	case StateValidating:
		action = "compute the dry run's cohort sizes"
	}
	st.NextAction, st.NextActionAt = action, when
}
