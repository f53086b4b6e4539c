package apns

import (
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/imshift/imshift/activities/delivery"
	"github.com/imshift/imshift/testbed/simulator/apnssim"
	"github.com/imshift/imshift/testbed/simulator/simtls"
)

const (
	team  = "TEAM123456"
	keyID = "KEY1234567"
	topic = "com.example.app"
)

// rig is a simulator over TLS HTTP/2 and a sender configured for it.
type rig struct {
	sim *apnssim.Server
	url string
	ca  *simtls.CA
	key string // path of the .p8 file
}

func newRig(t testing.TB) *rig {
	t.Helper()
	p8, pub, err := apnssim.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "AuthKey.p8")
	if err := os.WriteFile(keyFile, p8, 0o600); err != nil {
		t.Fatal(err)
	}
	ca, err := simtls.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	sim := apnssim.New(apnssim.Options{TeamID: team, KeyID: keyID, Topic: topic, PublicKey: pub})
	ts := sim.StartTLS(ca)
	t.Cleanup(ts.Close)
	return &rig{sim: sim, url: ts.URL, ca: ca, key: keyFile}
}

func (r *rig) sender(t testing.TB, edit func(*Config)) *Sender {
	t.Helper()
	cfg := Config{KeyFile: r.key, KeyID: keyID, TeamID: team, Topic: topic, Endpoint: r.url, RootCAs: r.ca.Pool(), Streams: 50}
	if edit != nil {
		edit(&cfg)
	}
	s, err := NewSender(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func deviceToken(i int) string {
	var b [32]byte
	copy(b[:], fmt.Sprintf("device-%d", i))
	return hex.EncodeToString(b[:])
}

func msg(tok string) delivery.Message {
	return delivery.Message{Token: tok, Title: "Code", Body: "Your code is 123456", HighPriority: true}
}

func TestSendClassifiesEveryOutcome(t *testing.T) {
	r := newRig(t)
	cases := []struct {
		name       string
		fault      apnssim.Fault // injected on the message's token when Status != 0
		edit       func(*delivery.Message)
		sender     func(*Config)
		skew       time.Duration
		class      delivery.Class
		reason     string
		retryAfter time.Duration
		delivered  bool
	}{
		{name: "sent", class: delivery.Sent, delivered: true},
		{name: "endpoint with trailing slash", sender: func(c *Config) { c.Endpoint += "/" }, class: delivery.Sent, delivered: true},
		{name: "validate only sends nothing", edit: func(m *delivery.Message) { m.ValidateOnly = true }, class: delivery.Sent, reason: "ValidateOnly"},
		{name: "validate only checks size", edit: func(m *delivery.Message) { m.ValidateOnly, m.Body = true, strings.Repeat("x", 5000) }, class: delivery.BadMessage, reason: "PayloadTooLarge"},
		{name: "unregistered", fault: apnssim.Fault{Status: 410, Reason: "Unregistered"}, class: delivery.DeadToken, reason: "Unregistered"},
		{name: "token not for topic", fault: apnssim.Fault{Status: 400, Reason: "DeviceTokenNotForTopic"}, class: delivery.DeadToken, reason: "DeviceTokenNotForTopic"},
		{name: "token APNs calls bad", edit: func(m *delivery.Message) { m.Token = m.Token[:62] }, class: delivery.DeadToken, reason: "BadDeviceToken"},
		{name: "token that is not hex", edit: func(m *delivery.Message) { m.Token = "not/a/token" }, class: delivery.DeadToken, reason: "BadDeviceToken"},
		{name: "payload too large", edit: func(m *delivery.Message) { m.Body = strings.Repeat("x", 5000) }, class: delivery.BadMessage, reason: "PayloadTooLarge"},
		{name: "collapse id too long", edit: func(m *delivery.Message) { m.CollapseKey = strings.Repeat("k", 65) }, class: delivery.BadMessage, reason: "BadCollapseId"},
		{name: "unknown push type", edit: func(m *delivery.Message) { m.PushType = "telepathy" }, class: delivery.BadMessage, reason: "InvalidPushType"},
		{name: "data overwrites aps", edit: func(m *delivery.Message) { m.Data = map[string]string{"aps": "x"} }, class: delivery.BadMessage, reason: "ReservedDataKey"},
		{name: "too many requests", fault: apnssim.Fault{Status: 429, Reason: "TooManyRequests"}, class: delivery.Throttled, reason: "TooManyRequests"},
		{name: "too many provider token updates", fault: apnssim.Fault{Status: 429, Reason: "TooManyProviderTokenUpdates"}, class: delivery.ProviderThrottled, reason: "TooManyProviderTokenUpdates", retryAfter: DefaultThrottleWait},
		{name: "too many requests with Retry-After", fault: apnssim.Fault{Status: 429, Reason: "TooManyRequests", RetryAfter: 7 * time.Second}, class: delivery.Throttled, reason: "TooManyRequests", retryAfter: 7 * time.Second},
		{name: "internal server error", fault: apnssim.Fault{Status: 500, Reason: "InternalServerError"}, class: delivery.Transient, reason: "InternalServerError"},
		{name: "service unavailable", fault: apnssim.Fault{Status: 503, Reason: "ServiceUnavailable", RetryAfter: 2 * time.Second}, class: delivery.Transient, reason: "ServiceUnavailable", retryAfter: 2 * time.Second},
		{name: "unknown key id", sender: func(c *Config) { c.KeyID = "OTHERKEY99" }, class: delivery.Credentials, reason: "InvalidProviderToken"},
		{name: "expired provider token", skew: 2 * time.Hour, class: delivery.Credentials, reason: "ExpiredProviderToken"},
		{name: "endpoint down", sender: func(c *Config) { c.Endpoint = "https://127.0.0.1:1" }, class: delivery.Transient, reason: "network"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r.sim.Reset()
			m := msg(deviceToken(i))
			if tc.edit != nil {
				tc.edit(&m)
			}
			if tc.fault.Status != 0 {
				if err := r.sim.SetTokenFault(m.Token, tc.fault); err != nil {
					t.Fatal(err)
				}
			}
			r.sim.SetClockSkew(tc.skew)
			before := testutil.ToFloat64(delivery.Results.WithLabelValues("apns", string(tc.class)))

			res, err := r.sender(t, tc.sender).Send(context.Background(), []delivery.Message{m})
			if err != nil || len(res) != 1 {
				t.Fatalf("Send: %v, %d results", err, len(res))
			}
			got := res[0]
			if got.Class != tc.class || got.Reason != tc.reason || got.RetryAfter != tc.retryAfter {
				t.Fatalf("got %+v, want class %s reason %q retryAfter %v", got, tc.class, tc.reason, tc.retryAfter)
			}
			if (got.MessageID != "") != tc.delivered {
				t.Fatalf("message id %q for class %s", got.MessageID, got.Class)
			}
			if m.ValidateOnly && r.sim.Counters().Requests != 0 {
				t.Fatal("a validate-only message reached APNs")
			}
			if want := map[bool]int{true: 1}[tc.delivered]; r.sim.Delivered(m.Token) != want {
				t.Fatalf("simulator delivered %d, want %d", r.sim.Delivered(m.Token), want)
			}
			if after := testutil.ToFloat64(delivery.Results.WithLabelValues("apns", string(tc.class))); after != before+1 {
				t.Fatalf("metric for %s went %v -> %v", tc.class, before, after)
			}
		})
	}
}
