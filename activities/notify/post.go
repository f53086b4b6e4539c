package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"go.temporal.io/sdk/temporal"
)

// Headers every post carries.
const (
	HeaderEventID   = "X-Imshift-Event-Id"
	HeaderSignature = "X-Imshift-Signature"
)

// Sign is the X-Imshift-Signature value of body: "sha256=" and the hex
// HMAC-SHA256 of the exact bytes sent, keyed with IMSHIFT_NOTIFY_SECRET.
func Sign(secret, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// body is what t receives for e: the event itself, or {"text": ...} for Slack.
func body(t target, e Event) ([]byte, error) {
	if t.slack {
		return json.Marshal(struct {
			Text string `json:"text"`
		}{e.Text()})
	}
	return json.Marshal(e)
}

// post sends one event to one target. Anything but a 2xx is an error the
// activity's retry policy handles; a Retry-After the receiver sends sets the
// next attempt's delay.
func (a *Activities) post(ctx context.Context, t target, e Event) error {
	b, err := body(t, e)
	if err != nil {
		return temporal.NewNonRetryableApplicationError("encode event: "+err.Error(), "BadEvent", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, bytes.NewReader(b))
	if err != nil {
		return temporal.NewNonRetryableApplicationError("build request to "+t.Host, "BadTarget", nil)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "imshift-notify")
	req.Header.Set(HeaderEventID, e.EventID)
	if len(a.secret) > 0 {
		req.Header.Set(HeaderSignature, Sign(a.secret, b))
	}
	resp, err := a.client.Do(req)
	if err != nil {
		// The error may quote the URL, which may be a credential: name the host only.
		return fmt.Errorf("post to %s: %s", t.Host, transportProblem(ctx, err))
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 == 2 {
		return nil
	}
	msg := fmt.Sprintf("post to %s: HTTP %d", t.Host, resp.StatusCode)
	if d, ok := retryAfter(resp.Header.Get("Retry-After")); ok {
		return temporal.NewApplicationErrorWithOptions(msg, "ReceiverBusy", temporal.ApplicationErrorOptions{NextRetryDelay: d})
	}
	return temporal.NewApplicationError(msg, "ReceiverError")
}

// transportProblem describes a failed request without its URL (a url.Error
// quotes it, and the path of a webhook URL is often its credential).
func transportProblem(ctx context.Context, err error) string {
	var ue *url.Error
	switch {
	case ctx.Err() != nil:
		return "timed out"
	case errors.As(err, &ue):
		return ue.Err.Error()
	}
	return "no answer"
}

// maxRetryAfter caps a receiver's Retry-After, so a wrong header cannot park
// an event for days.
const maxRetryAfter = 10 * time.Minute

// retryAfter reads a Retry-After of delay-seconds (the form Slack and most
// receivers send).
func retryAfter(v string) (time.Duration, bool) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, false
	}
	return min(time.Duration(n)*time.Second, maxRetryAfter), true
}
