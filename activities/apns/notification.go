package apns

import (
	"encoding/json"
	"time"

	"github.com/sideshow/apns2"
	"github.com/sideshow/apns2/payload"

	"github.com/imshift/imshift/activities/delivery"
)

// ImageKey is the top-level payload key that carries Message.ImageURL for
// the app's notification service extension, which mutable-content wakes.
const ImageKey = "image_url"

// reservedKeys cannot come from Message.Data: they would overwrite the
// payload's own fields.
var reservedKeys = map[string]bool{"aps": true, ImageKey: true}

// notification maps a Message onto an APNs request. A non-empty reason means
// the message cannot be expressed and is refused before sending.
func (s *Sender) notification(m *delivery.Message) (*apns2.Notification, string) {
	p := payload.NewPayload()
	pushType := apns2.EPushType(m.PushType)
	priority := apns2.PriorityLow
	switch pushType {
	case "", apns2.PushTypeAlert:
		pushType = apns2.PushTypeAlert
		p.AlertTitle(m.Title).AlertBody(m.Body)
		if m.Sound != "" {
			p.Sound(m.Sound)
		}
	case apns2.PushTypeBackground:
		// Apple: background pushes carry content-available only and must
		// use priority 5.
		p.ContentAvailable()
	}
	// Other push types go out as given; APNs answers InvalidPushType for
	// unknown ones.
	if m.HighPriority && pushType != apns2.PushTypeBackground {
		priority = apns2.PriorityHigh
	}
	if m.ImageURL != "" {
		p.MutableContent().Custom(ImageKey, m.ImageURL)
	}
	for k, v := range m.Data {
		if reservedKeys[k] {
			return nil, "ReservedDataKey"
		}
		p.Custom(k, v)
	}
	n := &apns2.Notification{
		DeviceToken: m.Token,
		Topic:       s.topic,
		Payload:     p,
		Priority:    priority,
		PushType:    pushType,
		CollapseID:  m.CollapseKey,
	}
	// A zero TTL leaves apns-expiration out: APNs then stores and retries
	// delivery for its default period.
	if m.TTL > 0 {
		n.Expiration = time.Now().Add(m.TTL)
	}
	return n, ""
}

// Apple's limits, checked locally when a message is only validated.
const (
	maxPayload    = 4096
	maxCollapseID = 64
)

// validateOnly stands in for FCM's validate_only, which APNs lacks: nothing
// is sent, the limits APNs would enforce are checked here, and a message
// that passes is Sent with Reason "ValidateOnly" and no MessageID.
func validateOnly(n *apns2.Notification) delivery.Result {
	body, err := json.Marshal(n)
	switch {
	case err != nil:
		return delivery.Result{Class: delivery.BadMessage, Reason: "BadPayload"}
	case len(body) > maxPayload:
		return delivery.Result{Class: delivery.BadMessage, Reason: apns2.ReasonPayloadTooLarge}
	case len(n.CollapseID) > maxCollapseID:
		return delivery.Result{Class: delivery.BadMessage, Reason: apns2.ReasonBadCollapseID}
	case n.PushType != apns2.PushTypeAlert && n.PushType != apns2.PushTypeBackground:
		return delivery.Result{Class: delivery.BadMessage, Reason: apns2.ReasonInvalidPushType}
	}
	return delivery.Result{Class: delivery.Sent, Reason: "ValidateOnly"}
}
