// Package sendpush holds the SendPush workflow's activities. They send
// one user's transactional push: they read the user's valid devices from the
// registry (so no device token ever enters workflow history), send through
// the provider senders, and keep a per-device record in imshift.push_sends
// so a retry never sends again what a provider acknowledged.
package sendpush

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/activity"
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

// Per-device outcomes of a SendPush.
const (
	OutcomeSent   = "sent"   // the provider acknowledged the push
	OutcomePruned = "pruned" // the token is dead; the device is now invalid
	OutcomeFailed = "failed" // not delivered; Class and Reason say why
)

// Activities are the activities of the SendPush workflow. Senders
// maps a provider name (registry.ProviderFCM, registry.ProviderAPNs) to its
// sender; a device whose provider has none fails with class credentials.
type Activities struct {
	DB       *pgxpool.Pool
	Registry *registry.Store
	Senders  map[string]delivery.Sender
}

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

// DeviceOutcome is what happened to one device. It names the device by its
// registry id, never by token.
type DeviceOutcome struct {
	DeviceID  int64  `json:"deviceId"`
	Provider  string `json:"provider"`
	Outcome   string `json:"outcome"`
	Class     string `json:"class,omitempty"`  // delivery class of a failed or pruned device
	Reason    string `json:"reason,omitempty"` // the provider's reason, e.g. "UNREGISTERED"
	MessageID string `json:"messageId,omitempty"`
}

// devicesPerRead is the registry page size for one user's devices.
const devicesPerRead = 100

// SendPushDeliver sends in.Title/in.Body to every valid device of in.UserID
// that this workflow has not yet delivered to, and returns the outcome for
// every device the workflow has dealt with so far. It fails (retryably) while
// any device is left with a transient or throttled outcome; devices that were
// sent or pruned on an earlier attempt are skipped.
func (a *Activities) SendPushDeliver(ctx context.Context, in SendPushDelivery) ([]DeviceOutcome, error) {
	a.pruneLedger(ctx)
	done, err := loadOutcomes(ctx, a.DB, in.WorkflowID)
	if err != nil {
		return nil, err
	}
	devices, err := a.userDevices(ctx, in.UserID)
	if err != nil {
		return nil, err
	}
	pending := slices.DeleteFunc(devices, func(d registry.Device) bool {
		o, ok := done[d.ID]
		return ok && o.Outcome != OutcomeFailed
	})
	fresh, retryAfter := a.send(ctx, in, pending)
	if err := saveOutcomes(ctx, a.DB, in.WorkflowID, fresh); err != nil {
		return nil, err
	}
	for _, o := range fresh {
		done[o.DeviceID] = o
	}
	all := sortedOutcomes(done)
	if err := a.invalidate(ctx, all); err != nil {
		return nil, err
	}
	return all, retryError(fresh, retryAfter)
}

