package apnssim

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/sideshow/apns2"
	"github.com/sideshow/apns2/token"
)

func TestPushSucceedsAndCounts(t *testing.T) {
	r := newRig(t)
	c := r.goodClient()
	tok := deviceToken(1)

	res := push(t, c, note(tok))
	if res.StatusCode != 200 || res.Reason != "" || !isUUID(res.ApnsID) {
		t.Fatalf("got %d %q id %q, want 200 with a UUID apns-id", res.StatusCode, res.Reason, res.ApnsID)
	}
	n := note(tok)
	n.ApnsID = "123e4567-e89b-12d3-a456-426655440000"
	if res := push(t, c, n); res.ApnsID != n.ApnsID {
		t.Fatalf("apns-id %q not echoed, got %q", n.ApnsID, res.ApnsID)
	}
	if d, a := r.sim.Delivered(tok), r.sim.Attempts(tok); d != 2 || a != 2 {
		t.Fatalf("delivered %d attempts %d, want 2 and 2", d, a)
	}
	if got := r.sim.Delivered(deviceToken(2)); got != 0 {
		t.Fatalf("untouched token delivered %d", got)
	}
	cs := r.sim.Counters()
	if cs.Requests != 2 || cs.Delivered != 2 || cs.ByStatus[200] != 2 {
		t.Fatalf("counters %+v", cs)
	}
}

func TestValidationReasons(t *testing.T) {
	r := newRig(t)
	c := r.goodClient()
	ok := deviceToken(7)
	cases := []struct {
		name   string
		edit   func(n *apns2.Notification)
		status int
		reason string
	}{
		{"missing topic", func(n *apns2.Notification) { n.Topic = "" }, 400, "MissingTopic"},
		{"other app's topic", func(n *apns2.Notification) { n.Topic = "com.other.app" }, 400, "TopicDisallowed"},
		{"voip topic suffix is fine", func(n *apns2.Notification) { n.Topic = testTopic + ".voip"; n.PushType = apns2.PushTypeVOIP }, 200, ""},
		{"unknown push type", func(n *apns2.Notification) { n.PushType = "telepathy" }, 400, "InvalidPushType"},
		{"priority 7", func(n *apns2.Notification) { n.Priority = 7 }, 400, "BadPriority"},
		{"collapse id of 65 bytes", func(n *apns2.Notification) { n.CollapseID = strings.Repeat("c", 65) }, 400, "BadCollapseId"},
		{"collapse id of 64 bytes", func(n *apns2.Notification) { n.CollapseID = strings.Repeat("c", 64) }, 200, ""},
		{"bad apns-id", func(n *apns2.Notification) { n.ApnsID = "not-a-uuid" }, 400, "BadMessageId"},
		{"short device token", func(n *apns2.Notification) { n.DeviceToken = "abc123" }, 400, "BadDeviceToken"},
		{"non-hex device token", func(n *apns2.Notification) { n.DeviceToken = strings.Repeat("z", 64) }, 400, "BadDeviceToken"},
		{"JSON that is not an object", func(n *apns2.Notification) { n.Payload = []byte(`[1]`) }, 400, "BadPayload"},
		{"payload of 4096 bytes", func(n *apns2.Notification) { n.Payload = sizedPayload(4096) }, 200, ""},
		{"payload of 4097 bytes", func(n *apns2.Notification) { n.Payload = sizedPayload(4097) }, 413, "PayloadTooLarge"},
		{"voip payload of 5120 bytes", func(n *apns2.Notification) {
			n.Topic, n.PushType, n.Payload = testTopic+".voip", apns2.PushTypeVOIP, sizedPayload(5120)
		}, 200, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := note(ok)
			tc.edit(n)
			res := push(t, c, n)
			if res.StatusCode != tc.status || res.Reason != tc.reason {
				t.Fatalf("got %d %q, want %d %q", res.StatusCode, res.Reason, tc.status, tc.reason)
			}
		})
	}
}

// TestMalformedBodies sends what apns2 refuses to marshal.
func TestMalformedBodies(t *testing.T) {
	r := newRig(t)
	for body, want := range map[string]string{"": "PayloadEmpty", `{"aps":`: "BadPayload"} {
		req, _ := http.NewRequest(http.MethodPost, r.ts.URL+"/3/device/"+deviceToken(1), strings.NewReader(body))
		req.Header.Set("authorization", "bearer "+r.bearer())
		req.Header.Set("apns-topic", testTopic)
		resp, err := r.h2().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if got := decodeReason(t, resp); resp.StatusCode != 400 || got != want {
			t.Fatalf("body %q: %d %q, want 400 %q", body, resp.StatusCode, got, want)
		}
	}
}

// sizedPayload is a valid JSON object of exactly n bytes.
func sizedPayload(n int) []byte {
	const frame = `{"aps":{},"x":""}`
	return []byte(`{"aps":{},"x":"` + strings.Repeat("a", n-len(frame)) + `"}`)
}

