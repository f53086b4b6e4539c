package legacy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Channel is the PostgreSQL NOTIFY channel routing flips are announced on.
const Channel = "imshift_routing"

// Routing is the part of a migration's imshift.routing row a gateway reads.
// A migration with no row yet routes everybody to the legacy stack.
type Routing struct {
	Revision              int64    `json:"revision"`
	BucketThreshold       int      `json:"bucketThreshold"`
	AllowUsers            []string `json:"allowUsers"`
	DenyUsers             []string `json:"denyUsers"`
	LegacyPushEnabled     bool     `json:"legacyPushEnabled"`
	LegacyPresenceEnabled bool     `json:"legacyPresenceEnabled"`
}

// ReadRouting reads the migration's routing row.
func ReadRouting(ctx context.Context, db *pgxpool.Pool, migrationID string) (Routing, error) {
	r := Routing{LegacyPushEnabled: true, LegacyPresenceEnabled: true}
	err := db.QueryRow(ctx, `
		SELECT revision, bucket_threshold, allow_users, deny_users,
		       legacy_push_enabled, legacy_presence_enabled
		FROM imshift.routing WHERE migration_id = $1`, migrationID).
		Scan(&r.Revision, &r.BucketThreshold, &r.AllowUsers, &r.DenyUsers,
			&r.LegacyPushEnabled, &r.LegacyPresenceEnabled)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, nil
	}
	if err != nil {
		return Routing{}, fmt.Errorf("legacy: read routing: %w", err)
	}
	return r, nil
}

// listen delivers a tick on wake for every notification on Channel about
// the population's migration, until ctx ends. A lost connection is re-established;
// notifications sent in between are covered by the resync.
func (p *Population) listen(ctx context.Context, wake chan<- struct{}) {
	for ctx.Err() == nil {
		err := p.listenOnce(ctx, wake)
		if ctx.Err() != nil {
			return
		}
		p.failed(err)
		select {
		case <-ctx.Done():
		case <-afterSecond():
		}
	}
}

func (p *Population) listenOnce(ctx context.Context, wake chan<- struct{}) error {
	conn, err := p.opts.DB.Acquire(ctx)
	if err != nil {
		return err
	}
	// The session had LISTEN on it: close it rather than return it.
	defer func() {
		conn.Conn().Close(context.Background())
		conn.Release()
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+Channel); err != nil {
		return err
	}
	signal(wake) // changes made before LISTEN took effect
	for {
		n, err := conn.Conn().WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if concerns(n.Payload, p.opts.MigrationID) {
			p.announcements.Add(1)
			signal(wake)
		}
	}
}

// concerns tells whether an announcement is about migrationID. A payload
// that cannot be read wakes the reader anyway: re-reading costs one query.
func concerns(payload, migrationID string) bool {
	var a struct {
		MigrationID string `json:"migrationId"`
	}
	return json.Unmarshal([]byte(payload), &a) != nil || a.MigrationID == migrationID
}

func signal(wake chan<- struct{}) {
	select {
	case wake <- struct{}{}:
	default: // a wake-up is pending already; it will read the newest row
	}
}
