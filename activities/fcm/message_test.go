package fcm_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/imshift/imshift/activities/delivery"
)

// wireMessage is what the test reads back from the request FCM received.
type wireMessage struct {
	Message struct {
		Token        string            `json:"token"`
		Data         map[string]string `json:"data"`
		Notification map[string]string `json:"notification"`
		Android      *struct {
			CollapseKey  string            `json:"collapse_key"`
			Priority     string            `json:"priority"`
			TTL          string            `json:"ttl"`
			Notification map[string]string `json:"notification"`
		} `json:"android"`
		APNS *struct {
			Headers map[string]string `json:"headers"`
			Payload struct {
				Aps map[string]any `json:"aps"`
			} `json:"payload"`
		} `json:"apns"`
		Webpush *struct {
			Headers map[string]string `json:"headers"`
		} `json:"webpush"`
	} `json:"message"`
}

// TestMapping checks what a delivery.Message becomes on the wire.
func TestMapping(t *testing.T) {
	e := startSim(t)
	s := e.sender(t, e.keyFile)
	send := func(m delivery.Message) wireMessage {
		t.Helper()
		res, err := s.Send(context.Background(), []delivery.Message{m})
		if err != nil || res[0].Class != delivery.Sent {
			t.Fatalf("send: %v %+v", err, res)
		}
		var w wireMessage
		if err := json.Unmarshal(*e.lastSend.Load(), &w); err != nil {
			t.Fatal(err)
		}
		return w
	}

	before := time.Now()
	w := send(delivery.Message{Token: "map-1", Title: "Code", Body: "123456", ImageURL: "https://x.test/i.png",
		Data: map[string]string{"otp": "1"}, TTL: 90 * time.Second, HighPriority: true, CollapseKey: "otp", Sound: "chime"})
	m := w.Message
	if m.Token != "map-1" || !reflect.DeepEqual(m.Data, map[string]string{"otp": "1"}) ||
		!reflect.DeepEqual(m.Notification, map[string]string{"title": "Code", "body": "123456", "image": "https://x.test/i.png"}) {
		t.Fatalf("message %+v", m)
	}
	if a := m.Android; a == nil || a.Priority != "high" || a.TTL != "90s" || a.CollapseKey != "otp" || a.Notification["sound"] != "chime" {
		t.Fatalf("android %+v", m.Android)
	}
	h := m.APNS.Headers
	exp, _ := strconv.ParseInt(h["apns-expiration"], 10, 64)
	if h["apns-priority"] != "10" || h["apns-push-type"] != "alert" || h["apns-collapse-id"] != "otp" ||
		exp < before.Add(89*time.Second).Unix() || exp > time.Now().Add(91*time.Second).Unix() {
		t.Fatalf("apns headers %v", h)
	}
	if aps := m.APNS.Payload.Aps; aps["sound"] != "chime" || aps["mutable-content"] != 1.0 {
		t.Fatalf("aps %v", aps)
	}
	if m.Webpush == nil || !reflect.DeepEqual(m.Webpush.Headers, map[string]string{"Urgency": "high", "TTL": "90"}) {
		t.Fatalf("webpush %+v", m.Webpush)
	}

	// A data-only, normal-priority push is a silent background push on iOS.
	m = send(delivery.Message{Token: "map-2", Data: map[string]string{"sync": "1"}}).Message
	if m.Notification != nil || m.Android.Priority != "normal" || m.Android.TTL != "" || m.Webpush != nil {
		t.Fatalf("background message %+v", m)
	}
	h = m.APNS.Headers
	if h["apns-priority"] != "5" || h["apns-push-type"] != "background" || m.APNS.Payload.Aps["content-available"] != 1.0 {
		t.Fatalf("background apns %+v", m.APNS)
	}
	// Background stays priority 5 even when asked for high priority.
	h = send(delivery.Message{Token: "map-3", PushType: "background", HighPriority: true}).Message.APNS.Headers
	if h["apns-priority"] != "5" {
		t.Fatalf("background high priority headers %v", h)
	}
}
