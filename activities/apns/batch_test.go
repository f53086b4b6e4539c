package apns

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/imshift/imshift/activities/delivery"
	"github.com/imshift/imshift/testbed/simulator/apnssim"
)

// TestBatchKeepsOrderAndDeliversOnce sends 1 200 mixed messages in one call:
// every result sits at its message's index and every sendable message
// reached the simulator exactly once.
func TestBatchKeepsOrderAndDeliversOnce(t *testing.T) {
	r := newRig(t)
	const n = 1200
	msgs := make([]delivery.Message, n)
	want := make([]delivery.Class, n)
	for i := range msgs {
		msgs[i] = msg(deviceToken(i))
		switch i % 7 {
		case 1:
			_ = r.sim.SetTokenFault(msgs[i].Token, faultFor(410, "Unregistered"))
			want[i] = delivery.DeadToken
		case 2:
			msgs[i].Body = strings.Repeat("x", 5000)
			want[i] = delivery.BadMessage
		case 3:
			_ = r.sim.SetTokenFault(msgs[i].Token, faultFor(429, "TooManyRequests"))
			want[i] = delivery.Throttled
		case 4:
			_ = r.sim.SetTokenFault(msgs[i].Token, faultFor(503, "ServiceUnavailable"))
			want[i] = delivery.Transient
		case 5:
			msgs[i].Token = "zz" + msgs[i].Token[2:]
			want[i] = delivery.DeadToken
		default:
			want[i] = delivery.Sent
		}
	}
	res, err := r.sender(t, func(c *Config) { c.Streams = 100 }).Send(context.Background(), msgs)
	if err != nil || len(res) != n {
		t.Fatalf("Send: %v, %d results", err, len(res))
	}
	ids := map[string]bool{}
	sent := 0
	for i, got := range res {
		if got.Class != want[i] {
			t.Fatalf("message %d: class %s (%s), want %s", i, got.Class, got.Reason, want[i])
		}
		if got.Class == delivery.Sent {
			sent++
			if ids[got.MessageID] {
				t.Fatalf("message %d: apns-id %s repeated", i, got.MessageID)
			}
			ids[got.MessageID] = true
		}
		wantDelivered := map[bool]int{true: 1}[got.Class == delivery.Sent]
		if d := r.sim.Delivered(msgs[i].Token); d != wantDelivered {
			t.Fatalf("message %d: delivered %d times, want %d", i, d, wantDelivered)
		}
		reached := got.Reason != "BadDeviceToken" && got.Reason != "PayloadTooLarge"
		if a := r.sim.Attempts(msgs[i].Token); reached && a != 1 {
			t.Fatalf("message %d: reached the simulator %d times, want once", i, a)
		}
	}
	if c := r.sim.Counters(); c.Delivered != int64(sent) {
		t.Fatalf("simulator delivered %d in total, results say %d", c.Delivered, sent)
	}
}

func faultFor(status int, reason string) apnssim.Fault {
	return apnssim.Fault{Status: status, Reason: reason}
}

// TestStreamsBoundsRequestsInFlight runs two batches at once through a
// sender with Streams 4 and watches the server's concurrency.
func TestStreamsBoundsRequestsInFlight(t *testing.T) {
	r := newRig(t)
	r.sim.SetLatency(2 * time.Millisecond)
	var inFlight, peak atomic.Int64
	counting := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		now := inFlight.Add(1)
		for p := peak.Load(); now > p && !peak.CompareAndSwap(p, now); p = peak.Load() {
		}
		defer inFlight.Add(-1)
		r.sim.ServeHTTP(w, req)
	})
	ts := httptest.NewUnstartedServer(counting)
	ts.EnableHTTP2 = true
	ts.TLS = r.ca.ServerTLSConfig()
	ts.StartTLS()
	defer ts.Close()

	s := r.sender(t, func(c *Config) { c.Endpoint, c.Streams = ts.URL, 4 })
	var wg sync.WaitGroup
	for b := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			msgs := make([]delivery.Message, 60)
			for i := range msgs {
				msgs[i] = msg(deviceToken(1000*b + i))
			}
			res, err := s.Send(context.Background(), msgs)
			if err != nil {
				t.Error(err)
				return
			}
			for i, got := range res {
				if got.Class != delivery.Sent {
					t.Errorf("batch %d message %d: %+v", b, i, got)
				}
			}
		}()
	}
	wg.Wait()
	if p := peak.Load(); p > 4 {
		t.Fatalf("%d requests in flight, Streams is 4", p)
	}
	if d := r.sim.Counters().Delivered; d != 120 {
		t.Fatalf("delivered %d, want 120", d)
	}
}

func TestSendWithDoneContext(t *testing.T) {
	r := newRig(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := r.sender(t, nil).Send(ctx, []delivery.Message{msg(deviceToken(1))})
	if err == nil || res != nil {
		t.Fatalf("got %v, %v; want no results and ctx's error", res, err)
	}
	if r.sim.Counters().Requests != 0 {
		t.Fatal("a request went out on a done context")
	}
}
