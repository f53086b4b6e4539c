package migration

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// operation is the one activity in flight. An interruptible one is
// cancelled when a signal moves the migration elsewhere; its result is then
// never looked at.
type operation struct {
	future        workflow.Future
	cancel        workflow.CancelFunc
	interruptible bool
	done          func(ctx workflow.Context, f workflow.Future)
}

var (
	// A flip must land: it retries until it does (PostgreSQL or Redis down
	// holds the migration where it is, which is the safe place).
	flipOptions = workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second,
			NonRetryableErrorTypes: []string{"InvalidInput"},
		},
	}
	// Provisioning heartbeats every page; a worker that dies is noticed
	// within HeartbeatTimeout and the retry resumes from the last cursor.
	provisionOptions = workflow.ActivityOptions{
		StartToCloseTimeout: 24 * time.Hour,
		HeartbeatTimeout:    30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: 2 * time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute,
			MaximumAttempts: 20,
		},
	}
	// An analysis is short and retried briefly: OpenIM or Redis still down
	// after that is an errored analysis, counted toward consecutiveErrorLimit.
	analyzeOptions = workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 5 * time.Second,
			MaximumAttempts: 3,
		},
	}
	// Directory scans (dry run) and the presence key clean-up heartbeat
	// their cursor and resume from it.
	scanOptions = workflow.ActivityOptions{
		StartToCloseTimeout: 6 * time.Hour,
		HeartbeatTimeout:    30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: 2 * time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute,
		},
	}
)

// start runs activity with input and makes it the operation in flight;
// summary is what the Temporal UI shows for it.
func (m *migration) start(ctx workflow.Context, opts workflow.ActivityOptions, interruptible bool,
	activity, summary string, input any, done func(workflow.Context, workflow.Future)) {
	actx, cancel := workflow.WithCancel(ctx)
	opts.Summary = summary
	actx = workflow.WithActivityOptions(actx, opts)
	m.op = &operation{
		future:        workflow.ExecuteActivity(actx, activity, input),
		cancel:        cancel,
		interruptible: interruptible,
		done:          done,
	}
}

func (m *migration) cancelOp() {
	if m.op != nil {
		m.op.cancel()
		m.op = nil
	}
}

// ensureTimer makes sure a timer fires at `at`, replacing one set for
// another time; what says what it waits for (the UI shows it).
func (m *migration) ensureTimer(ctx workflow.Context, at time.Time, what string) {
	if m.timer != nil && m.timer.at.Equal(at) {
		return
	}
	m.cancelTimer()
	tctx, cancel := workflow.WithCancel(ctx)
	d := max(at.Sub(workflow.Now(ctx)), time.Millisecond)
	summary := fmt.Sprintf("%s until %s", what, at.UTC().Format("15:04:05 UTC"))
	m.timer = &timer{at: at, future: workflow.NewTimerWithOptions(tctx, d, workflow.TimerOptions{Summary: summary}), cancel: cancel}
}

func (m *migration) cancelTimer() {
	if m.timer != nil {
		m.timer.cancel()
		m.timer = nil
	}
}

// errText is an activity failure as an operator reads it: the cause, not the
// SDK's wrapping with event ids.
func errText(err error) string {
	var app *temporal.ApplicationError
	var timeout *temporal.TimeoutError
	switch {
	case errors.As(err, &app):
		return app.Error()
	case errors.As(err, &timeout):
		return "timed out (" + timeout.TimeoutType().String() + ")"
	}
	return err.Error()
}
