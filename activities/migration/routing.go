package migration

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/sdk/temporal"

	"github.com/imshift/imshift/internal/cohort"
)

// upsertRouting sets the row and bumps the revision only when a value
// changes; it returns nothing when the row already held these values.
const upsertRouting = `
INSERT INTO imshift.routing AS r (migration_id, percent, bucket_threshold, allow_users, deny_users,
                                  revision, legacy_push_enabled, legacy_presence_enabled, updated_at)
VALUES ($1, $2, $3, $4, $5, 1, $6, $7, now())
ON CONFLICT (migration_id) DO UPDATE SET
    percent = EXCLUDED.percent,
    bucket_threshold = EXCLUDED.bucket_threshold,
    allow_users = EXCLUDED.allow_users,
    deny_users = EXCLUDED.deny_users,
    legacy_push_enabled = EXCLUDED.legacy_push_enabled,
    legacy_presence_enabled = EXCLUDED.legacy_presence_enabled,
    revision = r.revision + 1,
    updated_at = now()
WHERE (r.percent, r.bucket_threshold, r.allow_users, r.deny_users, r.legacy_push_enabled, r.legacy_presence_enabled)
      IS DISTINCT FROM
      (EXCLUDED.percent, EXCLUDED.bucket_threshold, EXCLUDED.allow_users, EXCLUDED.deny_users,
       EXCLUDED.legacy_push_enabled, EXCLUDED.legacy_presence_enabled)
RETURNING revision`

// FlipRouting sets a migration's routing row in one transaction and
// announces it: NOTIFY imshift_routing inside the transaction (delivered on
// commit), then PUBLISH imshift:routing on Redis. The values are set, never
// added to, so a retry after a crash lands on the same row; it announces
// again, since the earlier attempt may have died before publishing.
func (a *Activities) FlipRouting(ctx context.Context, in FlipInput) (FlipResult, error) {
	if in.MigrationID == "" || in.Percent < 0 || in.Percent > 100 || math.IsNaN(in.Percent) {
		return FlipResult{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("flip %q to %v%%: bad input", in.MigrationID, in.Percent), "InvalidInput", nil)
	}
	ann := Announcement{
		MigrationID:           in.MigrationID,
		Percent:               math.Round(in.Percent*100) / 100,
		BucketThreshold:       cohort.Threshold(in.Percent),
		LegacyPushEnabled:     in.LegacyPushEnabled,
		LegacyPresenceEnabled: in.LegacyPresenceEnabled,
	}
	changed, err := a.writeRouting(ctx, in, &ann)
	if err != nil {
		return FlipResult{}, err
	}
	payload, _ := json.Marshal(ann)
	if err := a.cfg.Redis.Publish(ctx, PublishChannel, payload).Err(); err != nil {
		return FlipResult{}, fmt.Errorf("publish %s: %w", PublishChannel, err)
	}
	routingPercent.WithLabelValues(in.MigrationID).Set(ann.Percent)
	return FlipResult{Revision: ann.Revision, BucketThreshold: ann.BucketThreshold, Changed: changed}, nil
}

// ReadRouting reads a migration's routing row: where a new run of the
// migration starts from (it never lowers what the row says).
func (a *Activities) ReadRouting(ctx context.Context, migrationID string) (RoutingRow, error) {
	var r RoutingRow
	err := a.cfg.DB.QueryRow(ctx, `SELECT percent::float8, bucket_threshold, revision, cardinality(allow_users),
		legacy_push_enabled, legacy_presence_enabled, updated_at FROM imshift.routing WHERE migration_id = $1`,
		migrationID).Scan(&r.Percent, &r.BucketThreshold, &r.Revision, &r.AllowListed,
		&r.LegacyPushEnabled, &r.LegacyPresenceEnabled, &r.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return RoutingRow{}, nil
	}
	if err != nil {
		return RoutingRow{}, fmt.Errorf("read routing: %w", err)
	}
	r.Found = true
	return r, nil
}

// writeRouting runs the transaction and fills ann.Revision.
func (a *Activities) writeRouting(ctx context.Context, in FlipInput, ann *Announcement) (changed bool, err error) {
	err = pgx.BeginFunc(ctx, a.cfg.DB, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, upsertRouting, in.MigrationID, ann.Percent, ann.BucketThreshold,
			nonNil(in.AllowUsers), nonNil(in.DenyUsers), in.LegacyPushEnabled, in.LegacyPresenceEnabled,
		).Scan(&ann.Revision)
		switch {
		case err == nil:
			changed = true
		case err == pgx.ErrNoRows:
			err = tx.QueryRow(ctx, `SELECT revision FROM imshift.routing WHERE migration_id = $1 FOR UPDATE`,
				in.MigrationID).Scan(&ann.Revision)
		}
		if err != nil {
			return fmt.Errorf("write routing: %w", err)
		}
		payload, _ := json.Marshal(ann)
		if _, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, NotifyChannel, string(payload)); err != nil {
			return fmt.Errorf("notify %s: %w", NotifyChannel, err)
		}
		return nil
	})
	return changed, err
}

// nonNil keeps NULL out of the text[] columns.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
