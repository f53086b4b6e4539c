package fcm_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/imshift/imshift/activities/delivery"
	"github.com/imshift/imshift/activities/fcm"
	"github.com/imshift/imshift/testbed/simulator/fcmsim"
)

// TestClasses: for each outcome class, the official SDK talks to the
// simulator over TLS+HTTP/2 and the result comes back classified.
func TestClasses(t *testing.T) {
	e := startSim(t)
	s := e.sender(t, e.keyFile)
	big := map[string]string{"blob": strings.Repeat("x", 5000)}
	cases := []struct {
		name       string
		msg        delivery.Message
		fault      *fcmsim.Fault
		class      delivery.Class
		reason     string
		retryAfter time.Duration
	}{
		{"sent", delivery.Message{Token: "ok-1", Title: "t", Body: "b", HighPriority: true, TTL: time.Hour, CollapseKey: "c", Sound: "default"}, nil, delivery.Sent, "", 0},
		{"sent background", delivery.Message{Token: "ok-2", Data: map[string]string{"k": "v"}, PushType: "background"}, nil, delivery.Sent, "", 0},
		{"unregistered", delivery.Message{Token: "dead-1"}, nil, delivery.DeadToken, "UNREGISTERED", 0},
		{"sender id mismatch", delivery.Message{Token: "sim-1"}, &fcmsim.Fault{Status: fcmsim.SenderIDMismatch}, delivery.DeadToken, "SENDER_ID_MISMATCH", 0},
		{"malformed token", delivery.Message{Token: "not a token!"}, nil, delivery.DeadToken, "INVALID_ARGUMENT", 0},
		{"empty token", delivery.Message{Title: "t"}, nil, delivery.DeadToken, "INVALID_ARGUMENT", 0},
		{"payload too big", delivery.Message{Token: "big-1", Data: big}, nil, delivery.BadMessage, "INVALID_ARGUMENT", 0},
		{"reserved data key", delivery.Message{Token: "rk-1", Data: map[string]string{"from": "x"}}, nil, delivery.BadMessage, "INVALID_ARGUMENT", 0},
		{"bad image url", delivery.Message{Token: "img-1", Title: "t", ImageURL: "not a url"}, nil, delivery.BadMessage, "INVALID_ARGUMENT", 0},
		{"quota", delivery.Message{Token: "q-1"}, &fcmsim.Fault{Status: fcmsim.QuotaExceeded, RetryAfter: 30 * time.Second}, delivery.Quota, "QUOTA_EXCEEDED", 30 * time.Second},
		// Retry-After over the SDK's 2-minute cap stops its own retries.
		{"unavailable", delivery.Message{Token: "u-1"}, &fcmsim.Fault{Status: fcmsim.Unavailable, RetryAfter: 3 * time.Minute}, delivery.Transient, "UNAVAILABLE", 3 * time.Minute},
		{"internal", delivery.Message{Token: "i-1"}, &fcmsim.Fault{Status: fcmsim.Internal}, delivery.Transient, "INTERNAL", 0},
		{"third party auth", delivery.Message{Token: "a-1"}, &fcmsim.Fault{Status: fcmsim.ThirdPartyAuthError}, delivery.Credentials, "THIRD_PARTY_AUTH_ERROR", 0},
		{"unauthenticated", delivery.Message{Token: "a-2"}, &fcmsim.Fault{Status: fcmsim.Unauthenticated}, delivery.Credentials, "UNAUTHENTICATED", 0},
		{"permission denied", delivery.Message{Token: "a-3"}, &fcmsim.Fault{Status: fcmsim.PermissionDenied}, delivery.Credentials, "PERMISSION_DENIED", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.fault != nil {
				if err := e.sim.SetTokenFault(c.msg.Token, *c.fault); err != nil {
					t.Fatal(err)
				}
			}
			before := testutil.ToFloat64(delivery.Results.WithLabelValues("fcm", string(c.class)))
			res, err := s.Send(context.Background(), []delivery.Message{c.msg})
			if err != nil {
				t.Fatal(err)
			}
			r := res[0]
			if r.Class != c.class || r.Reason != c.reason || r.RetryAfter != c.retryAfter {
				t.Fatalf("got %+v, want class %s reason %q retry %v", r, c.class, c.reason, c.retryAfter)
			}
			if c.class == delivery.Sent && !strings.HasPrefix(r.MessageID, "projects/"+project+"/messages/") {
				t.Fatalf("message id %q", r.MessageID)
			}
			wantDelivered := 0
			if c.class == delivery.Sent {
				wantDelivered = 1
			}
			if got := e.sim.Delivered(c.msg.Token); c.msg.Token != "" && got != wantDelivered {
				t.Fatalf("simulator delivered %d, want %d", got, wantDelivered)
			}
			if got := testutil.ToFloat64(delivery.Results.WithLabelValues("fcm", string(c.class))); got != before+1 {
				t.Fatalf("metric went %v -> %v", before, got)
			}
		})
	}
	if e.http2.Load() == 0 {
		t.Fatal("the sender never used HTTP/2")
	}
}

// expectation is what one message of the mixed batch must come back as.
type expectation struct {
	class      delivery.Class
	delivered  int
	validating bool
}

