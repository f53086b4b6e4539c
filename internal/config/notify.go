package config

import (
	"fmt"
	"net/url"
)

// Notify is where state changes of migrations and campaigns are posted.
type Notify struct {
	// WebhookURLs receive every event; a URL on hooks.slack.com gets Slack's
	// incoming-webhook shape. They are secrets (a Slack URL is its own
	// credential) and never appear in errors, logs or workflow history.
	WebhookURLs []string
	// Secret signs every body (X-Imshift-Signature, HMAC-SHA256).
	Secret string
}

// SlackHost is the host whose URLs get Slack's {"text": ...} shape.
const SlackHost = "hooks.slack.com"

// minNotifySecret is the shortest signing secret accepted: 128 bits of hex.
const minNotifySecret = 32

// loadNotify reads IMSHIFT_NOTIFY_WEBHOOK_URLS and IMSHIFT_NOTIFY_SECRET.
// The secret is required once any URL is not Slack's: a receiver of our own
// JSON must be able to tell our posts from anybody else's.
func loadNotify(e *env) Notify {
	n := Notify{WebhookURLs: e.list("IMSHIFT_NOTIFY_WEBHOOK_URLS"), Secret: e.raw("IMSHIFT_NOTIFY_SECRET", "")}
	needSecret := false
	for i, raw := range n.WebhookURLs {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			e.fail("IMSHIFT_NOTIFY_WEBHOOK_URLS", fmt.Sprintf("entry %d is not an http(s)://host/... URL", i+1))
			return n
		}
		needSecret = needSecret || u.Hostname() != SlackHost
	}
	switch {
	case needSecret && n.Secret == "":
		e.fail("IMSHIFT_NOTIFY_SECRET", "is missing (IMSHIFT_NOTIFY_WEBHOOK_URLS lists a URL that is not Slack's)")
	case n.Secret != "" && len(n.Secret) < minNotifySecret:
		e.fail("IMSHIFT_NOTIFY_SECRET", fmt.Sprintf("must be at least %d characters", minNotifySecret))
	}
	return n
}
