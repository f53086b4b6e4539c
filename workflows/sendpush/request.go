package sendpush

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/imshift/imshift/internal/field"
	"github.com/imshift/imshift/internal/registry"
)

// Categories of transactional push. Both ignore quiet hours: an OTP or a
// security alert is wanted now, whatever the hour.
const (
	CategoryOTP          = "otp"
	CategoryAccountAlert = "account_alert"
)

// Limits of a SendPush request.
const (
	DefaultTTL = 5 * time.Minute
	MinTTL     = time.Second
	MaxTTL     = time.Hour
	MaxTitle   = 256  // bytes
	MaxBody    = 3072 // bytes
	MaxDataKey = 64   // entries in data
	MaxKey     = 255  // bytes of idempotencyKey
	// MaxPayload is both providers' limit (FCM data+notification, APNs
	// payload), checked against the APNs JSON, the larger of the two.
	MaxPayload = 4096
)

// SendPushRequest is the input of the SendPush workflow and the body of
// POST /v1/push. It names a user, never a device token.
type SendPushRequest struct {
	UserID         string            `json:"userId"`
	Category       string            `json:"category"`
	Title          string            `json:"title,omitempty"`
	Body           string            `json:"body,omitempty"`
	Data           map[string]string `json:"data,omitempty"`
	TTL            string            `json:"ttl,omitempty"` // Go duration, e.g. "90s"; default 5m, at most 1h
	IdempotencyKey string            `json:"idempotencyKey"`
}

// Validate checks every field and returns the first problem as a
// *field.Error naming it.
func (r SendPushRequest) Validate() error {
	if err := registry.CheckUserID(r.UserID); err != nil {
		return err
	}
	if r.Category != CategoryOTP && r.Category != CategoryAccountAlert {
		return &field.Error{Field: "category", Problem: `must be "otp" or "account_alert"`}
	}
	checks := []func() *field.Error{r.checkText, r.checkData, r.checkPayload, r.checkKey}
	for _, c := range checks {
		if err := c(); err != nil {
			return err
		}
	}
	_, err := r.ParseTTL()
	return err
}

// ParseTTL is the request's TTL, DefaultTTL when empty.
func (r SendPushRequest) ParseTTL() (time.Duration, error) {
	if r.TTL == "" {
		return DefaultTTL, nil
	}
	d, err := time.ParseDuration(r.TTL)
	if err != nil || d < MinTTL || d > MaxTTL {
		return 0, &field.Error{Field: "ttl", Problem: fmt.Sprintf("must be a duration like \"90s\" or \"5m\", from %s to %s", MinTTL, MaxTTL)}
	}
	return d, nil
}

func (r SendPushRequest) checkText() *field.Error {
	if !utf8.ValidString(r.Title) || len(r.Title) > MaxTitle {
		return &field.Error{Field: "title", Problem: fmt.Sprintf("must be UTF-8 of at most %d bytes", MaxTitle)}
	}
	if !utf8.ValidString(r.Body) || len(r.Body) > MaxBody {
		return &field.Error{Field: "body", Problem: fmt.Sprintf("must be UTF-8 of at most %d bytes", MaxBody)}
	}
	if strings.TrimSpace(r.Title) == "" && strings.TrimSpace(r.Body) == "" {
		return &field.Error{Field: "body", Problem: "title and body are both empty"}
	}
	return nil
}

func (r SendPushRequest) checkData() *field.Error {
	if len(r.Data) > MaxDataKey {
		return &field.Error{Field: "data", Problem: fmt.Sprintf("has more than %d keys", MaxDataKey)}
	}
	for k, v := range r.Data {
		if k == "" || reservedKey(k) {
			return &field.Error{Field: "data", Problem: fmt.Sprintf("key %q is empty or reserved by FCM or APNs", k)}
		}
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return &field.Error{Field: "data", Problem: "keys and values must be UTF-8"}
		}
	}
	return nil
}

// reservedKey: FCM refuses "from", "notification", "message_type" and any
// key starting "google" or "gcm"; APNs owns "aps", and the APNs sender puts
// the image URL under "image_url".
func reservedKey(k string) bool {
	switch k {
	case "from", "notification", "message_type", "aps", "image_url":
		return true
	}
	return strings.HasPrefix(k, "google") || strings.HasPrefix(k, "gcm")
}

func (r SendPushRequest) checkPayload() *field.Error {
	if n := PayloadSize(r.Title, r.Body, r.Data); n > MaxPayload {
		path := "body"
		if len(r.Data) > 0 {
			path = "data"
		}
		return &field.Error{Field: path, Problem: fmt.Sprintf("the push payload would be %d bytes, over the providers' %d", n, MaxPayload)}
	}
	return nil
}

// PayloadSize is the size of the APNs JSON payload for this message, which
// is never smaller than what FCM counts against its limit.
func PayloadSize(title, body string, data map[string]string) int {
	p := map[string]any{"aps": map[string]any{
		"alert": map[string]string{"title": title, "body": body},
		"sound": "default",
	}}
	for k, v := range data {
		p[k] = v
	}
	b, _ := json.Marshal(p) // strings in maps only: it cannot fail
	return len(b)
}

func (r SendPushRequest) checkKey() *field.Error {
	if r.IdempotencyKey == "" || len(r.IdempotencyKey) > MaxKey || !utf8.ValidString(r.IdempotencyKey) {
		return &field.Error{Field: "idempotencyKey", Problem: fmt.Sprintf("is required, UTF-8 of at most %d bytes", MaxKey)}
	}
	return nil
}
