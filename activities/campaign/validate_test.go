package campaign

import (
	"strings"
	"testing"
)

func validSpec() Spec {
	return Spec{
		CampaignID: "spring-sale-2027",
		Category:   "marketing",
		Audience:   Audience{All: true},
		Filter:     Filter{Platforms: []string{"ios", "android"}, Locales: []string{"de", "en"}, AppID: "com.example.chat"},
		Message: Message{
			Title: "Spring sale", Body: "20% off today", Data: map[string]string{"deeplink": "app://sale"},
			Localized: map[string]Text{"de": {Title: "Frühlingsangebot", Body: "Heute 20% Rabatt"}},
		},
		Options:       Options{TTL: "24h", Priority: "normal", CollapseKey: "spring-sale", APNsPushType: "alert", Sound: "default"},
		RatePerSecond: 5000,
		QuietHours:    &QuietHours{Start: "21:00", End: "08:00"},
	}
}

func TestValidateAcceptsTheIssueExample(t *testing.T) {
	s := validSpec()
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	s.Audience = Audience{UserIDs: []string{"u1", "u2"}}
	if err := s.Validate(); err != nil {
		t.Fatalf("userIds audience: %v", err)
	}
}

func TestValidateNamesTheField(t *testing.T) {
	long := strings.Repeat("x", 4000)
	cases := []struct {
		field  string
		mutate func(*Spec)
	}{
		{"campaignId", func(s *Spec) { s.CampaignID = "" }},
		{"campaignId", func(s *Spec) { s.CampaignID = "has space" }},
		{"category", func(s *Spec) { s.Category = "" }},
		{"audience", func(s *Spec) { s.Audience = Audience{} }},
		{"audience", func(s *Spec) { s.Audience = Audience{All: true, UserIDs: []string{"u"}} }},
		{"audience.userIds", func(s *Spec) { s.Audience = Audience{UserIDs: []string{}} }},
		{"audience.userIds[1]", func(s *Spec) { s.Audience = Audience{UserIDs: []string{"u", ""}} }},
		{"filter.platforms[1]", func(s *Spec) { s.Filter.Platforms = []string{"ios", "windows"} }},
		{"filter.locales[0]", func(s *Spec) { s.Filter.Locales = []string{"d"} }},
		{"message", func(s *Spec) { s.Message.Title, s.Message.Body = "", "" }},
		{"message.data", func(s *Spec) { s.Message.Data = map[string]string{"aps": "x"} }},
		{"message.data", func(s *Spec) { s.Message.Data = map[string]string{"google.x": "x"} }},
		{"message.imageUrl", func(s *Spec) { s.Message.ImageURL = "http://insecure.example/x.png" }},
		{"message.localized.x", func(s *Spec) { s.Message.Localized = map[string]Text{"x": {Title: "t"}} }},
		{"message.localized.de_DE", func(s *Spec) {
			s.Message.Localized = map[string]Text{"de-DE": {Title: "a"}, "de_DE": {Title: "b"}}
		}},
		{"message.localized.fr", func(s *Spec) { s.Message.Localized = map[string]Text{"fr": {}} }},
		{"message", func(s *Spec) { s.Message.Body = long + long }},
		// 4 000 bytes fit FCM's count but not APNs's JSON with the data key.
		{"message.localized.de", func(s *Spec) {
			s.Message.Localized = map[string]Text{"de": {Title: "t", Body: strings.Repeat("ü", 2030)}}
		}},
		{"options.ttl", func(s *Spec) { s.Options.TTL = "1 day" }},
		{"options.ttl", func(s *Spec) { s.Options.TTL = "700h" }},
		{"options.priority", func(s *Spec) { s.Options.Priority = "urgent" }},
		{"options.collapseKey", func(s *Spec) { s.Options.CollapseKey = strings.Repeat("k", 65) }},
		{"options.apnsPushType", func(s *Spec) { s.Options.APNsPushType = "voip" }},
		{"ratePerSecond", func(s *Spec) { s.RatePerSecond = -1 }},
		{"quietHours.start", func(s *Spec) { s.QuietHours = &QuietHours{Start: "9:00", End: "08:00"} }},
		{"quietHours.end", func(s *Spec) { s.QuietHours = &QuietHours{Start: "21:00", End: "24:00"} }},
		{"quietHours", func(s *Spec) { s.QuietHours = &QuietHours{Start: "08:00", End: "08:00"} }},
	}
	for _, c := range cases {
		s := validSpec()
		c.mutate(&s)
		err := s.Validate()
		if err == nil {
			t.Errorf("%s: accepted", c.field)
			continue
		}
		if err.Field != c.field {
			t.Errorf("want field %s, got %v", c.field, err)
		}
	}
}

func TestTextForPicksLocale(t *testing.T) {
	m := Message{Title: "Sale", Body: "b", Localized: map[string]Text{
		"de": {Title: "Angebot"}, "pt-BR": {Title: "Promoção"}, "pt": {Title: "Promoção PT"},
	}}
	for locale, want := range map[string]string{
		"de": "Angebot", "de_AT": "Angebot", "DE-de": "Angebot", "pt-BR": "Promoção", "pt_br": "Promoção",
		"pt-PT": "Promoção PT", "fr": "Sale", "": "Sale",
	} {
		if got := m.TextFor(locale).Title; got != want {
			t.Errorf("TextFor(%q) = %q, want %q", locale, got, want)
		}
	}
}
