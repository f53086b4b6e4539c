package migration

import (
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

// registerUpdates declares the same verbs as Updates with validators.
func (m *migration) registerUpdates(ctx workflow.Context) error {
	for _, s := range signals {
		var handler, validator any
		switch s.name {
		case SignalPause:
			handler = func(ctx workflow.Context, p PauseSignal) (Status, error) {
				return m.submit(ctx, message{name: SignalPause, reason: p.Reason})
			}
			validator = func(_ workflow.Context, p PauseSignal) error { return m.validate(message{name: SignalPause}) }
		case SignalPromote:
			handler = func(ctx workflow.Context, p PromoteSignal) (Status, error) {
				return m.submit(ctx, message{name: SignalPromote, full: p.Full})
			}
			validator = func(_ workflow.Context, p PromoteSignal) error {
				return m.validate(message{name: SignalPromote, full: p.Full})
			}
		case SignalAbort:
			handler = func(ctx workflow.Context, p AbortSignal) (Status, error) {
				return m.submit(ctx, message{name: SignalAbort, reason: p.Reason})
			}
			validator = func(_ workflow.Context, p AbortSignal) error { return m.validate(message{name: SignalAbort}) }
		default:
			name := s.name
			handler = func(ctx workflow.Context) (Status, error) { return m.submit(ctx, message{name: name}) }
			validator = func(workflow.Context) error { return m.validate(message{name: name}) }
		}
		err := workflow.SetUpdateHandlerWithOptions(ctx, s.name, handler, workflow.UpdateHandlerOptions{
			Validator:   validator,
			Description: s.description + " As an Update it answers with the status, or is refused with the reason.",
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func (m *migration) validate(msg message) error {
	if why := m.refusal(msg); why != "" {
		return errors.New(why)
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
		return *m.st, errors.New(u.rejected)
	}
	return *m.st, nil
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
