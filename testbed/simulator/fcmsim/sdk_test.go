package fcmsim_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"firebase.google.com/go/v4/errorutils"
	"firebase.google.com/go/v4/messaging"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"

	"github.com/imshift/imshift/testbed/simulator/fcmsim"
)

// messagingPredicates are the SDK's FCM-code predicates; each injected
// FCM error must satisfy exactly its own one.
var messagingPredicates = map[string]func(error) bool{
	fcmsim.Unregistered:        messaging.IsUnregistered,
	fcmsim.InvalidArgument:     messaging.IsInvalidArgument,
	fcmsim.SenderIDMismatch:    messaging.IsSenderIDMismatch,
	fcmsim.QuotaExceeded:       messaging.IsQuotaExceeded,
	fcmsim.Unavailable:         messaging.IsUnavailable,
	fcmsim.Internal:            messaging.IsInternal,
	fcmsim.ThirdPartyAuthError: messaging.IsThirdPartyAuthError,
}

// TestSDKClassifiesFaults sends through the official SDK over TLS+HTTP/2 and
// checks the SDK's own predicates recognise every injected error.
func TestSDKClassifiesFaults(t *testing.T) {
	e := startSim(t, true)
	client := e.sdkClient(t, e.keyFile)
	cases := []struct {
		status     string
		httpCode   int
		platform   func(error) bool
		retryAfter time.Duration
		wantRA     string // Retry-After header
	}{
		{fcmsim.Unregistered, 404, errorutils.IsNotFound, 0, ""},
		{fcmsim.InvalidArgument, 400, errorutils.IsInvalidArgument, 0, ""},
		{fcmsim.SenderIDMismatch, 403, errorutils.IsPermissionDenied, 0, ""},
		{fcmsim.QuotaExceeded, 429, errorutils.IsResourceExhausted, 6500 * time.Millisecond, "7"},
		// Over two minutes, so the SDK gives up at once instead of retrying.
		{fcmsim.Unavailable, 503, errorutils.IsUnavailable, 3 * time.Minute, "180"},
		{fcmsim.Internal, 500, errorutils.IsInternal, 0, ""},
		{fcmsim.ThirdPartyAuthError, 401, errorutils.IsUnauthenticated, 0, ""},
		{fcmsim.Unauthenticated, 401, errorutils.IsUnauthenticated, 0, ""},
		{fcmsim.PermissionDenied, 403, errorutils.IsPermissionDenied, 0, ""},
	}
	for _, c := range cases {
		t.Run(c.status, func(t *testing.T) {
			token := "tok-" + c.status
			if err := e.sim.SetTokenFault(token, fcmsim.Fault{Status: c.status, RetryAfter: c.retryAfter}); err != nil {
				t.Fatal(err)
			}
			_, err := client.Send(context.Background(), &messaging.Message{Token: token, Data: map[string]string{"k": "v"}})
			if err == nil {
				t.Fatal("send succeeded, want error")
			}
			for code, pred := range messagingPredicates {
				if got, want := pred(err), code == c.status; got != want {
					t.Errorf("predicate for %s = %v, want %v (err %v)", code, got, want, err)
				}
			}
			if !c.platform(err) {
				t.Errorf("platform predicate false for %v", err)
			}
			resp := errorutils.HTTPResponse(err)
			if resp == nil || resp.StatusCode != c.httpCode {
				t.Fatalf("http response %v, want status %d", resp, c.httpCode)
			}
			if got := resp.Header.Get("Retry-After"); got != c.wantRA {
				t.Errorf("Retry-After %q, want %q", got, c.wantRA)
			}
			if e.sim.Delivered(token) != 0 {
				t.Error("faulted send was counted as delivered")
			}
		})
	}
	if _, err := client.Send(context.Background(), &messaging.Message{Token: "tok-ok"}); err != nil {
		t.Fatal(err)
	}
	if e.sim.Delivered("tok-ok") != 1 {
		t.Fatal("good send not counted")
	}
	if e.http2.Load() == 0 {
		t.Fatal("no request arrived over HTTP/2")
	}
	if got := e.sim.Counters().AccessTokens; got != 1 {
		t.Fatalf("access tokens issued %d, want 1 (the SDK caches its token)", got)
	}
}

// TestSDKRetriesUnavailable: one 503 with a short Retry-After is retried by
// the SDK itself and the message is delivered exactly once.
func TestSDKRetriesUnavailable(t *testing.T) {
	e := startSim(t, false)
	client := e.sdkClient(t, e.keyFile)
	if err := e.sim.SetTokenFault("tok-flaky", fcmsim.Fault{Status: fcmsim.Unavailable, Remaining: 1, RetryAfter: time.Second}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Send(context.Background(), &messaging.Message{Token: "tok-flaky"}); err != nil {
		t.Fatal(err)
	}
	c := e.sim.Counters()
	if e.sim.Delivered("tok-flaky") != 1 || c.Errors[fcmsim.Unavailable] != 1 || c.Requests != 2 {
		t.Fatalf("delivered %d, counters %+v", e.sim.Delivered("tok-flaky"), c)
	}
}

// TestSDKDryRun: validate_only answers FCM's fake id and delivers nothing.
func TestSDKDryRun(t *testing.T) {
	e := startSim(t, true)
	client := e.sdkClient(t, e.keyFile)
	resp, err := client.SendEachDryRun(context.Background(), []*messaging.Message{{Token: "tok-a"}, {Token: "dead-b"}})
	if err != nil {
		t.Fatal(err)
	}
	if name := resp.Responses[0].MessageID; name != "projects/"+project+"/messages/fake_message_id" {
		t.Fatalf("dry-run name %q", name)
	}
	if !messaging.IsUnregistered(resp.Responses[1].Error) {
		t.Fatalf("dead- token in dry run: %v", resp.Responses[1].Error)
	}
	c := e.sim.Counters()
	if c.Sent != 0 || c.Validated != 1 || e.sim.Delivered("tok-a") != 0 {
		t.Fatalf("dry run counted as delivery: %+v", c)
	}
}

// TestWrongKeyRefused: an assertion signed with a key the simulator does
// not know is refused at the token endpoint with Google's invalid_grant.
func TestWrongKeyRefused(t *testing.T) {
	e := startSim(t, true)
	other, err := fcmsim.ServiceAccountJSON(e.srv.URL+"/token", project)
	if err != nil {
		t.Fatal(err)
	}
	forged := swapPrivateKey(t, e.keyFile, other)
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, e.base)
	cfg, err := google.JWTConfigFromJSON(forged, "https://www.googleapis.com/auth/firebase.messaging")
	if err != nil {
		t.Fatal(err)
	}
	_, err = cfg.TokenSource(ctx).Token()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.Response.StatusCode != 400 || !strings.Contains(string(re.Body), `"invalid_grant"`) ||
		!strings.Contains(string(re.Body), "Invalid JWT Signature") {
		t.Fatalf("err %v, want 400 invalid_grant", err)
	}
	if c := e.sim.Counters(); c.AccessTokens != 0 {
		t.Fatalf("counters %+v", c)
	}
}

// swapPrivateKey returns keyFile with the private key (and key id) of other:
// same account, wrong key.
func swapPrivateKey(t *testing.T, keyFile, other []byte) []byte {
	t.Helper()
	var a, b map[string]any
	if err := json.Unmarshal(keyFile, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(other, &b); err != nil {
		t.Fatal(err)
	}
	a["private_key"], a["private_key_id"] = b["private_key"], b["private_key_id"]
	out, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
