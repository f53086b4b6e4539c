package campaign

import (
	"context"
	"testing"
	"time"

	"github.com/imshift/imshift/internal/testenv"
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
	beats := 0
	r, err := g.Take(ctx, "c", 0, "fcm", 500, func() { beats++ })
	if r != StopPaused || err != nil {
		t.Fatalf("Take on a paused campaign = %q, %v", r, err)
	}
	if other, _ := g.Stopped(ctx, "other"); other != "" {
		t.Error("the flag leaks to another campaign")
	}
	if err := g.SetStop(ctx, "c", ""); err != nil {
		t.Fatal(err)
	}
	if r, err := g.Take(ctx, "c", 0, "fcm", 500, func() {}); r != "" || err != nil {
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

// A campaign whose rate is used up waits in Take; a pause raised meanwhile
// ends the wait with the stop reason, heartbeating while it waits.
func TestGateRateWaitEndsOnPause(t *testing.T) {
	rdb, _ := testenv.Redis(t)
	g := NewGate(rdb, map[string]int{"fcm": 1_000_000})
	ctx := context.Background()
	if r, err := g.Take(ctx, "slow", 1, "fcm", 1, func() {}); r != "" || err != nil {
		t.Fatalf("first take: %q %v", r, err)
	}
	beats := 0
	r, err := g.Take(ctx, "slow", 1, "fcm", 1, func() {
		if beats++; beats == 1 {
			_ = g.SetStop(ctx, "slow", StopPaused)
		}
	})
	if r != StopPaused || err != nil || beats == 0 {
		t.Fatalf("Take = %q, %v after %d beats; want the pause", r, err, beats)
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
