package migration

import (
	"go.temporal.io/sdk/workflow"
)

// Names of the workflow, its signals and its query: the operator contract.
const (
	WorkflowName  = "TrafficMigration"
	SignalPause   = "pause"
	SignalResume  = "resume"
	SignalPromote = "promote"
	SignalAbort   = "abort"
	SignalRetry   = "retry"
	QueryStatus   = "status"
)

// WorkflowID is the id of a migration's workflow: one run at a time.
func WorkflowID(migrationID string) string { return "migration-" + migrationID }

// PauseSignal is the payload of pause (optional).
type PauseSignal struct {
	Reason string `json:"reason"`
}

// PromoteSignal is the payload of promote (optional).
type PromoteSignal struct {
	Full bool `json:"full"`
}

// AbortSignal is the payload of abort (optional).
type AbortSignal struct {
	Reason string `json:"reason"`
}

// message is one operator verb with its payload, however it arrived.
type message struct {
	name   string
	reason string
	full   bool
}

// signals in a fixed order, with the descriptions the Temporal UI shows.
var signals = []struct{ name, description string }{
	{SignalPause, `Hold the migration where it is; routing stays as it is and no flip happens until resume. Input: {"reason": "..."}. Accepted while provisioning, baking or awaiting_approval.`},
	{SignalResume, `Continue after pause (an interrupted bake starts over). No input. Accepted while paused.`},
	{SignalPromote, `Skip the current bake or approval and go to the next step; {"full": true} jumps to the last step (100 %). Accepted while baking or awaiting_approval; full also while provisioning.`},
	{SignalAbort, `Take everyone back to Socket.IO (percent 0, allow list emptied, legacy push and presence on) and end the run as aborted. Input: {"reason": "..."}. Accepted in every state until the run ends.`},
	{SignalRetry, `Re-attempt the step that failed, after an automatic rollback. No input. Accepted while rolled_back.`},
}

// refusal says why msg does not fit the current state, or "" when it does.
func (m *migration) refusal(msg message) string {
	s := m.st.State
	switch msg.name {
	case SignalPause:
		if s == StateProvisioning || s == StateBaking || s == StateAwaitingApproval {
			return ""
		}
		return "pause applies while provisioning, baking or awaiting_approval"
	case SignalResume:
		if s == StatePaused {
			return ""
		}
		return "resume applies only while paused"
	case SignalPromote:
		last := m.st.Step == len(m.plan.Steps)-1
		if s == StateBaking || s == StateAwaitingApproval || s == StateProvisioning && msg.full && !last {
			return ""
		}
		return "promote applies while baking or awaiting_approval (promote full also while provisioning a step before the last)"
	case SignalAbort:
		if !s.Terminal() && s != StateValidating {
			return ""
		}
		return "abort applies until the migration has ended"
	case SignalRetry:
		if s == StateRolledBack {
			return ""
		}
		return "retry applies only after an automatic rollback (state rolled_back)"
	}
	return "unknown message"
}

// receive takes one signal off ch and handles it. A payload that cannot be
// decoded is dropped by the SDK; it is recorded as rejected.
func (m *migration) receive(ctx workflow.Context, name string, ch workflow.ReceiveChannel) {
	msg := message{name: name}
	var ok bool
	switch name {
	case SignalPause:
		var p PauseSignal
		ok = ch.ReceiveAsync(&p)
		msg.reason = p.Reason
	case SignalPromote:
		var p PromoteSignal
		ok = ch.ReceiveAsync(&p)
		msg.full = p.Full
	case SignalAbort:
		var p AbortSignal
		ok = ch.ReceiveAsync(&p)
		msg.reason = p.Reason
	default:
		ok = ch.ReceiveAsync(nil)
	}
	if !ok {
		m.reject(ctx, msg, "the payload could not be decoded")
		return
	}
	m.handle(ctx, msg)
}

// handle applies msg, or records it as rejected.
func (m *migration) handle(ctx workflow.Context, msg message) {
	if why := m.refusal(msg); why != "" {
		m.reject(ctx, msg, why)
		return
	}
	switch msg.name {
	case SignalPause:
		m.pause(ctx, msg.reason, false)
	case SignalResume:
		m.resume(ctx)
	case SignalPromote:
		m.promote(ctx, msg.full)
	case SignalAbort:
		m.abort(ctx, msg.reason)
	case SignalRetry:
		m.retry(ctx)
	}
}

func (m *migration) reject(ctx workflow.Context, msg message, why string) {
	m.logger.Info("signal rejected", "signal", msg.name, "state", m.st.State, "why", why)
	m.st.RejectedSignals = keepLast(append(m.st.RejectedSignals, RejectedSignal{
		At: workflow.Now(ctx), Name: msg.name, State: m.st.State, Reason: why,
	}), keepRejected)
}
