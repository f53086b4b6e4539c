package presence

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/imshift/imshift/internal/cohort"
)

// RoutingTTL is how long a read routing row answers queries: a flip reaches
// the answers within it, while a busy API reads the row once a second
// instead of once per query (the allow and deny lists may hold 10 000 ids).
const RoutingTTL = time.Second

// routing is the routing row in force: the most recently updated one in
// imshift.routing (one migration runs at a time). No row routes everybody
// to the legacy stack, as the gateways do.
type routing struct {
	rule           cohort.Rule
	legacyPresence bool // false once decommission turned legacy presence off
}

// onOpenIM tells whether the user's presence is OpenIM's: routed there, or
// legacy presence is off for everyone.
func (r routing) onOpenIM(legacyID string) bool {
	return !r.legacyPresence || r.rule.OnOpenIM(legacyID)
}

type routingCache struct {
	db  *pgxpool.Pool
	ttl time.Duration

	mu   sync.Mutex
	at   time.Time
	last routing
}

func (c *routingCache) get(ctx context.Context) (routing, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.at.IsZero() && time.Since(c.at) < c.ttl {
		return c.last, nil
	}
	r, err := readRouting(ctx, c.db)
	if err != nil {
		return routing{}, err
	}
	c.last, c.at = r, time.Now()
	return r, nil
}

func readRouting(ctx context.Context, db *pgxpool.Pool) (routing, error) {
	var (
		percent        float64
		allow, deny    []string
		legacyPresence bool
	)
	err := db.QueryRow(ctx, `
		SELECT bucket_threshold / 100.0, allow_users, deny_users, legacy_presence_enabled
		FROM imshift.routing ORDER BY updated_at DESC, migration_id LIMIT 1`).
		Scan(&percent, &allow, &deny, &legacyPresence)
	if errors.Is(err, pgx.ErrNoRows) {
		return routing{rule: cohort.NewRule(0, nil, nil), legacyPresence: true}, nil
	}
	if err != nil {
		return routing{}, fmt.Errorf("presence: read routing: %w", err)
	}
	return routing{rule: cohort.NewRule(percent, allow, deny), legacyPresence: legacyPresence}, nil
}
