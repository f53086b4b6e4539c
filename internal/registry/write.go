package registry

import (
	"context"
	"errors"
	"fmt"
)

// Upsert registers d (after Normalize). The same (provider, token) already
// registered is updated in place: it moves to d's user, takes d's platform,
// app, locale and time zone, counts as seen now, and a token once found dead
// is revived, because a device presenting it again says it works. created
// tells a new row from an update. The returned Device holds the real token.
func (s *Store) Upsert(ctx context.Context, d Device) (dev Device, created bool, err error) {
	if err := d.Normalize(); err != nil {
		return Device{}, false, err
	}
	row := s.pool.QueryRow(ctx, `
		INSERT INTO imshift.devices AS d (user_id, platform, provider, token, app_id, locale, time_zone)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (provider, token) DO UPDATE SET
			user_id = EXCLUDED.user_id, platform = EXCLUDED.platform, app_id = EXCLUDED.app_id,
			locale = EXCLUDED.locale, time_zone = EXCLUDED.time_zone, last_seen_at = now(),
			invalidated_at = NULL, invalid_reason = NULL
		RETURNING `+columns+`, xmax = 0`,
		d.UserID, d.Platform, d.Provider, d.Token, d.AppID, d.Locale, d.TimeZone)
	err = row.Scan(&dev.ID, &dev.UserID, &dev.Platform, &dev.Provider, &dev.Token, &dev.AppID, &dev.Locale,
		&dev.TimeZone, &dev.CreatedAt, &dev.LastSeenAt, &dev.InvalidatedAt, &dev.InvalidReason, &created)
	if err != nil {
		return Device{}, false, fmt.Errorf("registry: upsert device: %w", err)
	}
	return dev, created, nil
}

// ImportResult counts what Import did with a batch.
type ImportResult struct {
	Inserted int // new rows
	Existing int // tokens already registered, left as they were
}

// Import inserts a batch of devices from an older system (each already
// Normalized). Unlike Upsert it never touches a token the registry already
// has: a registration through the API is newer than any legacy row, and a
// token found dead must not come back from an old export. Within one batch,
// and across batches, the first row for a token wins.
func (s *Store) Import(ctx context.Context, devices []Device) (ImportResult, error) {
	var cols [7][]string
	seen := make(map[[2]string]bool, len(devices))
	for _, d := range devices {
		key := [2]string{d.Provider, d.Token}
		if seen[key] {
			continue
		}
		seen[key] = true
		for i, v := range []string{d.UserID, d.Platform, d.Provider, d.Token, d.AppID, d.Locale, d.TimeZone} {
			cols[i] = append(cols[i], v)
		}
	}
	tag, err := s.pool.Exec(ctx, `
		INSERT INTO imshift.devices (user_id, platform, provider, token, app_id, locale, time_zone)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
		ON CONFLICT (provider, token) DO NOTHING`,
		cols[0], cols[1], cols[2], cols[3], cols[4], cols[5], cols[6])
	if err != nil {
		return ImportResult{}, fmt.Errorf("registry: import devices: %w", err)
	}
	n := int(tag.RowsAffected())
	return ImportResult{Inserted: n, Existing: len(devices) - n}, nil
}

// Delete removes the device with this provider and token. It reports
// whether there was one; deleting an unknown token is not an error.
func (s *Store) Delete(ctx context.Context, provider, token string) (bool, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM imshift.devices WHERE provider = $1 AND token = $2`, provider, token)
	if err != nil {
		return false, fmt.Errorf("registry: delete device: %w", err)
	}
	return tag.RowsAffected() > 0, nil
}

// Invalidate marks devices dead with reason (a provider's reason such as
// "UNREGISTERED" or "BadDeviceToken"). Devices already invalid keep their
// first reason. It returns how many devices it marked.
func (s *Store) Invalidate(ctx context.Context, ids []int64, reason string) (int64, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	if reason == "" {
		return 0, errors.New("registry: invalidate needs a reason")
	}
	tag, err := s.pool.Exec(ctx, `
		UPDATE imshift.devices SET invalidated_at = now(), invalid_reason = $2
		WHERE id = ANY($1) AND invalidated_at IS NULL`, ids, reason)
	if err != nil {
		return 0, fmt.Errorf("registry: invalidate devices: %w", err)
	}
	return tag.RowsAffected(), nil
}
