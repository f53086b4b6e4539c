// Package presence is the presence facade: OpenIM's connection state, fed
// by OpenIM's afterUserOnline/afterUserOffline webhooks and reconciled
// against its API, and the routing-aware resolver the HTTP API answers
// GET /v1/users/{userId}/presence and POST /v1/presence:query from
// (docs/presence.md).
package presence

import (
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"

	"github.com/imshift/imshift/activities/openim"
)

// Activity names.
const ReconcileName = "PresenceReconcilePass"

// DefaultPageSize is how many users one OpenIM status call carries.
const DefaultPageSize = 500

// Config is what the reconcile talks to.
type Config struct {
	DB     *pgxpool.Pool         // imshift.user_id_map: every user provisioned in OpenIM
	Redis  redis.UniversalClient // the facade
	OpenIM *openim.Client
}

// Activities are the presence activities.
type Activities struct {
	cfg   Config
	store *Store
}

// New returns the activities.
func New(cfg Config) *Activities {
	return &Activities{cfg: cfg, store: NewStore(cfg.Redis)}
}

// Register puts the activities on r under their names.
func (a *Activities) Register(r worker.Registry) {
	r.RegisterActivityWithOptions(a.Reconcile, activity.RegisterOptions{Name: ReconcileName})
}
