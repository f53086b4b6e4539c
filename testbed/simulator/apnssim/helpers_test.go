package apnssim

import (
	"crypto/ecdsa"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sideshow/apns2"
	"github.com/sideshow/apns2/token"
	"golang.org/x/net/http2"

	"github.com/imshift/imshift/testbed/simulator/simtls"
)

const (
	testTeam  = "TEAM123456"
	testKey   = "KEY1234567"
	testTopic = "com.example.app"
)

// rig is a running simulator with a trusted CA and the signing key it knows.
type rig struct {
	sim  *Server
	ts   *httptest.Server
	ca   *simtls.CA
	priv *ecdsa.PrivateKey
}

func newRig(t testing.TB) *rig {
	t.Helper()
	p8, pub, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	priv, err := token.AuthKeyFromBytes(p8)
	if err != nil {
		t.Fatalf("GenerateKey output is not a valid .p8: %v", err)
	}
	ca, err := simtls.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	sim := New(Options{TeamID: testTeam, KeyID: testKey, Topic: testTopic, PublicKey: pub})
	ts := sim.StartTLS(ca)
	t.Cleanup(ts.Close)
	return &rig{sim: sim, ts: ts, ca: ca, priv: priv}
}

// client is a real apns2 token client for the simulator, signing as team
// with key id kid and key priv.
func (r *rig) client(priv *ecdsa.PrivateKey, kid, team string) *apns2.Client {
	c := apns2.NewTokenClient(&token.Token{AuthKey: priv, KeyID: kid, TeamID: team})
	c.HTTPClient.Transport.(*http2.Transport).TLSClientConfig = &tls.Config{RootCAs: r.ca.Pool()}
	c.Host = r.ts.URL
	return c
}

func (r *rig) goodClient() *apns2.Client { return r.client(r.priv, testKey, testTeam) }

// h2 is a plain HTTP/2 client trusting the simulator, for raw requests.
func (r *rig) h2() *http.Client {
	return &http.Client{Transport: &http2.Transport{TLSClientConfig: &tls.Config{RootCAs: r.ca.Pool()}}}
}

// deviceToken makes the i-th well-formed device token.
func deviceToken(i int) string {
	var b [32]byte
	copy(b[:], fmt.Sprintf("device-%d", i))
	return hex.EncodeToString(b[:])
}

func note(tok string) *apns2.Notification {
	return &apns2.Notification{
		DeviceToken: tok,
		Topic:       testTopic,
		Payload:     []byte(`{"aps":{"alert":"hi"}}`),
	}
}

func push(t *testing.T, c *apns2.Client, n *apns2.Notification) *apns2.Response {
	t.Helper()
	res, err := c.Push(n)
	if err != nil {
		t.Fatalf("push: %v", err)
	}
	return res
}

// bearer is a valid provider token for raw requests.
func (r *rig) bearer() string {
	return (&token.Token{AuthKey: r.priv, KeyID: testKey, TeamID: testTeam}).GenerateIfExpired()
}

// decodeReason reads an APNs error body and closes it.
func decodeReason(t testing.TB, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	var body struct {
		Reason string `json:"reason"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("status %d: body is not APNs JSON: %v", resp.StatusCode, err)
	}
	return body.Reason
}
