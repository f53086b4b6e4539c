// Package migration is the TrafficMigration workflow: it moves chat users
// from the legacy Socket.IO stack to OpenIM cohort by cohort (provision,
// flip, bake with health analysis, approval), rolls back or pauses on its
// own when the analysis fails, obeys the operator's signals (pause, resume,
// promote, abort, retry) in every state, and decommissions the legacy path
// at the end. docs/migration.md is the operator guide.
//
// The shape follows temporalio/samples-go safe_message_handler: all state in
// one serializable Status that continue-as-new carries, message names as
// constants, one run loop selecting over the signal channels, the operation
// in flight and a timer.
package migration

import (
	"encoding/json"
	"math"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	notifyact "github.com/imshift/imshift/activities/notify"
	"github.com/imshift/imshift/internal/cohort"
	"github.com/imshift/imshift/workflows"
	"github.com/imshift/imshift/workflows/notify"
)

// defaultContinueAsNewEvery bounds the loop iterations of one run (a few
// events each), well under the history limits.
const defaultContinueAsNewEvery = 500

// continueAsNewEvery is a variable so a test can lower it.
var continueAsNewEvery = defaultContinueAsNewEvery

// TrafficMigration runs a migration plan to its end: completed or aborted.
// The plan arrives as raw JSON (the same payload a typed Plan decoded from,
// so recorded histories replay) and is decoded strictly: an unknown field or
// a wrong type fails the run at once with InvalidPlan naming the field,
// whichever path started it (UI, temporal CLI, starter).
func TrafficMigration(ctx workflow.Context, input json.RawMessage) (Status, error) {
	m, err := newMigration(ctx, input)
	if err != nil {
		return Status{}, err
	}
	return m.run(ctx)
}

// migration is one run's view: the plan, the carried state, and what is in
// flight right now (never carried: a new run starts its own).
type migration struct {
	plan       Plan
	st         *Carried
	logger     log.Logger
	owns       bool // this run chain claims and releases run ownership
	channels   []workflow.ReceiveChannel
	updates    workflow.Channel // accepted updates, applied by the loop
	op         *operation
	timer      *timer
	iterations int
	failed     error // an operation that must not fail did: the run fails
	attrs      attrs // search attributes as last upserted
	notifier   notify.Notifier
}

type timer struct {
	at     time.Time
	future workflow.Future
	cancel workflow.CancelFunc
}

type attrs struct {
	state   State
	percent int64
}

// newMigration decodes and validates the plan (first run only: later runs
// carry a validated one), sets up the state, the signal channels and the
// status query. Nothing has a side effect before validation.
func newMigration(ctx workflow.Context, input json.RawMessage) (*migration, error) {
	var plan Plan
	decodeErr := workflows.DecodeStrict(input, &plan)
	continued := plan.Continued != nil
	m := &migration{plan: plan, logger: log.With(workflow.GetLogger(ctx), "migrationId", plan.MigrationID)}
	if continued {
		m.st = plan.Continued
		m.plan.Continued = nil
		m.st.Runs++
	} else {
		m.st = initialState(ctx, plan)
	}
	for _, v := range verbs {
		m.channels = append(m.channels, workflow.GetSignalChannelWithOptions(ctx, v.name,
			workflow.SignalChannelOptions{Description: v.description}))
	}
	m.updates = workflow.NewBufferedChannel(ctx, 100)
	if err := m.registerUpdates(ctx); err != nil {
		return nil, err
	}
	err := workflow.SetQueryHandlerWithOptions(ctx, QueryStatus, func() (Status, error) {
		return m.status(), nil
	}, workflow.QueryHandlerOptions{Description: "The migration's state, step, percent, provisioning counts, analyses, rejected signals, decommission stages and next action."})
	if err != nil {
		return nil, err
	}
	// Runs recorded before run ownership neither claim nor release.
	m.owns = workflow.GetVersion(ctx, "run-ownership", workflow.DefaultVersion, 1) == 1
	if continued {
		return m, nil
	}
	m.upsertAttributes(ctx)
	if err := m.refuseInput(ctx, decodeErr); err != nil {
		m.logger.Error("plan refused", "error", err)
		return nil, temporal.NewNonRetryableApplicationError(err.Error(), ErrInvalidPlan, nil)
	}
	return m, nil
}

