// Package tokens keeps device tokens clean across imshift and OpenIM: a
// token FCM called dead is cleared from OpenIM too, and devices whose token
// was not refreshed for IMSHIFT_TOKEN_STALE_AFTER are removed
// (docs/presence.md, "Token hygiene").
package tokens

import (
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"

	"github.com/imshift/imshift/activities/openim"
)

// Activity names.
const (
	PruneOpenIMName = "TokensPruneOpenIM"
	SweepStaleName  = "TokensSweepStale"
)

// pageSize bounds the devices one statement reads or deletes.
const pageSize = 500

// Config is what the activities talk to.
type Config struct {
	DB     *pgxpool.Pool
	OpenIM *openim.Client
	// StaleAfter is IMSHIFT_TOKEN_STALE_AFTER (270 days: FCM's own rule).
	StaleAfter time.Duration
	// FCMTokenTTL is the expireTime given to a live token put in a dead
	// one's place, as the migration's token copy does (30 days).
	FCMTokenTTL time.Duration
}

// Activities are the token hygiene activities.
type Activities struct{ cfg Config }

// New returns the activities with defaults filled in.
func New(cfg Config) *Activities {
	if cfg.StaleAfter <= 0 {
		cfg.StaleAfter = 270 * 24 * time.Hour
	}
	if cfg.FCMTokenTTL <= 0 {
		cfg.FCMTokenTTL = 30 * 24 * time.Hour
	}
	return &Activities{cfg: cfg}
}

// Register puts the activities on r under their names.
func (a *Activities) Register(r worker.Registry) {
	r.RegisterActivityWithOptions(a.PruneOpenIM, activity.RegisterOptions{Name: PruneOpenIMName})
	r.RegisterActivityWithOptions(a.SweepStale, activity.RegisterOptions{Name: SweepStaleName})
}
