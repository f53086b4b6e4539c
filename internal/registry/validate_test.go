package registry

import (
	"errors"
	"github.com/imshift/imshift/internal/field"
	"strings"
	"testing"
)

const apnsToken = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"

func validDevice() Device {
	return Device{UserID: "u1", Platform: "ios", Provider: "apns", Token: apnsToken, AppID: "com.example.chat", Locale: "de-DE", TimeZone: "Europe/Berlin"}
}

func TestNormalizeNamesTheField(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(*Device)
		field string
	}{
		{"missing user", func(d *Device) { d.UserID = " " }, "userId"},
		{"long user", func(d *Device) { d.UserID = strings.Repeat("u", MaxUserIDLen+1) }, "userId"},
		{"control user", func(d *Device) { d.UserID = "u\x00" }, "userId"},
		{"unknown provider", func(d *Device) { d.Provider = "mqtt" }, "provider"},
		{"unknown platform", func(d *Device) { d.Platform = "windows" }, "platform"},
		{"apns for android", func(d *Device) { d.Platform = "android" }, "provider"},
		{"apns for web", func(d *Device) { d.Platform = "web" }, "provider"},
		{"apns short", func(d *Device) { d.Token = "abcd" }, "token"},
		{"apns odd", func(d *Device) { d.Token = apnsToken + "a" }, "token"},
		{"apns not hex", func(d *Device) { d.Token = strings.Repeat("z", 64) }, "token"},
		{"apns long", func(d *Device) { d.Token = strings.Repeat("ab", 101) }, "token"},
		{"fcm short", func(d *Device) { d.Provider, d.Platform, d.Token = "fcm", "android", "short" }, "token"},
		{"fcm long", func(d *Device) {
			d.Provider, d.Platform, d.Token = "fcm", "android", strings.Repeat("x", MaxFCMToken+1)
		}, "token"},
		{"fcm spaces", func(d *Device) { d.Provider, d.Platform, d.Token = "fcm", "web", "abc def ghi jkl mno pqr" }, "token"},
		{"long app", func(d *Device) { d.AppID = strings.Repeat("a", MaxAppIDLen+1) }, "appId"},
		{"bad locale", func(d *Device) { d.Locale = "de DE" }, "locale"},
		{"bad zone", func(d *Device) { d.TimeZone = "Mars/Olympus" }, "timeZone"},
		{"local zone", func(d *Device) { d.TimeZone = "Local" }, "timeZone"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := validDevice()
			c.edit(&d)
			err := d.Normalize()
			var fe *field.Error
			if !errors.As(err, &fe) || fe.Field != c.field {
				t.Fatalf("got %v, want a field.Error on %s", err, c.field)
			}
			if strings.Contains(err.Error(), d.Token) && d.Token != "" {
				t.Fatalf("error holds the token: %q", err)
			}
		})
	}
}

func TestNormalizeAcceptsAndDefaults(t *testing.T) {
	good := []Device{
		validDevice(),
		{UserID: "u2", Platform: "Android", Provider: "FCM", Token: "fcm-token:APA91b_abcdefgh.ijk"},
		{UserID: "u3", Platform: "ios", Provider: "fcm", Token: "ios-via-fcm-token-0001", Locale: "pt_BR", TimeZone: "America/Sao_Paulo"},
		{UserID: "u4", Platform: "web", Provider: "fcm", Token: "web-push-token-000001"},
	}
	for _, d := range good {
		if err := d.Normalize(); err != nil {
			t.Fatalf("%+v: %v", d.UserID, err)
		}
	}
	d := good[1]
	_ = d.Normalize()
	if d.Platform != "android" || d.Provider != "fcm" || d.TimeZone != "UTC" {
		t.Fatalf("not normalized: %+v", d)
	}
}

func TestMaskToken(t *testing.T) {
	if got := MaskToken(apnsToken); got != "a1b2c3…8f90" {
		t.Fatalf("MaskToken = %q", got)
	}
	if got := MaskToken("0123456789abcdef"); got != "…" {
		t.Fatalf("short token shown: %q", got)
	}
}