// refuseInput is the first problem of the plan: undecodable, invalid, or
// started under another workflow id than migration-<migrationId>.
func (m *migration) refuseInput(ctx workflow.Context, decodeErr error) error {
	if decodeErr != nil {
		return decodeErr
	}
	if err := Validate(m.plan); err != nil {
		return err
	}
	if !m.owns {
		return nil
	}
	return workflows.CheckWorkflowID(ctx, WorkflowID(m.plan.MigrationID))
}

// status is the status query's answer.
func (m *migration) status() Status { return m.st.Status }

func initialState(ctx workflow.Context, plan Plan) *Carried {
	now := workflow.Now(ctx)
	sizes := make([]int64, len(plan.Steps))
	for i := range sizes {
		sizes[i] = -1
	}
	st := &Carried{Status: Status{
		MigrationID:     plan.MigrationID,
		State:           StateValidating,
		DryRun:          plan.DryRun,
		Steps:           len(plan.Steps),
		LastHealthyStep: -1,
		FailedStep:      -1,
		CohortSizes:     sizes,
		Routing:         Routing{LegacyPushEnabled: true, LegacyPresenceEnabled: true},
		StartedAt:       now,
		UpdatedAt:       now,
		Runs:            1,
	}}
	if len(plan.Steps) > 0 {
		st.TargetPercent = plan.Steps[0].Percent
	}
	st.Events = []Event{{At: now, State: StateValidating, Note: "started"}}
	return st
}

// run is the loop: settle the state (start what it needs), then wait for
// the operation in flight, a signal or the timer, and handle it.
func (m *migration) run(ctx workflow.Context) (Status, error) {
	if m.st.State == StateValidating {
		if err := m.begin(ctx); err != nil {
			return m.status(), err
		}
	}
	for {
		m.settle(ctx)
		if m.failed != nil {
			m.notify(ctx, m.st.State, StateFailed, m.failed.Error())
			m.release(ctx, "failed")
			return m.status(), m.failed
		}
		if m.st.State.Terminal() {
			break
		}
		if m.op == nil && m.shouldContinueAsNew(ctx) {
			if !m.drainSignals(ctx) {
				return Status{}, m.continueAsNew(ctx)
			}
			if m.settleAfterDrain(ctx) {
				continue
			}
		}
		m.publish(ctx)
		m.selectOnce(ctx)
		m.iterations++
	}
	m.drainSignals(ctx) // late signals are answered too: rejected, on the record
	if err := m.awaitHandlers(ctx); err != nil {
		return m.status(), err
	}
	m.publish(ctx)
	m.release(ctx, m.finalState())
	return m.status(), nil
}

// selectOnce waits for one event. While an operation that must not be
// interrupted (a routing flip) runs, signals wait in their channels and are
// handled in the state the flip leads to.
func (m *migration) selectOnce(ctx workflow.Context) {
	sel := workflow.NewSelector(ctx)
	if op := m.op; op != nil {
		sel.AddFuture(op.future, func(f workflow.Future) {
			m.op = nil
			op.done(ctx, f)
		})
	}
	if m.op == nil || m.op.interruptible {
		for i, ch := range m.channels {
			v := verbs[i]
			sel.AddReceive(ch, func(c workflow.ReceiveChannel, _ bool) { m.receive(ctx, v, c) })
		}
		sel.AddReceive(m.updates, func(workflow.ReceiveChannel, bool) { m.receiveUpdate(ctx) })
		if t := m.timer; t != nil {
			sel.AddFuture(t.future, func(workflow.Future) {
				if m.timer == t {
					m.timer = nil
				}
			})
		}
	}
	sel.Select(ctx)
}

// drainSignals handles every signal already delivered, so none is lost to
// continue-as-new; it reports whether there was any (then the loop goes
// round again before handing over).
func (m *migration) drainSignals(ctx workflow.Context) bool {
	handled := false
	for i, ch := range m.channels {
		for ch.Len() > 0 {
			m.receive(ctx, verbs[i], ch)
			handled = true
		}
	}
	for m.updates.Len() > 0 {
		m.receiveUpdate(ctx)
		handled = true
	}
	return handled
}

