package tokens

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/sdk/activity"
)

// Result counts what a pass did.
type Result struct {
	Devices  int64 `json:"devices"`  // devices handled (dead ones cleared, or stale ones removed)
	Replaced int64 `json:"replaced"` // OpenIM (user, platform) pairs given a live token instead
	Expired  int64 `json:"expired"`  // OpenIM (user, platform) pairs cleared
	After    int64 `json:"after"`    // keyset cursor (device id) of the OpenIM pass
}

// pendingPage reads dead FCM devices whose OpenIM side is not done: never
// done, or done before the token died again.
const pendingPage = `
	SELECT id, user_id, platform, token FROM imshift.devices
	WHERE provider = 'fcm' AND invalidated_at IS NOT NULL
	  AND (openim_pruned_at IS NULL OR openim_pruned_at < invalidated_at)
	  AND id > $1
	ORDER BY id LIMIT $2`

// PruneOpenIM clears every dead FCM token still in OpenIM, page by page in
// device-id order, heartbeating its cursor (a retry resumes from it). It is
// the catch-up behind PruneInOpenIM: whatever the prune point did not clear
// at once is cleared by the next TokenSweep.
func (a *Activities) PruneOpenIM(ctx context.Context) (Result, error) {
	var r Result
	if activity.HasHeartbeatDetails(ctx) {
		_ = activity.GetHeartbeatDetails(ctx, &r)
	}
	for {
		rows, err := a.cfg.DB.Query(ctx, pendingPage, r.After, pageSize)
		if err != nil {
			return r, fmt.Errorf("tokens: read dead devices: %w", err)
		}
		dead, err := collectDead(rows)
		if err != nil {
			return r, err
		}
		if len(dead) == 0 {
			return r, nil
		}
		if err := a.prune(ctx, dead, &r); err != nil {
			return r, err
		}
		r.After = dead[len(dead)-1].id
		activity.RecordHeartbeat(ctx, r)
	}
}

// PruneInOpenIM clears the given devices' dead FCM tokens from OpenIM: the
// Pruner's call, soon after a prune point invalidated them in the registry.
// Devices not invalidated, not FCM, or already done are skipped.
func (a *Activities) PruneInOpenIM(ctx context.Context, deviceIDs []int64) error {
	rows, err := a.cfg.DB.Query(ctx, `
		SELECT id, user_id, platform, token FROM imshift.devices
		WHERE id = ANY($1) AND provider = 'fcm' AND invalidated_at IS NOT NULL
		  AND (openim_pruned_at IS NULL OR openim_pruned_at < invalidated_at)`, deviceIDs)
	if err != nil {
		return fmt.Errorf("tokens: read dead devices: %w", err)
	}
	dead, err := collectDead(rows)
	if err != nil {
		return err
	}
	return a.prune(ctx, dead, &Result{})
}

// prune clears dead in OpenIM, then records it on the devices.
func (a *Activities) prune(ctx context.Context, dead []deadToken, r *Result) error {
	if len(dead) == 0 {
		return nil
	}
	replaced, expired, err := a.clearInOpenIM(ctx, dead)
	r.Replaced += int64(replaced)
	r.Expired += int64(expired)
	if err != nil {
		return err
	}
	ids := make([]int64, len(dead))
	for i, d := range dead {
		ids[i] = d.id
	}
	if _, err := a.cfg.DB.Exec(ctx, `UPDATE imshift.devices SET openim_pruned_at = now() WHERE id = ANY($1)`, ids); err != nil {
		return fmt.Errorf("tokens: record OpenIM prune: %w", err)
	}
	r.Devices += int64(len(dead))
	return nil
}

// SweepStale removes devices whose token was not refreshed (registered or
// seen again) for StaleAfter, in batches, clearing their FCM tokens from
// OpenIM as well. Deleting is final: a device that comes back registers
// anew.
func (a *Activities) SweepStale(ctx context.Context) (Result, error) {
	var r Result
	cutoff := time.Now().Add(-a.cfg.StaleAfter)
	for {
		rows, err := a.cfg.DB.Query(ctx, `
			DELETE FROM imshift.devices WHERE id IN (
				SELECT id FROM imshift.devices WHERE last_seen_at < $1 ORDER BY id LIMIT $2)
			RETURNING id, user_id, platform, token, provider = 'fcm'`, cutoff, pageSize)
		if err != nil {
			return r, fmt.Errorf("tokens: remove stale devices: %w", err)
		}
		var all, fcm []deadToken
		var d deadToken
		var isFCM bool
		if _, err := pgx.ForEachRow(rows, []any{&d.id, &d.userID, &d.platform, &d.token, &isFCM}, func() error {
			all = append(all, d)
			if isFCM {
				fcm = append(fcm, d)
			}
			return nil
		}); err != nil {
			return r, fmt.Errorf("tokens: remove stale devices: %w", err)
		}
		if len(all) == 0 {
			return r, nil
		}
		StaleRemoved.Add(float64(len(all)))
		r.Devices += int64(len(all))
		// The rows are gone: a failure here is caught by nothing later,
		// so it is logged and counted rather than retried forever.
		replaced, expired, err := a.clearInOpenIM(ctx, fcm)
		r.Replaced += int64(replaced)
		r.Expired += int64(expired)
		if err != nil {
			activity.GetLogger(ctx).Warn("stale tokens removed but not cleared in OpenIM", "devices", len(fcm), "error", err)
			PruneOutcomes.WithLabelValues("failed").Add(float64(len(fcm)))
		}
		activity.RecordHeartbeat(ctx, r)
	}
}

func collectDead(rows pgx.Rows) ([]deadToken, error) {
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (deadToken, error) {
		var d deadToken
		return d, row.Scan(&d.id, &d.userID, &d.platform, &d.token)
	})
	if err != nil {
		return nil, fmt.Errorf("tokens: read dead devices: %w", err)
	}
	return out, nil
}
