package migration

import (
	"strings"
	"testing"

	"github.com/imshift/imshift/activities/openim"
)

func TestOpenIMUserIDRoundTrip(t *testing.T) {
	cases := []struct{ legacy, openim string }{
		{"u1001", "u1001"},
		{"staff_001", "staff_001"},
		{"José", "José"}, // Unicode letters are legal for OpenIM
		{"6f1c2d3e-9a7b-4c1d-8e2f-0123456789ab", "imx_6f1c2d3e_2D9a7b_2D4c1d_2D8e2f_2D0123456789ab"},
		{"a:b", "imx_a_3Ab"},
		{"a_b-c", "imx_a_5Fb_2Dc"},
		{"imx_taken", "imx_imx_5Ftaken"}, // the prefix itself is escaped
		{"josé-1", "imx_jos_C3_A9_2D1"},
		{"x@y.z", "imx_x_40y_2Ez"},
	}
	for _, c := range cases {
		got := OpenIMUserID(c.legacy)
		if got != c.openim {
			t.Errorf("OpenIMUserID(%q) = %q, want %q", c.legacy, got, c.openim)
		}
		if !openim.IsLegalUserID(got) {
			t.Errorf("OpenIMUserID(%q) = %q is not legal for OpenIM", c.legacy, got)
		}
		back, err := LegacyUserID(got)
		if err != nil || back != c.legacy {
			t.Errorf("LegacyUserID(%q) = %q, %v; want %q", got, back, err, c.legacy)
		}
	}
}

func TestLegacyUserIDRefusesWhatNoLegacyIDMapsTo(t *testing.T) {
	for _, id := range []string{"imx_a_2", "imx_a_zz", "imx_a_2d", "imx_ab_", "imx_abc"} {
		if got, err := LegacyUserID(id); err == nil {
			t.Errorf("LegacyUserID(%q) = %q, want an error", id, got)
		}
	}
}

func TestCheckLegacyUserID(t *testing.T) {
	for id, want := range map[string]string{
		"":                             "is empty",
		strings.Repeat("a", 129):       "is longer than 128 bytes",
		"bad\xff":                      "is not valid UTF-8",
		"two words":                    "contains spaces",
		"tab\tbed":                     "contains spaces",
		"6f1c2d3e-9a7b-4c1d-8e2f-0123": "",
		"user@example.com":             "",
	} {
		err := CheckLegacyUserID(id)
		if want == "" && err != nil || want != "" && (err == nil || !strings.HasPrefix(err.Error(), want)) {
			t.Errorf("CheckLegacyUserID(%q) = %v, want %q", id, err, want)
		}
	}
}
