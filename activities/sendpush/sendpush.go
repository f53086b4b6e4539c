// Package sendpush holds the SendPush workflow's activities. They send
// one user's transactional push: they read the user's valid devices from the
// registry (so no device token ever enters workflow history), send through
// the provider senders, and keep a per-device record in the delivery ledger
// (imshift.push_ledger) so a retry never sends again what a provider
// acknowledged.
package sendpush

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"

	"github.com/imshift/imshift/activities/delivery"
	"github.com/imshift/imshift/internal/registry"
)

// Activity names, as registered on the worker and called by the workflow.
const (
	DeliverName  = "SendPushDeliver"
	OutcomesName = "SendPushOutcomes"
)

// Register puts the SendPush activities on r under their names.
func (a *Activities) Register(r worker.ActivityRegistry) {
	r.RegisterActivityWithOptions(a.SendPushDeliver, activity.RegisterOptions{Name: DeliverName})
	r.RegisterActivityWithOptions(a.SendPushOutcomes, activity.RegisterOptions{Name: OutcomesName})
}

// Activities are the activities of the SendPush workflow. Senders
// maps a provider name (registry.ProviderFCM, registry.ProviderAPNs) to its
// sender; a device whose provider has none fails with class credentials.
type Activities struct {
	DB       *pgxpool.Pool
	Registry *registry.Store
	Senders  map[string]delivery.Sender
	// OnPruned, when set, is handed the devices just invalidated as dead,
	// so their tokens leave OpenIM too (tokens.Pruner.Pruned). It must not
	// block.
	OnPruned func(deviceIDs []int64)
}

func (a *Activities) ledger() *delivery.Ledger { return delivery.NewLedger(a.DB) }

// SendPushDelivery is the input of SendPushDeliver: the message and whom it
// is for, never a device token.
type SendPushDelivery struct {
	WorkflowID string
	UserID     string
	Title      string
	Body       string
	Data       map[string]string
	// Deadline is when the push stops being worth delivering; the providers
	// are told to drop it after that too.
	Deadline time.Time
}

// DeviceOutcome is what happened to one device: outcome sent, pruned or
// failed (a device still being retried is reported failed with its last
// class and reason). It names the device by its registry id, never by token.
type DeviceOutcome struct {
	DeviceID  int64  `json:"deviceId"`
	Provider  string `json:"provider"`
	Outcome   string `json:"outcome"`
	Class     string `json:"class,omitempty"`  // delivery class of a failed or pruned device
	Reason    string `json:"reason,omitempty"` // the provider's reason, e.g. "UNREGISTERED"
	MessageID string `json:"messageId,omitempty"`
}

// leaseFor is how long one delivery attempt holds its push (Outbox.Lease):
// longer than an attempt's provider calls (sendTimeout), so two attempts of
// one push (the API's and the workflow's, or an attempt that timed out and
// its retry) never send at once; a crashed holder delays the push by at
// most this.
const leaseFor = 45 * time.Second

// ErrAttemptInFlight is the error type of an attempt that found another
// attempt of the same push holding it; it is retried.
const ErrAttemptInFlight = "AttemptInFlight"

// devicesPerRead is the registry page size for one user's devices.
const devicesPerRead = 100

