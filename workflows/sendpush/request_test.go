package sendpush

import (
	"strings"
	"testing"
	"time"
)

func TestSendPushWorkflowIDIsAStableHash(t *testing.T) {
	// printf login-otp-42 | sha256sum | cut -c1-32
	if id := SendPushWorkflowID("login-otp-42"); id != "push-f91f4b05743b2cca73055977da01cefd" {
		t.Fatalf("id %q", id)
	}
	if strings.Contains(SendPushWorkflowID("+49 170 1234567"), "170") || SendPushWorkflowID("a") == SendPushWorkflowID("b") {
		t.Fatal("the key shows through or two keys collide")
	}
}

func TestParseTTL(t *testing.T) {
	for ttl, want := range map[string]time.Duration{"": DefaultTTL, "90s": 90 * time.Second, "1h": time.Hour} {
		if got, err := (SendPushRequest{TTL: ttl}).ParseTTL(); err != nil || got != want {
			t.Fatalf("%q: %v, %v", ttl, got, err)
		}
	}
	for _, ttl := range []string{"0s", "500ms", "61m", "-1m", "5"} {
		if _, err := (SendPushRequest{TTL: ttl}).ParseTTL(); err == nil {
			t.Fatalf("%q accepted", ttl)
		}
	}
}

func TestPayloadLimitCountsTheWholeAPNsPayload(t *testing.T) {
	r := SendPushRequest{UserID: "u", Category: CategoryOTP, Title: strings.Repeat("t", MaxTitle),
		Body: strings.Repeat("b", MaxBody), IdempotencyKey: "k"}
	if err := r.Validate(); err != nil {
		t.Fatalf("largest title and body refused: %v", err)
	}
	r.Data = map[string]string{"k": strings.Repeat("d", MaxPayload-PayloadSize(r.Title, r.Body, nil))}
	if err := r.Validate(); err == nil || !strings.HasPrefix(err.Error(), "data:") {
		t.Fatalf("over-size payload: %v", err)
	}
}