// mixedBatch builds 1 200 messages of several outcomes; the kind depends on
// the index so a misplaced result shows up as the wrong class.
func mixedBatch(t *testing.T, sim *fcmsim.Server) ([]delivery.Message, []expectation) {
	t.Helper()
	msgs := make([]delivery.Message, 1200)
	want := make([]expectation, 1200)
	for i := range msgs {
		tok := fmt.Sprintf("tok-%04d", i)
		msgs[i] = delivery.Message{Token: tok, Title: "hello", Data: map[string]string{"i": fmt.Sprint(i)}}
		want[i] = expectation{class: delivery.Sent, delivered: 1}
		switch i % 7 {
		case 1:
			msgs[i].Token = "dead-" + tok
			want[i] = expectation{class: delivery.DeadToken}
		case 2:
			msgs[i].Token = tok + " bad"
			want[i] = expectation{class: delivery.DeadToken}
		case 3:
			msgs[i].Data = map[string]string{"blob": strings.Repeat("y", 4100)}
			want[i] = expectation{class: delivery.BadMessage}
		case 4:
			if err := sim.SetTokenFault(tok, fcmsim.Fault{Status: fcmsim.QuotaExceeded, RetryAfter: time.Minute}); err != nil {
				t.Fatal(err)
			}
			want[i] = expectation{class: delivery.Quota}
		case 5:
			msgs[i].ValidateOnly = true
			want[i] = expectation{class: delivery.Sent, validating: true}
		}
	}
	return msgs, want
}

// TestMixedBatchInOrder: 1 200 mixed messages (three SendEach calls in
// parallel) come back in message order, and the simulator saw exactly one
// delivery per sent message and none for any other.
func TestMixedBatchInOrder(t *testing.T) {
	e := startSim(t)
	s := e.sender(t, e.keyFile)
	msgs, want := mixedBatch(t, e.sim)
	res, err := s.Send(context.Background(), msgs)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != len(msgs) {
		t.Fatalf("%d results for %d messages", len(res), len(msgs))
	}
	sent := 0
	for i, r := range res {
		w := want[i]
		if r.Class != w.class {
			t.Fatalf("message %d: class %s, want %s (%+v)", i, r.Class, w.class, r)
		}
		if w.validating && !strings.HasSuffix(r.MessageID, "/fake_message_id") {
			t.Fatalf("message %d: validate-only id %q", i, r.MessageID)
		}
		if got := e.sim.Delivered(msgs[i].Token); got != w.delivered {
			t.Fatalf("message %d: delivered %d times, want %d", i, got, w.delivered)
		}
		sent += w.delivered
	}
	c := e.sim.Counters()
	if c.Sent != int64(sent) || c.Tokens != sent || c.Validated != int64(countValidating(want)) {
		t.Fatalf("counters %+v, want %d sent", c, sent)
	}
	if c.AccessTokens != 1 {
		t.Fatalf("%d access tokens, want 1", c.AccessTokens)
	}
}

func countValidating(want []expectation) int {
	n := 0
	for _, w := range want {
		if w.validating {
			n++
		}
	}
	return n
}

// TestWrongKey: an assertion signed with the wrong key is refused by the
// token endpoint; every message is Credentials and nothing is sent.
func TestWrongKey(t *testing.T) {
	e := startSim(t)
	s := e.sender(t, e.forgedKey(t))
	res, err := s.Send(context.Background(), []delivery.Message{{Token: "w-1"}, {Token: "w-2"}})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Class != delivery.Credentials || r.Reason != "invalid_grant" {
			t.Fatalf("message %d: %+v, want credentials/invalid_grant", i, r)
		}
	}
	if c := e.sim.Counters(); c.Requests != 0 || c.AccessTokens != 0 {
		t.Fatalf("counters %+v, want nothing sent", c)
	}
}

// TestUnreachable: a token endpoint nobody listens on is Transient, not
// Credentials.
func TestUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "https://" + ln.Addr().String()
	ln.Close()
	key, err := fcmsim.ServiceAccountJSON(dead+"/token", project)
	if err != nil {
		t.Fatal(err)
	}
	s, err := fcm.NewSender(context.Background(), fcm.Config{CredentialsFile: writeKey(t, key), Endpoint: dead})
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Send(context.Background(), []delivery.Message{{Token: "n-1"}})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Class != delivery.Transient {
		t.Fatalf("got %+v, want transient", res[0])
	}
}

// TestTimeout: a deadline hit while FCM is slow is Transient, per message.
func TestTimeout(t *testing.T) {
	e := startSim(t)
	s := e.sender(t, e.keyFile)
	// Fetch the access token first so the deadline hits the send itself.
	if _, err := s.Send(context.Background(), []delivery.Message{{Token: "warm"}}); err != nil {
		t.Fatal(err)
	}
	e.sim.SetLatency(time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	res, err := s.Send(ctx, []delivery.Message{{Token: "slow-1"}, {Token: "slow-2"}})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Class != delivery.Transient || r.Reason != "DEADLINE_EXCEEDED" {
			t.Fatalf("message %d: %+v, want transient/DEADLINE_EXCEEDED", i, r)
		}
	}
	if _, err := s.Send(ctx, []delivery.Message{{Token: "late"}}); err == nil {
		t.Fatal("Send with a done context returned no error")
	}
}

// A 503 is the delivery core's to retry, per token and counted: the SDK
// does not try again inside the call (a token answered UNAVAILABLE once
// comes back transient, not delivered by a hidden second try).
func TestUnavailableIsNotRetriedInsideTheCall(t *testing.T) {
	e := startSim(t)
	s := e.sender(t, e.keyFile)
	if err := e.sim.SetTokenFault("once-1", fcmsim.Fault{Status: fcmsim.Unavailable, Remaining: 1}); err != nil {
		t.Fatal(err)
	}
	res, err := s.Send(context.Background(), []delivery.Message{{Token: "once-1"}})
	if err != nil {
		t.Fatal(err)
	}
	if r := res[0]; r.Class != delivery.Transient || r.Reason != "UNAVAILABLE" {
		t.Fatalf("got %+v, want transient UNAVAILABLE from the one try", r)
	}
	if n := e.sim.Delivered("once-1"); n != 0 {
		t.Fatalf("the SDK retried the 503 inside the call: delivered %d", n)
	}
}