// SendPushDeliver sends in.Title/in.Body to every valid device of in.UserID
// that this workflow has not yet delivered to, and returns the outcome for
// every device the workflow has dealt with so far. It fails (retryably) while
// any device is left with a transient or throttled outcome; devices that were
// sent or pruned on an earlier attempt are skipped.
func (a *Activities) SendPushDeliver(ctx context.Context, in SendPushDelivery) ([]DeviceOutcome, error) {
	outbox := Outbox{DB: a.DB}
	lease, err := outbox.Lease(ctx, in.WorkflowID, leaseFor)
	if err != nil {
		return nil, err
	}
	if lease == "" {
		return nil, temporal.NewApplicationErrorWithOptions("another delivery attempt of this push is in flight",
			ErrAttemptInFlight, temporal.ApplicationErrorOptions{NextRetryDelay: time.Second})
	}
	defer outbox.Release(ctx, in.WorkflowID, lease)
	l, sendID := a.ledger(), delivery.PushSend(in.WorkflowID)
	done, err := l.AllRows(ctx, sendID)
	if err != nil {
		return nil, err
	}
	devices, err := a.userDevices(ctx, in.UserID)
	if err != nil {
		return nil, err
	}
	pending := slices.DeleteFunc(devices, func(d registry.Device) bool {
		r, ok := done[d.ID]
		return ok && delivery.Final(r.Outcome)
	})
	entries, retryAfter := a.send(ctx, in, pending)
	// The acknowledgements are written whatever happens to the activity
	// now, retried through database faults: failing here would send them
	// again.
	wctx := context.WithoutCancel(ctx)
	if err := l.Record(wctx, sendID, entries); err != nil {
		return nil, err
	}
	for _, e := range entries {
		r := done[e.DeviceID]
		done[e.DeviceID] = delivery.Row{DeviceID: e.DeviceID, Provider: e.Provider, Outcome: e.Outcome,
			Class: e.Class, Reason: e.Reason, MessageID: e.MessageID, Attempts: r.Attempts + e.Attempts}
	}
	all := outcomesOf(done)
	if err := a.invalidate(wctx, l, all); err != nil {
		return nil, err
	}
	return all, retryError(entries, retryAfter)
}

// SendPushOutcomes returns what the ledger holds for a workflow, for when
// SendPushDeliver ran out of time and could not report itself.
func (a *Activities) SendPushOutcomes(ctx context.Context, workflowID string) ([]DeviceOutcome, error) {
	done, err := a.ledger().AllRows(ctx, delivery.PushSend(workflowID))
	if err != nil {
		return nil, err
	}
	return outcomesOf(done), nil
}

func (a *Activities) userDevices(ctx context.Context, userID string) ([]registry.Device, error) {
	var out []registry.Device
	after := int64(0)
	for {
		page, err := a.Registry.Page(ctx, registry.Filter{UserIDs: []string{userID}}, after, devicesPerRead)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) < devicesPerRead {
			return out, nil
		}
		after = page[len(page)-1].ID
	}
}

// send pushes to devices, each provider's batch in parallel, and returns
// one ledger entry per device and the longest wait a retryable answer asks
// for.
func (a *Activities) send(ctx context.Context, in SendPushDelivery, devices []registry.Device) ([]delivery.Entry, time.Duration) {
	byProvider := map[string][]registry.Device{}
	for _, d := range devices {
		byProvider[d.Provider] = append(byProvider[d.Provider], d)
	}
	var (
		mu    sync.Mutex
		out   []delivery.Entry
		after time.Duration
		wg    sync.WaitGroup
	)
	for provider, group := range byProvider {
		wg.Go(func() {
			entries, ra := a.sendProvider(ctx, in, provider, group)
			mu.Lock()
			out = append(out, entries...)
			after = max(after, ra)
			mu.Unlock()
		})
	}
	wg.Wait()
	return out, after
}

// logger is the activity's logger, or slog's when the API's dispatcher
// runs the delivery outside an activity.
func logger(ctx context.Context) log.Logger {
	if activity.IsActivity(ctx) {
		return activity.GetLogger(ctx)
	}
	return log.NewStructuredLogger(slog.Default())
}

// minTTL keeps a retry just before the deadline from sending TTL 0, which
// APNs reads as "store with the default expiry".
const minTTL = time.Second

func (a *Activities) sendProvider(ctx context.Context, in SendPushDelivery, provider string, devices []registry.Device) ([]delivery.Entry, time.Duration) {
	sender, ok := a.Senders[provider]
	if !ok {
		return entriesOf(provider, devices, nil, delivery.Result{Class: delivery.Credentials, Reason: "provider not configured"})
	}
	ttl := max(time.Until(in.Deadline), minTTL)
	msgs := make([]delivery.Message, len(devices))
	for i, d := range devices {
		msgs[i] = delivery.Message{
			Token: d.Token, Title: in.Title, Body: in.Body, Data: in.Data,
			TTL: ttl, HighPriority: true, PushType: "alert", Sound: "default",
		}
	}
	// The call runs to its end even if the activity is cancelled, so what
	// the provider acknowledged is recorded.
	callCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sendTimeout)
	defer cancel()
	results, err := sender.Send(callCtx, msgs)
	if err != nil {
		logger(ctx).Warn("push send failed as a whole", "provider", provider, "error", err)
		return entriesOf(provider, devices, nil, delivery.Result{Class: delivery.Transient, Reason: "send failed"})
	}
	return entriesOf(provider, devices, results, delivery.Result{})
}