func TestProviderTokenChecks(t *testing.T) {
	r := newRig(t)
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	noAuth := r.goodClient()
	noAuth.Token = nil
	cases := []struct {
		name   string
		c      *apns2.Client
		reason string
	}{
		{"no authorization header", noAuth, "MissingProviderToken"},
		{"key the simulator does not know", r.client(r.priv, "UNKNOWNKID", testTeam), "InvalidProviderToken"},
		{"right key id, wrong key", r.client(other, testKey, testTeam), "InvalidProviderToken"},
		{"wrong team", r.client(r.priv, testKey, "OTHERTEAM1"), "InvalidProviderToken"},
		{"token issued 61 minutes ago", r.staleClient(t, 61*time.Minute), "ExpiredProviderToken"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := push(t, tc.c, note(deviceToken(3)))
			if res.StatusCode != 403 || res.Reason != tc.reason {
				t.Fatalf("got %d %q, want 403 %q", res.StatusCode, res.Reason, tc.reason)
			}
		})
	}
	if got := r.sim.Attempts(deviceToken(3)); got != 0 {
		t.Fatalf("refused requests reached the token stage %d times", got)
	}
	if got := r.sim.Counters().ByReason["InvalidProviderToken"]; got != 3 {
		t.Fatalf("InvalidProviderToken counted %d times, want 3", got)
	}
}

// staleClient signs a token whose iat lies age in the past and pins it, so
// apns2 sends it as is.
func (r *rig) staleClient(t *testing.T, age time.Duration) *apns2.Client {
	t.Helper()
	jt := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{"iss": testTeam, "iat": time.Now().Add(-age).Unix()})
	jt.Header["kid"] = testKey
	bearer, err := jt.SignedString(r.priv)
	if err != nil {
		t.Fatal(err)
	}
	c := r.goodClient()
	c.Token = &token.Token{AuthKey: r.priv, KeyID: testKey, TeamID: testTeam, IssuedAt: time.Now().Unix(), Bearer: bearer}
	return c
}

func TestClockSkewExpiresCachedToken(t *testing.T) {
	r := newRig(t)
	c := r.goodClient()
	if res := push(t, c, note(deviceToken(1))); res.StatusCode != 200 {
		t.Fatalf("fresh token refused: %d %q", res.StatusCode, res.Reason)
	}
	r.sim.SetClockSkew(2 * time.Hour)
	if res := push(t, c, note(deviceToken(1))); res.StatusCode != 403 || res.Reason != "ExpiredProviderToken" {
		t.Fatalf("after skew got %d %q, want 403 ExpiredProviderToken", res.StatusCode, res.Reason)
	}
	r.sim.Reset()
	if res := push(t, c, note(deviceToken(1))); res.StatusCode != 200 {
		t.Fatalf("after reset got %d %q", res.StatusCode, res.Reason)
	}
}

func TestHTTP1IsRefused(t *testing.T) {
	r := newRig(t)
	h1 := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: r.ca.Pool()}}}
	resp, err := h1.Post(r.ts.URL+"/3/device/"+deviceToken(1), "application/json", strings.NewReader(`{"aps":{}}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.ProtoMajor != 1 || resp.StatusCode != http.StatusHTTPVersionNotSupported {
		t.Fatalf("HTTP/%d answered %d, want HTTP/1 505", resp.ProtoMajor, resp.StatusCode)
	}
	if r.sim.Delivered(deviceToken(1)) != 0 {
		t.Fatal("HTTP/1.1 push was delivered")
	}
}

func TestWrongMethodAndPath(t *testing.T) {
	r := newRig(t)
	for _, tc := range []struct{ method, path, reason string }{
		{http.MethodGet, "/3/device/" + deviceToken(1), "MethodNotAllowed"},
		{http.MethodPost, "/2/device/" + deviceToken(1), "BadPath"},
	} {
		req, _ := http.NewRequest(tc.method, r.ts.URL+tc.path, nil)
		resp, err := r.h2().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res := decodeReason(t, resp)
		if res != tc.reason {
			t.Fatalf("%s %s: reason %q, want %q", tc.method, tc.path, res, tc.reason)
		}
	}
}

func TestSimulatorWithoutPublicKeyRefusesTokens(t *testing.T) {
	r := newRig(t)
	r.sim = New(Options{TeamID: testTeam, KeyID: testKey, Topic: testTopic})
	r.ts = r.sim.StartTLS(r.ca)
	defer r.ts.Close()
	if res := push(t, r.goodClient(), note(deviceToken(1))); res.StatusCode != 403 || res.Reason != "InvalidProviderToken" {
		t.Fatalf("got %d %q, want 403 InvalidProviderToken", res.StatusCode, res.Reason)
	}
}
