package fcm

import (
	"net/url"
	"strconv"
	"time"

	"firebase.google.com/go/v4/messaging"

	"github.com/imshift/imshift/activities/delivery"
)

// maxTTL is FCM's longest Android TTL; longer is INVALID_ARGUMENT.
const maxTTL = 28 * 24 * time.Hour

// precheck catches what the SDK would reject for the whole SendEach call
// (its validation fails the batch, not the message), so one bad message
// cannot sink 499 good ones.
func precheck(m delivery.Message) (delivery.Result, bool) {
	if m.Token == "" {
		return delivery.Result{Class: delivery.DeadToken, Reason: "INVALID_ARGUMENT"}, false
	}
	if m.ImageURL != "" {
		if _, err := url.ParseRequestURI(m.ImageURL); err != nil {
			return delivery.Result{Class: delivery.BadMessage, Reason: "INVALID_ARGUMENT"}, false
		}
	}
	return delivery.Result{}, true
}

// toFCM maps a delivery.Message onto FCM's cross-platform message: the
// notification block, then per-platform priority, TTL and collapse key.
func toFCM(m delivery.Message) *messaging.Message {
	out := &messaging.Message{Token: m.Token, Data: m.Data}
	if m.Title != "" || m.Body != "" || m.ImageURL != "" {
		out.Notification = &messaging.Notification{Title: m.Title, Body: m.Body, ImageURL: m.ImageURL}
	}
	ttl := min(m.TTL, maxTTL)
	out.Android = android(m, ttl, out.Notification != nil)
	out.APNS = apns(m, ttl, out.Notification != nil)
	out.Webpush = webpush(m, ttl)
	return out
}

func android(m delivery.Message, ttl time.Duration, notify bool) *messaging.AndroidConfig {
	a := &messaging.AndroidConfig{CollapseKey: m.CollapseKey, Priority: "normal"}
	if m.HighPriority {
		a.Priority = "high"
	}
	if ttl > 0 {
		a.TTL = &ttl
	}
	if notify && m.Sound != "" {
		a.Notification = &messaging.AndroidNotification{Sound: m.Sound}
	}
	return a
}

// apns sets the headers APNs needs: a background push must be priority 5
// with content-available, an alert may be 10.
func apns(m delivery.Message, ttl time.Duration, notify bool) *messaging.APNSConfig {
	pushType := m.PushType
	if pushType == "" {
		pushType = "background"
		if notify {
			pushType = "alert"
		}
	}
	background := pushType == "background"
	h := map[string]string{"apns-push-type": pushType, "apns-priority": "5"}
	if m.HighPriority && !background {
		h["apns-priority"] = "10"
	}
	if ttl > 0 {
		h["apns-expiration"] = strconv.FormatInt(time.Now().Add(ttl).Unix(), 10)
	}
	if m.CollapseKey != "" {
		h["apns-collapse-id"] = m.CollapseKey
	}
	aps := &messaging.Aps{Sound: m.Sound, ContentAvailable: background, MutableContent: m.ImageURL != ""}
	return &messaging.APNSConfig{Headers: h, Payload: &messaging.APNSPayload{Aps: aps}}
}

// webpush is nil when the defaults (normal urgency, FCM's TTL) apply, to
// keep every request small.
func webpush(m delivery.Message, ttl time.Duration) *messaging.WebpushConfig {
	h := map[string]string{}
	if m.HighPriority {
		h["Urgency"] = "high"
	}
	if ttl > 0 {
		h["TTL"] = strconv.FormatInt(int64(ttl/time.Second), 10)
	}
	if len(h) == 0 {
		return nil
	}
	return &messaging.WebpushConfig{Headers: h}
}