// sendTimeout bounds one provider call.
const sendTimeout = 20 * time.Second

// entriesOf turns each device's answer (results[i], or same for all when
// results is nil) into its ledger entry by the SendPush policy, and returns
// the longest Retry-After among retryable answers.
func entriesOf(provider string, devices []registry.Device, results []delivery.Result, same delivery.Result) ([]delivery.Entry, time.Duration) {
	out := make([]delivery.Entry, len(devices))
	var after time.Duration
	for i, d := range devices {
		r := same
		if results != nil {
			r = results[i]
		}
		act := delivery.SendPushPolicy.Act(r.Class)
		e := delivery.Entry{DeviceID: d.ID, Provider: provider, Outcome: act.Outcome, Class: r.Class,
			Reason: r.Reason, MessageID: r.MessageID, Attempts: 1}
		if act.Retry {
			e.Outcome = delivery.OutcomeRetrying
			after = max(after, r.RetryAfter)
		}
		out[i] = e
	}
	return out, after
}

// invalidate marks every pruned device invalid. It runs over all outcomes,
// not only this attempt's, so a failure here is repaired by the retry.
func (a *Activities) invalidate(ctx context.Context, l *delivery.Ledger, all []DeviceOutcome) error {
	byReason := map[string][]int64{}
	for _, o := range all {
		if o.Outcome == delivery.OutcomePruned {
			reason := cmp.Or(o.Reason, string(delivery.DeadToken))
			byReason[reason] = append(byReason[reason], o.DeviceID)
		}
	}
	for reason, ids := range byReason {
		err := l.Retry().Do(ctx, "registry: invalidate", func(ctx context.Context) error {
			_, err := a.Registry.Invalidate(ctx, ids, reason)
			return err
		})
		if err != nil {
			return err
		}
		if a.OnPruned != nil {
			a.OnPruned(ids)
		}
	}
	return nil
}

// outcomesOf is the workflow's view of the ledger rows, in device order.
func outcomesOf(rows map[int64]delivery.Row) []DeviceOutcome {
	out := make([]DeviceOutcome, 0, len(rows))
	for _, r := range rows {
		o := DeviceOutcome{DeviceID: r.DeviceID, Provider: r.Provider, Outcome: r.Outcome,
			Class: string(r.Class), Reason: r.Reason, MessageID: r.MessageID}
		switch r.Outcome {
		case delivery.OutcomeSent:
			o.Class, o.Reason = "", ""
		case delivery.OutcomeRetrying:
			o.Outcome = delivery.OutcomeFailed
		}
		out = append(out, o)
	}
	slices.SortFunc(out, func(a, b DeviceOutcome) int { return cmp.Compare(a.DeviceID, b.DeviceID) })
	return out
}

// retryError fails the attempt while a device is left with a retryable
// answer, so Temporal retries it with backoff, or after the provider's
// Retry-After when one was given, until the TTL. Other failures
// (credentials, bad message) are final for this push and are reported, not
// retried.
func retryError(entries []delivery.Entry, retryAfter time.Duration) error {
	var left []delivery.Entry
	for _, e := range entries {
		if e.Outcome == delivery.OutcomeRetrying {
			left = append(left, e)
		}
	}
	if len(left) == 0 {
		return nil
	}
	msg := fmt.Sprintf("%d device(s) not delivered yet, first: %s %s", len(left), left[0].Provider, left[0].Reason)
	return temporal.NewApplicationErrorWithOptions(msg, string(left[0].Class), temporal.ApplicationErrorOptions{NextRetryDelay: retryAfter})
}
