package registry

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	// Time zones are checked with time.LoadLocation; embedding the database
	// keeps that working in images without /usr/share/zoneinfo.
	_ "time/tzdata"

	"github.com/imshift/imshift/internal/field"
)

// Problems are reported as a *field.Error naming the API's JSON field; its
// text never holds the value (it may be a token).

// Limits on what a device row may hold.
const (
	MaxUserIDLen    = 128
	MaxAppIDLen     = 255
	MaxLocaleLen    = 35
	MinFCMToken     = 16
	MaxFCMToken     = 4096
	MinAPNsToken    = 64
	MaxAPNsToken    = 200
	DefaultTimeZone = "UTC"
)

var (
	fcmToken = regexp.MustCompile(`^[A-Za-z0-9_:.\-]+$`)
	hexToken = regexp.MustCompile(`^[0-9A-Fa-f]+$`)
	locale   = regexp.MustCompile(`^[A-Za-z]{2,8}([-_][A-Za-z0-9]{1,8})*$`)
)

// providers lists, per provider, the platforms it can reach: APNs only
// Apple devices, FCM every platform (it relays to APNs for iOS apps).
var providers = map[string][]string{
	ProviderFCM:  {PlatformAndroid, PlatformIOS, PlatformWeb},
	ProviderAPNs: {PlatformIOS},
}

// Normalize fills defaults (time zone UTC) and trims spaces, then checks
// every field. It returns the first problem as a *field.Error.
func (d *Device) Normalize() error {
	d.UserID = strings.TrimSpace(d.UserID)
	d.Platform = strings.ToLower(strings.TrimSpace(d.Platform))
	d.Provider, d.Token = normalizeKey(d.Provider, d.Token)
	d.AppID = strings.TrimSpace(d.AppID)
	d.Locale = strings.TrimSpace(d.Locale)
	d.TimeZone = strings.TrimSpace(d.TimeZone)
	if d.TimeZone == "" {
		d.TimeZone = DefaultTimeZone
	}
	checks := []func() *field.Error{
		func() *field.Error { return CheckUserID(d.UserID) },
		d.checkPlatform,
		func() *field.Error { return CheckToken(d.Provider, d.Token) },
		d.checkAppID,
		d.checkLocale,
		d.checkTimeZone,
	}
	for _, c := range checks {
		if err := c(); err != nil {
			return err
		}
	}
	return nil
}

// NormalizeKey normalizes a provider and token the way Normalize does and
// checks them, so a device is removed or looked up by exactly the forms it
// can be registered with ("FCM", a padded token).
func NormalizeKey(provider, token string) (string, string, *field.Error) {
	provider, token = normalizeKey(provider, token)
	return provider, token, CheckToken(provider, token)
}

func normalizeKey(provider, token string) (string, string) {
	return strings.ToLower(strings.TrimSpace(provider)), strings.TrimSpace(token)
}

// CheckUserID accepts 1..MaxUserIDLen printable UTF-8 characters.
func CheckUserID(id string) *field.Error {
	if id == "" {
		return &field.Error{Field: "userId", Problem: "is required"}
	}
	if !utf8.ValidString(id) {
		return &field.Error{Field: "userId", Problem: "is not valid UTF-8"}
	}
	if len(id) > MaxUserIDLen {
		return &field.Error{Field: "userId", Problem: fmt.Sprintf("is longer than %d bytes", MaxUserIDLen)}
	}
	if !printable(id) {
		return &field.Error{Field: "userId", Problem: "has control characters"}
	}
	return nil
}

func (d *Device) checkPlatform() *field.Error {
	platforms, ok := providers[d.Provider]
	if !ok {
		return &field.Error{Field: "provider", Problem: `must be "fcm" or "apns"`}
	}
	switch d.Platform {
	case PlatformIOS, PlatformAndroid, PlatformWeb:
	default:
		return &field.Error{Field: "platform", Problem: `must be "ios", "android" or "web"`}
	}
	for _, p := range platforms {
		if p == d.Platform {
			return nil
		}
	}
	return &field.Error{Field: "provider", Problem: fmt.Sprintf("%s cannot reach platform %s (apns is for ios only)", d.Provider, d.Platform)}
}

// CheckToken checks a token's shape for its provider: APNs tokens are hex,
// FCM registration tokens use a URL-safe alphabet. A provider it does not
// know is reported on the provider field.
func CheckToken(provider, token string) *field.Error {
	switch provider {
	case ProviderAPNs:
		if len(token) < MinAPNsToken || len(token) > MaxAPNsToken || len(token)%2 != 0 || !hexToken.MatchString(token) {
			return &field.Error{Field: "token", Problem: fmt.Sprintf("an APNs token is an even number (%d..%d) of hex digits", MinAPNsToken, MaxAPNsToken)}
		}
	case ProviderFCM:
		if len(token) < MinFCMToken || len(token) > MaxFCMToken || !fcmToken.MatchString(token) {
			return &field.Error{Field: "token", Problem: fmt.Sprintf("an FCM token is %d..%d characters of A-Z a-z 0-9 _ : . -", MinFCMToken, MaxFCMToken)}
		}
	default:
		return &field.Error{Field: "provider", Problem: `must be "fcm" or "apns"`}
	}
	return nil
}

func (d *Device) checkAppID() *field.Error {
	if len(d.AppID) > MaxAppIDLen || !printable(d.AppID) {
		return &field.Error{Field: "appId", Problem: fmt.Sprintf("must be at most %d printable bytes", MaxAppIDLen)}
	}
	return nil
}

func (d *Device) checkLocale() *field.Error {
	if d.Locale != "" && (len(d.Locale) > MaxLocaleLen || !locale.MatchString(d.Locale)) {
		return &field.Error{Field: "locale", Problem: `must be a language tag like "de" or "pt-BR"`}
	}
	return nil
}

func (d *Device) checkTimeZone() *field.Error {
	// "Local" would mean the server's zone, not the device's.
	if d.TimeZone == "Local" {
		return &field.Error{Field: "timeZone", Problem: `must be an IANA time zone like "Europe/Berlin"`}
	}
	if _, err := time.LoadLocation(d.TimeZone); err != nil {
		return &field.Error{Field: "timeZone", Problem: `must be an IANA time zone like "Europe/Berlin"`}
	}
	return nil
}

func printable(s string) bool {
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}
