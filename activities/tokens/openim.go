package tokens

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/imshift/imshift/activities/migration"
)

// deadToken is a device whose token must leave OpenIM.
type deadToken struct {
	id       int64
	userID   string // legacy id
	platform string
	token    string
}

// clearInOpenIM takes dead FCM tokens out of OpenIM. OpenIM's admin API has
// no call that deletes a push token (its push service deletes one only on
// the SDK's logout), and keeps one token per (user, platform), so per
// (user, platform) of a provisioned user:
//   - the user still has a live FCM token on that platform in the registry:
//     fcm_update_token puts the newest one in place (30-day TTL);
//   - otherwise fcm_update_token writes the dead token back with
//     expireTime 1, so OpenIM's Redis drops the key a second later.
//
// Users never provisioned in OpenIM have nothing there and are skipped.
// It returns how many (user, platform) pairs were replaced and expired.
func (a *Activities) clearInOpenIM(ctx context.Context, dead []deadToken) (replaced, expired int, err error) {
	type pair struct {
		userID   string
		platform string
	}
	latest := map[pair]deadToken{}
	var users []string
	for _, d := range dead {
		if migration.OpenIMPlatform(d.platform) == 0 {
			continue
		}
		k := pair{d.userID, d.platform}
		if _, seen := latest[k]; !seen {
			users = append(users, d.userID)
		}
		latest[k] = d
	}
	if len(latest) == 0 {
		return 0, 0, nil
	}
	provisioned, live, err := a.lookup(ctx, users)
	if err != nil {
		return 0, 0, err
	}
	ttl := int64(a.cfg.FCMTokenTTL.Seconds())
	for k, d := range latest {
		openimID, ok := provisioned[k.userID]
		if !ok {
			PruneOutcomes.WithLabelValues("not_provisioned").Inc()
			continue
		}
		platformID := migration.OpenIMPlatform(k.platform)
		token, expire, outcome := d.token, int64(1), "expired"
		if t, ok := live[[2]string{k.userID, k.platform}]; ok {
			token, expire, outcome = t, ttl, "replaced"
		}
		if err := a.cfg.OpenIM.FCMUpdateToken(ctx, openimID, platformID, token, expire); err != nil {
			return replaced, expired, fmt.Errorf("tokens: clear a dead token in OpenIM: %w", err)
		}
		PruneOutcomes.WithLabelValues(outcome).Inc()
		if outcome == "replaced" {
			replaced++
		} else {
			expired++
		}
	}
	return replaced, expired, nil
}

// lookup finds the users' OpenIM ids and their newest live FCM token per
// platform.
func (a *Activities) lookup(ctx context.Context, users []string) (map[string]string, map[[2]string]string, error) {
	provisioned := map[string]string{}
	rows, err := a.cfg.DB.Query(ctx, `SELECT legacy_id, openim_id FROM imshift.user_id_map WHERE legacy_id = ANY($1)`, users)
	if err != nil {
		return nil, nil, fmt.Errorf("tokens: read the id map: %w", err)
	}
	var legacy, openimID string
	if _, err := pgx.ForEachRow(rows, []any{&legacy, &openimID}, func() error {
		provisioned[legacy] = openimID
		return nil
	}); err != nil {
		return nil, nil, fmt.Errorf("tokens: read the id map: %w", err)
	}
	live := map[[2]string]string{}
	rows, err = a.cfg.DB.Query(ctx, `
		SELECT DISTINCT ON (user_id, platform) user_id, platform, token
		FROM imshift.devices
		WHERE user_id = ANY($1) AND provider = 'fcm' AND invalidated_at IS NULL
		ORDER BY user_id, platform, last_seen_at DESC, id DESC`, users)
	if err != nil {
		return nil, nil, fmt.Errorf("tokens: read live tokens: %w", err)
	}
	var user, platform, token string
	if _, err := pgx.ForEachRow(rows, []any{&user, &platform, &token}, func() error {
		live[[2]string{user, platform}] = token
		return nil
	}); err != nil {
		return nil, nil, fmt.Errorf("tokens: read live tokens: %w", err)
	}
	return provisioned, live, nil
}
