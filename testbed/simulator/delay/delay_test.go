package delay

import (
	"context"
	"testing"
	"time"
)

func TestWaitEndsEarlyWhenTheClientGoesAway(t *testing.T) {
	if !Wait(context.Background(), 0) {
		t.Fatal("no latency: Wait reported a gone client")
	}
	if !Wait(context.Background(), time.Millisecond) {
		t.Fatal("live client: Wait reported it gone")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if Wait(ctx, time.Hour) {
		t.Fatal("cancelled client: Wait held for the whole latency and reported it present")
	}
}