// settleAfterDrain is the versioned fix of a gap: a drained signal that
// changes the state (promote into decommissioning) must be settled before
// the loop waits, or nothing in flight ever wakes it. Version 1 goes round
// the loop again; histories recorded before went on to wait.
func (m *migration) settleAfterDrain(ctx workflow.Context) bool {
	return workflow.GetVersion(ctx, "settle-after-drain", workflow.DefaultVersion, 1) == 1
}

func (m *migration) shouldContinueAsNew(ctx workflow.Context) bool {
	return m.iterations >= continueAsNewEvery || workflow.GetInfo(ctx).GetContinueAsNewSuggested()
}

// continueAsNew hands the whole state to a new run once every update
// handler has finished. The timer is not carried: the new run sets its own
// from the absolute deadlines in the state.
func (m *migration) continueAsNew(ctx workflow.Context) error {
	if err := m.awaitHandlers(ctx); err != nil {
		return err
	}
	m.cancelTimer()
	m.publish(ctx)
	m.logger.Info("continuing as new", "runs", m.st.Runs, "state", m.st.State)
	next := m.plan
	next.Continued = m.st
	return workflow.NewContinueAsNewError(ctx, WorkflowName, next)
}

// deadlines are the absolute times the state entered waits for.
type deadlines struct {
	bakeUntil, nextAnalysis *time.Time
}

// enter is the one way from one state to another: it leaves the state it is
// in (the operation in flight is cancelled, the timer and the old state's
// deadlines dropped), enters s with its deadlines, records the event and
// tells the UI (search attributes). Every transition goes through here.
func (m *migration) enter(ctx workflow.Context, s State, d deadlines, note string) {
	prev := m.st.State
	m.cancelOp()
	m.cancelTimer()
	m.st.BakeUntil, m.st.NextAnalysisAt = d.bakeUntil, d.nextAnalysis
	m.st.State = s
	m.record(ctx, note)
	m.logger.Info("migration state", "state", s, "step", m.st.Step, "percent", m.st.Percent, "note", note)
	m.upsertAttributes(ctx)
	m.notify(ctx, prev, s, note)
}

// notify posts a transition to the operators' webhooks
// (docs/notifications.md); Step there is 1 for the first step.
func (m *migration) notify(ctx workflow.Context, prev, s State, note string) {
	m.notifier.Post(ctx, notifyact.Event{
		Kind: "migration", ID: m.plan.MigrationID, State: string(s), PreviousState: string(prev),
		Step: m.st.Step + 1, Percent: m.st.Percent, Note: note,
	})
}

// record adds an event (a state change or a decommission stage) to the status.
func (m *migration) record(ctx workflow.Context, note string) {
	now := workflow.Now(ctx)
	m.st.UpdatedAt = now
	m.st.Events = keepLast(append(m.st.Events, Event{At: now, State: m.st.State, Step: m.st.Step,
		Percent: m.st.Percent, Note: note}), keepEvents)
}

// upsertAttributes publishes kind, state, percent and id for the UI's list,
// when the state or the rounded percent changed.
func (m *migration) upsertAttributes(ctx workflow.Context) {
	a := attrs{state: m.st.State, percent: int64(math.Round(m.st.Percent))}
	if a == m.attrs {
		return
	}
	err := workflow.UpsertTypedSearchAttributes(ctx,
		workflows.KindKey.ValueSet("migration"),
		workflows.MigrationIDKey.ValueSet(m.plan.MigrationID),
		workflows.StateKey.ValueSet(string(a.state)),
		workflows.PercentKey.ValueSet(a.percent),
	)
	if err != nil {
		m.logger.Warn("search attributes not updated", "error", err)
		return
	}
	m.attrs = a
}

// threshold is the bucket threshold of step i.
func (m *migration) threshold(i int) int { return cohort.Threshold(m.plan.Steps[i].Percent) }