// SendPushOutcomes returns what the ledger holds for a workflow, for when
// SendPushDeliver ran out of time and could not report itself.
func (a *Activities) SendPushOutcomes(ctx context.Context, workflowID string) ([]DeviceOutcome, error) {
	done, err := loadOutcomes(ctx, a.DB, workflowID)
	if err != nil {
		return nil, err
	}
	return sortedOutcomes(done), nil
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
// one outcome per device and the longest Retry-After a provider asked for.
func (a *Activities) send(ctx context.Context, in SendPushDelivery, devices []registry.Device) ([]DeviceOutcome, time.Duration) {
	byProvider := map[string][]registry.Device{}
	for _, d := range devices {
		byProvider[d.Provider] = append(byProvider[d.Provider], d)
	}
	var (
		mu    sync.Mutex
		out   []DeviceOutcome
		after time.Duration
		wg    sync.WaitGroup
	)
	for provider, group := range byProvider {
		wg.Go(func() {
			outcomes, ra := a.sendProvider(ctx, in, provider, group)
			mu.Lock()
			out = append(out, outcomes...)
			after = max(after, ra)
			mu.Unlock()
		})
	}
	wg.Wait()
	return out, after
}

// minTTL keeps a retry just before the deadline from sending TTL 0, which
// APNs reads as "store with the default expiry".
const minTTL = time.Second

func (a *Activities) sendProvider(ctx context.Context, in SendPushDelivery, provider string, devices []registry.Device) ([]DeviceOutcome, time.Duration) {
	sender, ok := a.Senders[provider]
	if !ok {
		return failAll(provider, devices, delivery.Result{Class: delivery.Credentials, Reason: "provider not configured"}), 0
	}
	ttl := max(time.Until(in.Deadline), minTTL)
	msgs := make([]delivery.Message, len(devices))
	for i, d := range devices {
		msgs[i] = delivery.Message{
			Token: d.Token, Title: in.Title, Body: in.Body, Data: in.Data,
			TTL: ttl, HighPriority: true, PushType: "alert", Sound: "default",
		}
	}
	results, err := sender.Send(ctx, msgs)
	if err != nil {
		activity.GetLogger(ctx).Warn("push send failed as a whole", "provider", provider, "error", err)
		return failAll(provider, devices, delivery.Result{Class: delivery.Transient, Reason: "send failed"}), 0
	}
	out := make([]DeviceOutcome, len(devices))
	var after time.Duration
	for i, d := range devices {
		out[i] = outcomeOf(d.ID, provider, results[i])
		after = max(after, results[i].RetryAfter)
	}
	return out, after
}

func failAll(provider string, devices []registry.Device, r delivery.Result) []DeviceOutcome {
	out := make([]DeviceOutcome, len(devices))
	for i, d := range devices {
		out[i] = outcomeOf(d.ID, provider, r)
	}
	return out
}

func outcomeOf(id int64, provider string, r delivery.Result) DeviceOutcome {
	o := DeviceOutcome{DeviceID: id, Provider: provider, Outcome: OutcomeFailed, Class: string(r.Class), Reason: r.Reason}
	switch r.Class {
	case delivery.Sent:
		o = DeviceOutcome{DeviceID: id, Provider: provider, Outcome: OutcomeSent, MessageID: r.MessageID}
	case delivery.DeadToken:
		o.Outcome = OutcomePruned
	}
	return o
}

// invalidate marks every pruned device invalid. It runs over all outcomes,
// not only this attempt's, so a failure here is repaired by the retry.
func (a *Activities) invalidate(ctx context.Context, all []DeviceOutcome) error {
	byReason := map[string][]int64{}
	for _, o := range all {
		if o.Outcome == OutcomePruned {
			reason := cmp.Or(o.Reason, string(delivery.DeadToken))
			byReason[reason] = append(byReason[reason], o.DeviceID)
		}
	}
	for reason, ids := range byReason {
		if _, err := a.Registry.Invalidate(ctx, ids, reason); err != nil {
			return err
		}
	}
	return nil
}

func sortedOutcomes(m map[int64]DeviceOutcome) []DeviceOutcome {
	out := make([]DeviceOutcome, 0, len(m))
	for _, o := range m {
		out = append(out, o)
	}
	slices.SortFunc(out, func(a, b DeviceOutcome) int { return cmp.Compare(a.DeviceID, b.DeviceID) })
	return out
}

// retryError fails the attempt while a device is left with a transient or
// throttled outcome, so Temporal retries it with backoff, or after the
// provider's Retry-After when one was given. Other failures (credentials,
// bad message) are final for this push and are reported, not retried.
func retryError(fresh []DeviceOutcome, retryAfter time.Duration) error {
	var left []DeviceOutcome
	class := delivery.Transient
	for _, o := range fresh {
		switch delivery.Class(o.Class) {
		case delivery.Throttled:
			class = delivery.Throttled
			left = append(left, o)
		case delivery.Transient:
			left = append(left, o)
		}
	}
	if len(left) == 0 {
		return nil
	}
	msg := fmt.Sprintf("%d device(s) not delivered yet, first: %s %s", len(left), left[0].Provider, left[0].Reason)
	return temporal.NewApplicationErrorWithOptions(msg, string(class), temporal.ApplicationErrorOptions{NextRetryDelay: retryAfter})
}
