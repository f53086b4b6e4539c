package apns

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/sideshow/apns2"

	"github.com/imshift/imshift/activities/delivery"
)

func TestNotificationMapping(t *testing.T) {
	s := &Sender{topic: topic}
	alert := delivery.Message{
		Token: "ab", Title: "Sale", Body: "50% off", Sound: "default", ImageURL: "https://img.example/x.png",
		Data: map[string]string{"campaign": "c42"}, TTL: time.Hour, HighPriority: true, CollapseKey: "promo",
	}
	n, reason := s.notification(&alert)
	if reason != "" {
		t.Fatal(reason)
	}
	if n.Topic != topic || n.Priority != 10 || n.PushType != apns2.PushTypeAlert || n.CollapseID != "promo" || n.DeviceToken != "ab" {
		t.Fatalf("headers %+v", n)
	}
	if left := time.Until(n.Expiration); left < 59*time.Minute || left > time.Hour {
		t.Fatalf("expiration %v from now, want one hour", left)
	}
	assertPayload(t, n, `{"aps":{"alert":{"title":"Sale","body":"50% off"},"sound":"default","mutable-content":1},`+
		`"campaign":"c42","image_url":"https://img.example/x.png"}`)

	bg := delivery.Message{Token: "ab", PushType: "background", HighPriority: true, Data: map[string]string{"sync": "1"}}
	n, _ = s.notification(&bg)
	if n.Priority != 5 || n.PushType != apns2.PushTypeBackground || !n.Expiration.IsZero() {
		t.Fatalf("background headers %+v", n)
	}
	assertPayload(t, n, `{"aps":{"content-available":1},"sync":"1"}`)

	low := delivery.Message{Token: "ab", Title: "t", Body: "b"}
	if n, _ = s.notification(&low); n.Priority != 5 {
		t.Fatalf("normal priority alert sent with %d", n.Priority)
	}
}

// assertPayload compares JSON by value, so key order does not matter.
func assertPayload(t *testing.T, n *apns2.Notification, want string) {
	t.Helper()
	raw, err := json.Marshal(n)
	if err != nil {
		t.Fatal(err)
	}
	var got, exp any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(want), &exp); err != nil {
		t.Fatal(err)
	}
	g, _ := json.Marshal(got)
	e, _ := json.Marshal(exp)
	if string(g) != string(e) {
		t.Fatalf("payload\n got %s\nwant %s", g, e)
	}
}
