package notify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"

	"github.com/imshift/imshift/internal/config"
)

// Activity names, as the Notification workflow schedules them.
const (
	TargetsName = "NotifyTargets"
	DeliverName = "NotifyDeliver"
)

// Target names one configured webhook without its URL, which stays out of
// workflow history: Key is a hash of the URL, Host is for people.
type Target struct {
	Key  string `json:"key"`
	Host string `json:"host"`
}

// DeliverInput is one event for one target.
type DeliverInput struct {
	Event  Event  `json:"event"`
	Target Target `json:"target"`
}

type target struct {
	Target
	url   string
	slack bool
}

// Activities post events to the configured webhooks.
type Activities struct {
	targets []target
	secret  []byte
	client  *http.Client
}

// postTimeout bounds one attempt: a receiver that hangs is retried, never
// waited on.
const postTimeout = 10 * time.Second

// New builds the activities for the webhooks in cfg (already validated by
// config.LoadWorker). client nil means a plain client with postTimeout.
func New(cfg config.Notify, client *http.Client) *Activities {
	if client == nil {
		client = &http.Client{Timeout: postTimeout}
	}
	a := &Activities{secret: []byte(cfg.Secret), client: client}
	for _, raw := range cfg.WebhookURLs {
		u, err := url.Parse(raw)
		if err != nil {
			continue // config.LoadWorker refuses it first
		}
		sum := sha256.Sum256([]byte(raw))
		a.targets = append(a.targets, target{
			Target: Target{Key: hex.EncodeToString(sum[:8]), Host: u.Host},
			url:    raw,
			slack:  u.Hostname() == config.SlackHost,
		})
	}
	return a
}

// Register puts the notification activities on r under their names.
func (a *Activities) Register(r worker.Registry) {
	r.RegisterActivityWithOptions(a.Targets, activity.RegisterOptions{Name: TargetsName})
	r.RegisterActivityWithOptions(a.Deliver, activity.RegisterOptions{Name: DeliverName})
}

// Targets lists the configured webhooks, each once.
func (a *Activities) Targets(context.Context) ([]Target, error) {
	out := []Target{}
	seen := map[string]bool{}
	for _, t := range a.targets {
		if !seen[t.Key] {
			seen[t.Key] = true
			out = append(out, t.Target)
		}
	}
	return out, nil
}

// Deliver posts one event to one target. A target no longer configured (the
// worker was restarted with other URLs while the event waited) is dropped:
// nobody asks for it any more.
func (a *Activities) Deliver(ctx context.Context, in DeliverInput) error {
	for _, t := range a.targets {
		if t.Key == in.Target.Key {
			ctx, cancel := context.WithTimeout(ctx, postTimeout)
			defer cancel()
			err := a.post(ctx, t, in.Event)
			countAttempt(err)
			return err
		}
	}
	activity.GetLogger(ctx).Warn("notification target no longer configured; event dropped",
		"host", in.Target.Host, "eventId", in.Event.EventID)
	return temporal.NewNonRetryableApplicationError("target "+in.Target.Host+" is no longer configured", "TargetGone", nil)
}
