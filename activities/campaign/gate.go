package campaign

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"

	"github.com/imshift/imshift/activities/delivery"
)

// Gate is what every provider call of every campaign passes through, shared
// by all workers through Redis:
//   - a stop flag per campaign (pause, cancel, a fatal error), checked before
//     each call, so a pause takes effect within one call's time;
//   - a hold per provider, set when the provider throttles our credentials
//     (APNs TooManyProviderTokenUpdates) and honoured by every campaign on
//     every worker for the Retry-After it asked for;
//   - two GCRA rate limits (go-redis/redis_rate): the campaign's
//     ratePerSecond, and the provider's adaptive rate across all campaigns
//     (adaptive.go), which quota 429s cut.
type Gate struct {
	rdb     *redis.Client
	limiter *redis_rate.Limiter
	// providerRate is the global limit per provider, per second; 0 or
	// absent means none.
	providerRate map[string]int
}

// NewGate returns a Gate on rdb with per-second limits per provider.
func NewGate(rdb *redis.Client, providerRate map[string]int) *Gate {
	return &Gate{rdb: rdb, limiter: redis_rate.NewLimiter(rdb), providerRate: providerRate}
}

// Stop flags live a week at most: a campaign paused longer keeps its state
// in the workflow, which sets the flag again on pause.
const stopTTL = 7 * 24 * time.Hour

// maxWaitStep bounds one sleep of Take, so a stop flag or a cancelled
// activity is noticed within it.
const maxWaitStep = 250 * time.Millisecond

func stopKey(campaignID string) string         { return "imshift:campaign:" + campaignID + ":stop" }
func campaignRateKey(campaignID string) string { return "imshift:campaign:" + campaignID }
func throttleKey(provider string) string       { return "imshift:push:" + provider + ":throttled" }
func providerRateKey(provider string) string   { return "imshift:push:" + provider }

// SetStop raises the campaign's stop flag with a reason ("paused",
// "cancelled", "failed"); an empty reason clears it.
func (g *Gate) SetStop(ctx context.Context, campaignID, reason string) error {
	var err error
	if reason == "" {
		err = g.rdb.Del(ctx, stopKey(campaignID)).Err()
	} else {
		err = g.rdb.Set(ctx, stopKey(campaignID), reason, stopTTL).Err()
	}
	if err != nil {
		return fmt.Errorf("gate: stop flag: %w", err)
	}
	return nil
}

// Stopped returns the campaign's stop reason, or "" while it may send.
func (g *Gate) Stopped(ctx context.Context, campaignID string) (string, error) {
	v, err := g.rdb.Get(ctx, stopKey(campaignID)).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("gate: stop flag: %w", err)
	}
	return v, nil
}

// throttleScript extends a provider's throttle, never shortens it.
var throttleScript = redis.NewScript(`
local left = redis.call('PTTL', KEYS[1])
if left < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
end
return 0`)

// Throttle holds every send to provider back for d.
func (g *Gate) Throttle(ctx context.Context, provider string, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	if err := throttleScript.Run(ctx, g.rdb, []string{throttleKey(provider)}, d.Milliseconds()).Err(); err != nil {
		return fmt.Errorf("gate: throttle %s: %w", provider, err)
	}
	return nil
}

// ChunkSize is how many messages go in one provider call for a campaign
// limited to rate per second (0: unlimited): 500, FCM's SendEach maximum,
// unless a tenth of a second at the campaign's rate is less, so a slow
// campaign still sends evenly instead of in bursts.
func ChunkSize(rate int) int {
	if rate <= 0 {
		return 500
	}
	return max(1, min(500, rate/10))
}

// limit is a per-second GCRA limit whose burst admits a whole chunk.
func limit(rate, n int) redis_rate.Limit {
	return redis_rate.Limit{Rate: rate, Period: time.Second, Burst: max(n, rate/10)}
}

// Take waits until n sends to provider fit both the campaign's rate and the
// provider's, and the provider is not throttled. It returns early with the
// stop reason if the campaign is stopped meanwhile.
func (g *Gate) Take(ctx context.Context, campaignID string, rate int, provider string, n int) (string, error) {
	campaignDone := rate <= 0
	for {
		reason, wait, err := g.look(ctx, campaignID, provider)
		if err != nil || reason != "" {
			return reason, err
		}
		if wait <= 0 && !campaignDone {
			res, err := g.limiter.AllowN(ctx, campaignRateKey(campaignID), limit(rate, n), n)
			if err != nil {
				return "", fmt.Errorf("gate: campaign rate: %w", err)
			}
			campaignDone, wait = res.Allowed > 0, res.RetryAfter
		}
		if wait <= 0 && campaignDone {
			if wait, err = g.takeProvider(ctx, provider, n); err != nil || wait <= 0 {
				return "", err
			}
		}
		if err := delivery.Sleep(ctx, min(wait, maxWaitStep)); err != nil {
			return "", err
		}
	}
}

// look reads the stop flag and the provider's throttle in one round trip.
func (g *Gate) look(ctx context.Context, campaignID, provider string) (string, time.Duration, error) {
	pipe := g.rdb.Pipeline()
	stop := pipe.Get(ctx, stopKey(campaignID))
	ttl := pipe.PTTL(ctx, throttleKey(provider))
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return "", 0, fmt.Errorf("gate: look: %w", err)
	}
	return stop.Val(), ttl.Val(), nil
}

// takeProvider takes n from the provider's global limit, or says how long
// to wait for it.
func (g *Gate) takeProvider(ctx context.Context, provider string, n int) (time.Duration, error) {
	rate, err := g.providerRateNow(ctx, provider, false, 0)
	if err != nil || rate <= 0 {
		return 0, err
	}
	res, err := g.limiter.AllowN(ctx, providerRateKey(provider), limit(rate, max(n, 500)), n)
	if err != nil {
		return 0, fmt.Errorf("gate: %s rate: %w", provider, err)
	}
	if res.Allowed > 0 {
		return 0, nil
	}
	return res.RetryAfter, nil
}
