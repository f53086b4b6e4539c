package campaign

import (
	"context"
	"testing"
	"time"

	"github.com/imshift/imshift/testbed/testenv"
	"github.com/redis/go-redis/v9"
	"sync"
)

func TestGateStopFlag(t *testing.T) {
	rdb, _ := testenv.Redis(t)
	g := NewGate(rdb, nil)
	ctx := context.Background()
	if r, err := g.Stopped(ctx, "c"); r != "" || err != nil {
		t.Fatalf("fresh campaign stopped: %q %v", r, err)
	}
	if err := g.SetStop(ctx, "c", StopPaused); err != nil {
		t.Fatal(err)
	}
	r, err := g.Take(ctx, "c", 0, "fcm", 500)
	if r != StopPaused || err != nil {
		t.Fatalf("Take on a paused campaign = %q, %v", r, err)
	}
	if other, _ := g.Stopped(ctx, "other"); other != "" {
		t.Error("the flag leaks to another campaign")
	}
	if err := g.SetStop(ctx, "c", ""); err != nil {
		t.Fatal(err)
	}
	if r, err := g.Take(ctx, "c", 0, "fcm", 500); r != "" || err != nil {
		t.Fatalf("Take after clearing = %q, %v", r, err)
	}
}

func TestGateThrottleExtendsOnly(t *testing.T) {
	rdb, _ := testenv.Redis(t)
	g := NewGate(rdb, nil)
	ctx := context.Background()
	if err := g.Throttle(ctx, "apns", time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := g.Throttle(ctx, "apns", time.Second); err != nil {
		t.Fatal(err)
	}
	left := rdb.PTTL(ctx, throttleKey("apns")).Val()
	if left < 30*time.Second {
		t.Errorf("a shorter Retry-After shortened the throttle to %v", left)
	}
	if rdb.Exists(ctx, throttleKey("fcm")).Val() != 0 {
		t.Error("throttling APNs throttled FCM")
	}
}

// A campaign held back (here by a provider's minute-long Retry-After) waits
// in Take; a pause raised meanwhile ends the wait with the stop reason.
func TestGateWaitEndsOnPause(t *testing.T) {
	rdb, _ := testenv.Redis(t)
	g := NewGate(rdb, nil)
	ctx := context.Background()
	if err := g.Throttle(ctx, "fcm", time.Minute); err != nil {
		t.Fatal(err)
	}
	// The explicit event: Take has looked at the flags once and is waiting.
	looked := make(chan struct{})
	var once sync.Once
	rdb.AddHook(pipelineSeen{func() { once.Do(func() { close(looked) }) }})
	go func() {
		<-looked
		_ = g.SetStop(ctx, "held", StopPaused)
	}()
	r, err := g.Take(ctx, "held", 0, "fcm", 500)
	if r != StopPaused || err != nil {
		t.Fatalf("Take = %q, %v; want the pause", r, err)
	}
}

// The campaign's own rate: within its burst a call passes, the next waits.
func TestGateCampaignRate(t *testing.T) {
	rdb, _ := testenv.Redis(t)
	g := NewGate(rdb, nil)
	ctx := context.Background()
	res, err := g.limiter.AllowN(ctx, campaignRateKey("c"), limit(50, ChunkSize(50)), ChunkSize(50))
	if err != nil || res.Allowed == 0 {
		t.Fatalf("first call of %d at 50/s: %+v, %v", ChunkSize(50), res, err)
	}
	res, err = g.limiter.AllowN(ctx, campaignRateKey("c"), limit(50, ChunkSize(50)), ChunkSize(50))
	if err != nil || res.Allowed != 0 || res.RetryAfter <= 0 {
		t.Fatalf("second call at once: %+v, %v; want a wait", res, err)
	}
}

// The provider limit is shared: what one campaign takes, another cannot.
func TestGateProviderRateIsGlobal(t *testing.T) {
	rdb, _ := testenv.Redis(t)
	g := NewGate(rdb, map[string]int{"apns": 1000})
	ctx := context.Background()
	wait, err := g.takeProvider(ctx, "apns", 500)
	if err != nil || wait != 0 {
		t.Fatalf("first 500: wait %v, %v", wait, err)
	}
	other := NewGate(rdb, map[string]int{"apns": 1000}) // another worker
	wait, err = other.takeProvider(ctx, "apns", 500)
	if err != nil || wait <= 0 {
		t.Fatalf("second 500 within the burst of 500: wait %v, %v; want a wait", wait, err)
	}
}

// pipelineSeen calls seen after every pipeline the client has run.
type pipelineSeen struct{ seen func() }

func (pipelineSeen) DialHook(next redis.DialHook) redis.DialHook          { return next }
func (pipelineSeen) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }
func (h pipelineSeen) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		h.seen()
		return err
	}
}

// A quota 429 cuts the provider's shared rate to 70 %, once per cool-down:
// a second 429 inside the first's Retry-After changes nothing. Another
// provider's rate is untouched.
func TestAdaptiveRateCutsOncePerCooldown(t *testing.T) {
	rdb, _ := testenv.Redis(t)
	g := NewGate(rdb, map[string]int{"fcm": 1000, "apns": 1000})
	ctx := context.Background()
	if r, err := g.providerRateNow(ctx, "fcm", false, 0); r != 1000 || err != nil {
		t.Fatalf("fresh rate %d, %v; want the ceiling", r, err)
	}
	if err := g.CutRate(ctx, "fcm", time.Minute); err != nil {
		t.Fatal(err)
	}
	first, _ := g.providerRateNow(ctx, "fcm", false, 0)
	if first < 690 || first > 720 {
		t.Fatalf("rate after a 429: %d, want about 700", first)
	}
	if err := g.CutRate(ctx, "fcm", time.Minute); err != nil {
		t.Fatal(err)
	}
	if again, _ := g.providerRateNow(ctx, "fcm", false, 0); again < first {
		t.Errorf("a second 429 inside the cool-down cut again: %d < %d", again, first)
	}
	if other, _ := g.providerRateNow(ctx, "apns", false, 0); other != 1000 {
		t.Errorf("APNs rate %d after an FCM 429", other)
	}
}

// However often 429s come, the shared rate stays at or above half its
// ceiling: scattered 429s must not starve every campaign.
func TestAdaptiveRateNeverBelowTheFloor(t *testing.T) {
	rdb, _ := testenv.Redis(t)
	g := NewGate(rdb, map[string]int{"fcm": 1000})
	ctx := context.Background()
	key := adaptiveKey("fcm")
	for range 5 { // each cut as if the last cool-down were over
		if err := rdb.HSet(ctx, key, "until", 0).Err(); err != nil {
			t.Fatal(err)
		}
		if err := g.CutRate(ctx, "fcm", 0); err != nil {
			t.Fatal(err)
		}
	}
	if r, err := g.providerRateNow(ctx, "fcm", false, 0); err != nil || r < 500 || r > 520 {
		t.Errorf("rate after five cuts: %d, %v; want the floor, 500", r, err)
	}
}
