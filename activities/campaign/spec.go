// Package campaign holds the side effects of a push campaign: storing its
// message, planning pages of devices by keyset cursor, sending a page through
// the FCM and APNs senders under the campaign's and the providers' rate
// limits, quiet hours per device time zone, and the delivery ledger that makes
// every send happen once. The PushCampaign workflow (workflows/push) drives it.
package campaign

import (
	"strings"
	"time"

	"github.com/imshift/imshift/activities/delivery"
	"github.com/imshift/imshift/internal/registry"
)

// Spec is a campaign as campaign managers write it (the PushCampaign input).
type Spec struct {
	CampaignID    string      `json:"campaignId"`
	Category      string      `json:"category"`
	Audience      Audience    `json:"audience"`
	Filter        Filter      `json:"filter"`
	Message       Message     `json:"message"`
	Options       Options     `json:"options"`
	RatePerSecond int         `json:"ratePerSecond,omitempty"`
	QuietHours    *QuietHours `json:"quietHours,omitempty"`
	DryRun        bool        `json:"dryRun,omitempty"`
}

// Audience is either UserIDs (a non-empty list) or All.
type Audience struct {
	UserIDs []string `json:"userIds,omitempty"`
	All     bool     `json:"all,omitempty"`
}

// Filter narrows the audience; an empty field does not narrow.
type Filter struct {
	Platforms []string `json:"platforms,omitempty"`
	Locales   []string `json:"locales,omitempty"`
	AppID     string   `json:"appId,omitempty"`
}

// Message is the default text plus per-language variants.
type Message struct {
	Title     string            `json:"title"`
	Body      string            `json:"body"`
	Data      map[string]string `json:"data,omitempty"`
	ImageURL  string            `json:"imageUrl,omitempty"`
	Localized map[string]Text   `json:"localized,omitempty"`
}

// Text is one language's title and body.
type Text struct {
	Title string `json:"title"`
	Body  string `json:"body"`
}

// Options are the provider options every message of the campaign carries.
type Options struct {
	TTL          string `json:"ttl,omitempty"`      // Go duration, e.g. "24h"
	Priority     string `json:"priority,omitempty"` // normal | high
	CollapseKey  string `json:"collapseKey,omitempty"`
	APNsPushType string `json:"apnsPushType,omitempty"` // alert | background
	Sound        string `json:"sound,omitempty"`
}

// QuietHours is a local-time window ("21:00" to "08:00") in which devices
// are not disturbed; it may wrap midnight.
type QuietHours struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

// Categories that reach a device whatever the hour.
var urgentCategories = map[string]bool{"otp": true, "account_alert": true}

// IgnoresQuietHours reports whether the category bypasses quiet hours.
func IgnoresQuietHours(category string) bool { return urgentCategories[category] }

// RegistryFilter is the audience and filter as the registry reads them.
func (s *Spec) RegistryFilter() registry.Filter {
	return registry.Filter{
		UserIDs:   s.Audience.UserIDs,
		All:       s.Audience.All,
		Platforms: s.Filter.Platforms,
		Locales:   s.Filter.Locales,
		AppID:     s.Filter.AppID,
	}
}

// TextFor picks the variant for a device locale: the exact locale ("pt-BR"),
// then its language ("pt"), then the default. Case and "-"/"_" do not matter.
func (m *Message) TextFor(locale string) Text {
	if len(m.Localized) > 0 && locale != "" {
		want := normLocale(locale)
		lang, _, _ := strings.Cut(want, "-")
		var byLang *Text
		for k, t := range m.Localized {
			switch normLocale(k) {
			case want:
				return t
			case lang:
				byLang = &t
			}
		}
		if byLang != nil {
			return *byLang
		}
	}
	return Text{Title: m.Title, Body: m.Body}
}

func normLocale(l string) string {
	return strings.ToLower(strings.ReplaceAll(strings.TrimSpace(l), "_", "-"))
}

// providerMaxTTL is what FCM and APNs keep a push without a TTL: four weeks.
const providerMaxTTL = 28 * 24 * time.Hour

// TTL is how long the message is worth delivering (the providers' four
// weeks when the campaign sets none). The spec must have passed validation.
func (s *Spec) TTL() time.Duration {
	if ttl, err := time.ParseDuration(s.Options.TTL); err == nil && ttl > 0 {
		return ttl
	}
	return providerMaxTTL
}

// DeliveryMessage renders the campaign's message for one token and locale.
// The spec must have passed validation (TTL parses).
func (s *Spec) DeliveryMessage(token, locale string) delivery.Message {
	t := s.Message.TextFor(locale)
	ttl, _ := time.ParseDuration(s.Options.TTL)
	return delivery.Message{
		Token:        token,
		Title:        t.Title,
		Body:         t.Body,
		Data:         s.Message.Data,
		ImageURL:     s.Message.ImageURL,
		TTL:          ttl,
		HighPriority: s.Options.Priority == "high",
		CollapseKey:  s.Options.CollapseKey,
		PushType:     s.Options.APNsPushType,
		Sound:        s.Options.Sound,
	}
}
