package campaign

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// The adaptive provider rate. A provider answering 429 QUOTA_EXCEEDED says
// the project's quota is exceeded, whoever sends: so the cure is a lower
// rate for every sender of that provider on every worker, not a stop. The
// rate lives in Redis (one hash per provider) and starts at the configured
// ceiling (IMSHIFT_FCM_RATE_PER_SECOND, IMSHIFT_APNS_RATE_PER_SECOND):
//   - a 429 cuts it by rateCut, at most once per cool-down (the 429's
//     Retry-After, at least rateCooldown), so one burst of answers to one
//     overload cuts once;
//   - it recovers additively by a tenth of the ceiling per second;
//   - it never goes below half the ceiling (rateFloor).
//
// The floor is what keeps scattered 429s from starving every campaign:
// a 429 every second would otherwise settle the rate at 0.7·(r +
// ceiling/10) = r, under a quarter of the ceiling, and a provider that
// answers a fifth of all requests 429 whatever the rate (not a quota
// overrun) would hold it there for good. The ceiling is the project's
// quota as configured, so a real overrun is a burst of 429s just above
// it, which two cuts already bring under; each 429'd token also waits its
// own Retry-After. Cutting deeper would not send less to a quota that is
// really lower, it would only starve the campaign. When 429s stop the rate
// is back at the ceiling within five seconds. Redis's clock is the only
// clock, so workers need not agree.
const (
	rateCut      = 0.7
	rateFloor    = 0.5
	rateCooldown = time.Second
)

// adaptiveScript returns the provider's current rate, cutting it first when
// ARGV[4] is 1 and the last cut's cool-down is over.
// KEYS[1] the provider's hash; ARGV: ceiling, floor, recovery per second,
// cut (0|1), factor, cool-down in ms.
var adaptiveScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local v = redis.call('HMGET', KEYS[1], 'rate', 'at', 'until')
local ceiling = tonumber(ARGV[1])
local rate = tonumber(v[1]) or ceiling
local at = tonumber(v[2]) or now
local cooldown = tonumber(v[3]) or 0
rate = math.min(ceiling, rate + (now - at) * tonumber(ARGV[3]) / 1000)
if ARGV[4] == '1' and now >= cooldown then
  rate = math.max(tonumber(ARGV[2]), rate * tonumber(ARGV[5]))
  cooldown = now + tonumber(ARGV[6])
end
if rate >= ceiling and now >= cooldown then
  redis.call('DEL', KEYS[1])
  return ceiling
end
redis.call('HSET', KEYS[1], 'rate', tostring(rate), 'at', now, 'until', cooldown)
redis.call('PEXPIRE', KEYS[1], 3600000)
return math.floor(rate)`)

func adaptiveKey(provider string) string { return "imshift:push:" + provider + ":adaptive" }

// providerRateNow is the provider's current adaptive rate per second (0: no
// limit configured); cut lowers it first, for a 429 that asked to wait
// retryAfter.
func (g *Gate) providerRateNow(ctx context.Context, provider string, cut bool, retryAfter time.Duration) (int, error) {
	ceiling := g.providerRate[provider]
	if ceiling <= 0 {
		return 0, nil
	}
	flag := 0
	if cut {
		flag = 1
	}
	cooldown := max(retryAfter, rateCooldown)
	n, err := adaptiveScript.Run(ctx, g.rdb, []string{adaptiveKey(provider)},
		ceiling, max(1, int(float64(ceiling)*rateFloor)), max(1, ceiling/10), flag, rateCut, cooldown.Milliseconds()).Int()
	if err != nil {
		return 0, fmt.Errorf("gate: %s adaptive rate: %w", provider, err)
	}
	return max(n, 1), nil
}

// CutRate lowers the provider's shared rate after a quota 429.
func (g *Gate) CutRate(ctx context.Context, provider string, retryAfter time.Duration) error {
	_, err := g.providerRateNow(ctx, provider, true, retryAfter)
	return err
}
