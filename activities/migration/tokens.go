package migration

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/sync/errgroup"

	"github.com/imshift/imshift/activities/openim"
)

// openimPlatform maps the device registry's platform to OpenIM's platform
// id; OpenIM's FCM sender reads exactly these three.
var openimPlatform = map[string]int32{
	"ios":     openim.PlatformIOS,
	"android": openim.PlatformAndroid,
	"web":     openim.PlatformWeb,
}

// OpenIMPlatform is OpenIM's platform id of a registry platform (0 when
// OpenIM's FCM sender does not read it).
func OpenIMPlatform(platform string) int32 { return openimPlatform[platform] }

// fcmDevice is the newest live FCM token of a user on a platform: OpenIM
// keeps one token per (user, platform), so older ones would be overwritten.
type fcmDevice struct {
	outcome  int // index into the chunk's outcomes
	platform int32
	token    string
}

// copyTokens copies the FCM tokens of the chunk's provisioned users into
// OpenIM (fcm_update_token, TokenWorkers at a time) and counts their APNs
// devices, which OpenIM cannot push to. A token OpenIM refuses marks its
// user as failed; anything else that fails stops the chunk.
func (a *Activities) copyTokens(ctx context.Context, outs []outcome) error {
	index := map[string]int{}
	var ids []string
	for i, o := range outs {
		if o.ok() {
			index[o.user.ID] = i
			ids = append(ids, o.user.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	devices, err := a.fcmDevices(ctx, ids, index)
	if err != nil {
		return err
	}
	if err := a.countAPNs(ctx, ids, index, outs); err != nil {
		return err
	}
	refused := make([]error, len(devices))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(a.cfg.TokenWorkers)
	ttl := int64(a.cfg.FCMTokenTTL / time.Second)
	for i, d := range devices {
		g.Go(func() error {
			err := a.cfg.OpenIM.FCMUpdateToken(gctx, outs[d.outcome].openimID, d.platform, d.token, ttl)
			if err != nil && classify(err) == perUser {
				refused[i] = err
				return nil
			}
			if err != nil {
				return openimFailure(err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	for i, d := range devices {
		o := &outs[d.outcome]
		if refused[i] != nil {
			o.status, o.err = statusError, "fcm_update_token: "+shortReason(refused[i])
			continue
		}
		o.fcm++
	}
	return nil
}

func (a *Activities) fcmDevices(ctx context.Context, ids []string, index map[string]int) ([]fcmDevice, error) {
	rows, err := a.cfg.DB.Query(ctx, `
		SELECT DISTINCT ON (user_id, platform) user_id, platform, token
		FROM imshift.devices
		WHERE user_id = ANY($1) AND provider = 'fcm' AND invalidated_at IS NULL
		ORDER BY user_id, platform, last_seen_at DESC, id DESC`, ids)
	if err != nil {
		return nil, fmt.Errorf("read FCM devices: %w", err)
	}
	var out []fcmDevice
	var user, platform, token string
	_, err = pgx.ForEachRow(rows, []any{&user, &platform, &token}, func() error {
		out = append(out, fcmDevice{outcome: index[user], platform: openimPlatform[platform], token: token})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read FCM devices: %w", err)
	}
	return out, nil
}

func (a *Activities) countAPNs(ctx context.Context, ids []string, index map[string]int, outs []outcome) error {
	rows, err := a.cfg.DB.Query(ctx, `
		SELECT user_id, count(*) FROM imshift.devices
		WHERE user_id = ANY($1) AND provider = 'apns' AND invalidated_at IS NULL
		GROUP BY user_id`, ids)
	if err != nil {
		return fmt.Errorf("count APNs devices: %w", err)
	}
	var user string
	var n int
	_, err = pgx.ForEachRow(rows, []any{&user, &n}, func() error {
		outs[index[user]].apns = n
		return nil
	})
	if err != nil {
		return fmt.Errorf("count APNs devices: %w", err)
	}
	return nil
}
