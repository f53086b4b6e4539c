package migration

import (
	"encoding/json"
	"errors"

	"go.temporal.io/sdk/workflow"
)

// update is an operator verb sent as an Update: its validator refuses it
// (with the reason, before it enters history) when it does not fit the
// state; once accepted, the run loop applies it like the signal and the
// caller gets the resulting status.
type update struct {
	msg      message
	done     bool
	rejected string
}

// registerUpdates declares every verb as an Update with a validator.
func (m *migration) registerUpdates(ctx workflow.Context) error {
	for _, v := range verbs {
		err := workflow.SetUpdateHandlerWithOptions(ctx, v.name,
			func(ctx workflow.Context, payload json.RawMessage) (Status, error) {
				msg, err := v.decode(payload) // the validator has accepted it
				msg.verb = v
				if err != nil {
					return m.status(), err
				}
				return m.submit(ctx, msg)
			},
			workflow.UpdateHandlerOptions{
				Validator:   func(_ workflow.Context, payload json.RawMessage) error { return m.validate(v, payload) },
				Description: v.description + " As an Update it answers with the status, or is refused with the reason.",
			})
		if err != nil {
			return err
		}
	}
	return nil
}

// submit hands the verb to the run loop and waits until it is applied.
func (m *migration) submit(ctx workflow.Context, msg message) (Status, error) {
	u := &update{msg: msg}
	m.updates.Send(ctx, u)
	if err := workflow.Await(ctx, func() bool { return u.done }); err != nil {
		return Status{}, err
	}
	if u.rejected != "" {
		return m.status(), errors.New(u.rejected)
	}
	return m.status(), nil
}

// applyUpdate runs in the loop: the state may have moved since the
// validator accepted the update (a flip was in flight), so it is judged
// again.
func (m *migration) applyUpdate(ctx workflow.Context, u *update) {
	u.rejected = m.refusal(u.msg)
	if u.rejected == "" {
		m.handle(ctx, u.msg)
	}
	u.done = true
}

// receiveUpdate takes one queued update off the channel and applies it.
func (m *migration) receiveUpdate(ctx workflow.Context) {
	var u *update
	if m.updates.ReceiveAsync(&u) {
		m.applyUpdate(ctx, u)
	}
}

// awaitHandlers lets every update handler finish, applying updates that
// arrive meanwhile, before the run ends or continues as new.
func (m *migration) awaitHandlers(ctx workflow.Context) error {
	for {
		err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) || m.updates.Len() > 0 })
		if err != nil {
			return err
		}
		if m.updates.Len() == 0 {
			return nil
		}
		for m.updates.Len() > 0 {
			m.receiveUpdate(ctx)
		}
	}
}
