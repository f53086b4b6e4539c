package migration

import (
	"encoding/json"
	"errors"
	"slices"

	"go.temporal.io/sdk/workflow"

	"github.com/imshift/imshift/workflows"
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

// noInput is the payload of the verbs that take none: {} or nothing.
type noInput struct{}

// message is one operator verb with its payload, however it arrived.
type message struct {
	verb   *verb
	reason string
	full   bool
}

// verb is one operator verb: the one place that says what it is called,
// what it carries, when it applies and what it does. The signal handler,
// the Update handler and its validator and the refusal text all read it.
type verb struct {
	name        string
	description string
	decode      func(payload []byte) (message, error)
	states      []State
	// fits narrows states further (promote full); nil when states say all.
	fits    func(m *migration, msg message) bool
	refusal string
	apply   func(m *migration, ctx workflow.Context, msg message)
}

// verbs in a fixed order (the order the signal channels are selected in).
var verbs = []*verb{
	{
		name:        SignalPause,
		description: `Hold the migration where it is; routing stays as it is and no flip happens until resume. Input: {"reason": "..."}. Accepted while provisioning, baking or awaiting_approval.`,
		decode:      decodeAs(func(p PauseSignal) message { return message{reason: p.Reason} }),
		states:      []State{StateProvisioning, StateBaking, StateAwaitingApproval},
		refusal:     "pause applies while provisioning, baking or awaiting_approval",
		apply:       func(m *migration, ctx workflow.Context, msg message) { m.pause(ctx, msg.reason, false) },
	},
	{
		name:        SignalResume,
		description: `Continue after pause (an interrupted bake starts over). No input. Accepted while paused.`,
		decode:      decodeAs(func(noInput) message { return message{} }),
		states:      []State{StatePaused},
		refusal:     "resume applies only while paused",
		apply:       func(m *migration, ctx workflow.Context, _ message) { m.resume(ctx) },
	},
	{
		name:        SignalPromote,
		description: `Skip the current bake or approval and go to the next step; {"full": true} jumps to the last step (100 %). Accepted while baking or awaiting_approval; full also while provisioning.`,
		decode:      decodeAs(func(p PromoteSignal) message { return message{full: p.Full} }),
		states:      []State{StateBaking, StateAwaitingApproval, StateProvisioning},
		fits: func(m *migration, msg message) bool {
			return m.st.State != StateProvisioning || msg.full && m.st.Step < len(m.plan.Steps)-1
		},
		refusal: "promote applies while baking or awaiting_approval (promote full also while provisioning a step before the last)",
		apply:   func(m *migration, ctx workflow.Context, msg message) { m.promote(ctx, msg.full) },
	},
	{
		name:        SignalAbort,
		description: `Take everyone back to Socket.IO (percent 0, allow list emptied, legacy push and presence on) and end the run as aborted. Input: {"reason": "..."}. Accepted in every state until the run ends.`,
		decode:      decodeAs(func(p AbortSignal) message { return message{reason: p.Reason} }),
		states: []State{StateProvisioning, StateBaking, StateAwaitingApproval, StatePaused, StateRollingBack,
			StateRolledBack, StateDecommissioning},
		refusal: "abort applies until the migration has ended",
		apply:   func(m *migration, ctx workflow.Context, msg message) { m.abort(ctx, msg.reason) },
	},
	{
		name:        SignalRetry,
		description: `Re-attempt the step that failed, after an automatic rollback. No input. Accepted while rolled_back.`,
		decode:      decodeAs(func(noInput) message { return message{} }),
		states:      []State{StateRolledBack},
		refusal:     "retry applies only after an automatic rollback (state rolled_back)",
		apply:       func(m *migration, ctx workflow.Context, _ message) { m.retry(ctx) },
	},
}

// decodeAs reads a verb's payload strictly (an unknown field or a wrong
// type is refused, naming the field) and turns it into a message.
func decodeAs[P any](to func(P) message) func([]byte) (message, error) {
	return func(payload []byte) (message, error) {
		var p P
		if err := workflows.DecodeStrict(payload, &p); err != nil {
			return message{}, err
		}
		return to(p), nil
	}
}

// refusal says why msg does not fit the current state, or "" when it does.
func (m *migration) refusal(msg message) string {
	v := msg.verb
	if slices.Contains(v.states, m.st.State) && (v.fits == nil || v.fits(m, msg)) {
		return ""
	}
	return v.refusal
}

// read decodes a payload for v; a payload it refuses is recorded as
// rejected, with the field named.
func (m *migration) read(ctx workflow.Context, v *verb, payload []byte) (message, bool) {
	msg, err := v.decode(payload)
	msg.verb = v
	if err != nil {
		m.reject(ctx, msg, "payload refused: "+err.Error())
		return msg, false
	}
	return msg, true
}

// receive takes one signal of v off ch and handles it.
func (m *migration) receive(ctx workflow.Context, v *verb, ch workflow.ReceiveChannel) {
	var payload json.RawMessage
	ch.ReceiveAsync(&payload)
	if msg, ok := m.read(ctx, v, payload); ok {
		m.handle(ctx, msg)
	}
}

// handle applies msg, or records it as rejected.
func (m *migration) handle(ctx workflow.Context, msg message) {
	if why := m.refusal(msg); why != "" {
		m.reject(ctx, msg, why)
		return
	}
	msg.verb.apply(m, ctx, msg)
}

func (m *migration) reject(ctx workflow.Context, msg message, why string) {
	m.logger.Info("signal rejected", "signal", msg.verb.name, "state", m.st.State, "why", why)
	m.st.RejectedSignals = keepLast(append(m.st.RejectedSignals, RejectedSignal{
		At: workflow.Now(ctx), Name: msg.verb.name, State: m.st.State, Reason: why,
	}), keepRejected)
}

// validate is the Update validator's judgement of a payload and the state.
func (m *migration) validate(v *verb, payload []byte) error {
	msg, err := v.decode(payload)
	if err != nil {
		return errors.New("payload refused: " + err.Error())
	}
	msg.verb = v
	if why := m.refusal(msg); why != "" {
		return errors.New(why)
	}
	return nil
}
