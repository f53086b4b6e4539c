package campaign

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/sideshow/apns2/payload"

	"github.com/imshift/imshift/internal/field"
	"github.com/imshift/imshift/internal/registry"
)

// field.Error names the input field that is wrong, in the JSON spelling of
// the campaign input. Its text never holds a user id or message text.
// Provider limits the input is checked against.
const (
	MaxPayloadBytes = 4096 // FCM and APNs both refuse a larger payload
	MaxCollapseKey  = 64   // APNs apns-collapse-id
	MaxTTL          = 28 * 24 * time.Hour
	MaxRatePerSec   = 1_000_000
	MaxUserIDs      = 100_000
)

var (
	campaignIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$`)
	categoryPattern   = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)
	localePattern     = regexp.MustCompile(`^[A-Za-z]{2,8}([-_][A-Za-z0-9]{1,8})*$`)
	clockPattern      = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)
)

// Data keys the providers reserve: FCM refuses these, and APNs would see
// them overwrite the payload's own fields.
var reservedDataKeys = map[string]bool{
	"from": true, "notification": true, "message_type": true, "aps": true, "image_url": true,
}

// Validate checks everything that can be checked without the registry, in
// input order, and returns the first problem. CampaignID is checked as given;
// a scheduled run checks it after deriving it.
func (s *Spec) Validate() *field.Error {
	checks := []func() *field.Error{
		s.checkIdentity,
		s.checkAudience,
		s.checkFilter,
		s.checkMessage,
		s.checkOptions,
		s.checkLimits,
	}
	for _, c := range checks {
		if err := c(); err != nil {
			return err
		}
	}
	return nil
}

func (s *Spec) checkIdentity() *field.Error {
	if !campaignIDPattern.MatchString(s.CampaignID) {
		return &field.Error{Field: "campaignId", Problem: "must be 1-200 letters, digits, '.', '_', ':' or '-', starting with a letter or digit"}
	}
	if !categoryPattern.MatchString(s.Category) {
		return &field.Error{Field: "category", Problem: "must be a lower-case word like marketing, otp or account_alert"}
	}
	return nil
}

func (s *Spec) checkAudience() *field.Error {
	a := s.Audience
	switch {
	case a.All && len(a.UserIDs) > 0:
		return &field.Error{Field: "audience", Problem: `must be either {"userIds": [...]} or {"all": true}, not both`}
	case a.All:
		return nil
	case a.UserIDs == nil:
		return &field.Error{Field: "audience", Problem: `must be {"userIds": [...]} or {"all": true}`}
	case len(a.UserIDs) == 0:
		return &field.Error{Field: "audience.userIds", Problem: "must not be empty"}
	case len(a.UserIDs) > MaxUserIDs:
		return &field.Error{Field: "audience.userIds", Problem: fmt.Sprintf("at most %d users; use a filter over all devices instead", MaxUserIDs)}
	}
	for i, id := range a.UserIDs {
		if err := registry.CheckUserID(id); err != nil {
			return &field.Error{Field: fmt.Sprintf("audience.userIds[%d]", i), Problem: err.Problem}
		}
	}
	return nil
}

func (s *Spec) checkFilter() *field.Error {
	for i, p := range s.Filter.Platforms {
		switch p {
		case registry.PlatformIOS, registry.PlatformAndroid, registry.PlatformWeb:
		default:
			return &field.Error{Field: fmt.Sprintf("filter.platforms[%d]", i), Problem: "must be ios, android or web"}
		}
	}
	for i, l := range s.Filter.Locales {
		if !localePattern.MatchString(l) {
			return &field.Error{Field: fmt.Sprintf("filter.locales[%d]", i), Problem: `must be a language tag like "de" or "pt-BR"`}
		}
	}
	if len(s.Filter.AppID) > registry.MaxAppIDLen {
		return &field.Error{Field: "filter.appId", Problem: fmt.Sprintf("at most %d bytes", registry.MaxAppIDLen)}
	}
	return nil
}

func (s *Spec) checkMessage() *field.Error {
	m := s.Message
	if m.Title == "" && m.Body == "" && s.Options.APNsPushType != "background" {
		return &field.Error{Field: "message", Problem: "needs a title or a body"}
	}
	for _, k := range sortedKeys(m.Data) {
		if k == "" || reservedDataKeys[k] || strings.HasPrefix(k, "google") || strings.HasPrefix(k, "gcm") {
			return &field.Error{Field: "message.data", Problem: fmt.Sprintf("key %q is empty or reserved by FCM/APNs", k)}
		}
	}
	if m.ImageURL != "" {
		u, err := url.Parse(m.ImageURL)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return &field.Error{Field: "message.imageUrl", Problem: "must be an https URL"}
		}
	}
	seen := map[string]string{}
	for _, k := range sortedKeys(m.Localized) {
		path := "message.localized." + k
		if !localePattern.MatchString(k) {
			return &field.Error{Field: path, Problem: `key must be a language tag like "de" or "pt-BR"`}
		}
		if prev, dup := seen[normLocale(k)]; dup {
			return &field.Error{Field: path, Problem: fmt.Sprintf("is the same locale as %q", prev)}
		}
		seen[normLocale(k)] = k
		if t := m.Localized[k]; t.Title == "" && t.Body == "" {
			return &field.Error{Field: path, Problem: "needs a title or a body"}
		}
	}
	return s.checkSizes()
}

// checkSizes measures every variant (default and each language) as FCM and
// APNs would, against their 4 KB limit.
func (s *Spec) checkSizes() *field.Error {
	variants := []struct {
		field string
		text  Text
	}{{"message", Text{s.Message.Title, s.Message.Body}}}
	for _, k := range sortedKeys(s.Message.Localized) {
		variants = append(variants, struct {
			field string
			text  Text
		}{"message.localized." + k, s.Message.Localized[k]})
	}
	for _, v := range variants {
		if n := fcmSize(v.text, s.Message); n > MaxPayloadBytes {
			return &field.Error{Field: v.field, Problem: fmt.Sprintf("FCM payload would be %d bytes, over the %d-byte limit", n, MaxPayloadBytes)}
		}
		if n := s.apnsSize(v.text); n > MaxPayloadBytes {
			return &field.Error{Field: v.field, Problem: fmt.Sprintf("APNs payload would be %d bytes, over the %d-byte limit", n, MaxPayloadBytes)}
		}
	}
	return nil
}

// fcmSize counts what FCM counts against its limit: notification title and
// body plus data keys and values.
func fcmSize(t Text, m Message) int {
	n := len(t.Title) + len(t.Body) + len(m.ImageURL)
	for k, v := range m.Data {
		n += len(k) + len(v)
	}
	return n
}

// apnsSize is the length of the JSON payload the APNs sender builds.
func (s *Spec) apnsSize(t Text) int {
	p := payload.NewPayload()
	if s.Options.APNsPushType == "background" {
		p.ContentAvailable()
	} else {
		p.AlertTitle(t.Title).AlertBody(t.Body)
		if s.Options.Sound != "" {
			p.Sound(s.Options.Sound)
		}
	}
	if s.Message.ImageURL != "" {
		p.MutableContent().Custom("image_url", s.Message.ImageURL)
	}
	for k, v := range s.Message.Data {
		p.Custom(k, v)
	}
	b, err := json.Marshal(p)
	if err != nil {
		return MaxPayloadBytes + 1
	}
	return len(b)
}

func (s *Spec) checkOptions() *field.Error {
	o := s.Options
	if o.TTL != "" {
		d, err := time.ParseDuration(o.TTL)
		if err != nil || d <= 0 || d > MaxTTL {
			return &field.Error{Field: "options.ttl", Problem: `must be a duration like "24h", positive and at most 672h (4 weeks)`}
		}
	}
	if o.Priority != "" && o.Priority != "normal" && o.Priority != "high" {
		return &field.Error{Field: "options.priority", Problem: "must be normal or high"}
	}
	if len(o.CollapseKey) > MaxCollapseKey {
		return &field.Error{Field: "options.collapseKey", Problem: fmt.Sprintf("at most %d bytes (APNs apns-collapse-id)", MaxCollapseKey)}
	}
	if o.APNsPushType != "" && o.APNsPushType != "alert" && o.APNsPushType != "background" {
		return &field.Error{Field: "options.apnsPushType", Problem: "must be alert or background"}
	}
	if len(o.Sound) > 64 {
		return &field.Error{Field: "options.sound", Problem: "at most 64 bytes"}
	}
	return nil
}

func (s *Spec) checkLimits() *field.Error {
	if s.RatePerSecond < 0 || s.RatePerSecond > MaxRatePerSec {
		return &field.Error{Field: "ratePerSecond", Problem: fmt.Sprintf("must be between 0 (no campaign limit) and %d", MaxRatePerSec)}
	}
	if q := s.QuietHours; q != nil {
		if !clockPattern.MatchString(q.Start) {
			return &field.Error{Field: "quietHours.start", Problem: `must be a time of day "HH:MM", e.g. "21:00"`}
		}
		if !clockPattern.MatchString(q.End) {
			return &field.Error{Field: "quietHours.end", Problem: `must be a time of day "HH:MM", e.g. "08:00"`}
		}
		if q.Start == q.End {
			return &field.Error{Field: "quietHours", Problem: "start and end must differ"}
		}
	}
	return nil
}

// sortedKeys gives map keys in order, so the first problem reported is the
// same on every run.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
