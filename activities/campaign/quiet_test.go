package campaign

import (
	"testing"
	"time"
)

func TestQuietUntil(t *testing.T) {
	berlin := location("Europe/Berlin")
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, berlin)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	night := &QuietHours{Start: "21:00", End: "08:00"}
	day := &QuietHours{Start: "12:00", End: "14:30"}
	cases := []struct {
		name  string
		q     *QuietHours
		now   time.Time
		quiet bool
		until time.Time
	}{
		{"evening wraps to next morning", night, at("2027-03-01 22:15"), true, at("2027-03-02 08:00")},
		{"early morning ends today", night, at("2027-03-02 07:59"), true, at("2027-03-02 08:00")},
		{"end is outside", night, at("2027-03-02 08:00"), false, time.Time{}},
		{"start is inside", night, at("2027-03-01 21:00"), true, at("2027-03-02 08:00")},
		{"afternoon is outside", night, at("2027-03-01 15:00"), false, time.Time{}},
		{"daytime window", day, at("2027-03-01 13:00"), true, at("2027-03-01 14:30")},
		{"before daytime window", day, at("2027-03-01 11:59"), false, time.Time{}},
		// 2027-03-28: clocks go from 02:00 to 03:00 in Berlin; 08:00 is CEST.
		{"across the DST change", night, at("2027-03-27 23:00"), true, at("2027-03-28 08:00")},
	}
	for _, c := range cases {
		until, quiet := c.q.QuietUntil(c.now.UTC(), berlin)
		if quiet != c.quiet || !until.Equal(c.until) {
			t.Errorf("%s: got (%v, %v), want (%v, %v)", c.name, until, quiet, c.until, c.quiet)
		}
	}
}

func TestQuietHoursPerDeviceZone(t *testing.T) {
	q := &QuietHours{Start: "21:00", End: "08:00"}
	now := time.Date(2027, 3, 1, 23, 0, 0, 0, time.UTC) // 08:00 in Tokyo, 18:00 in New York
	if _, quiet := q.QuietUntil(now, location("UTC")); !quiet {
		t.Error("23:00 UTC must be quiet in UTC")
	}
	if _, quiet := q.QuietUntil(now, location("Asia/Tokyo")); quiet {
		t.Error("08:00 in Tokyo must not be quiet")
	}
	if _, quiet := q.QuietUntil(now, location("America/New_York")); quiet {
		t.Error("18:00 in New York must not be quiet")
	}
	if location("Not/AZone") != time.UTC {
		t.Error("an unknown zone must count as UTC")
	}
}

func TestUrgentCategoriesIgnoreQuietHours(t *testing.T) {
	for cat, want := range map[string]bool{"otp": true, "account_alert": true, "marketing": false} {
		if IgnoresQuietHours(cat) != want {
			t.Errorf("IgnoresQuietHours(%q) = %v", cat, !want)
		}
	}
}

func TestChunkSize(t *testing.T) {
	for rate, want := range map[int]int{0: 500, 100_000: 500, 5000: 500, 1000: 100, 50: 5, 3: 1} {
		if got := ChunkSize(rate); got != want {
			t.Errorf("ChunkSize(%d) = %d, want %d", rate, got, want)
		}
	}
}

func TestBoundaries(t *testing.T) {
	ids := []int64{2, 4, 6, 8, 10, 12, 14}
	got := boundaries(ids, 3)
	want := []int64{6, 12, 14}
	if len(got) != len(want) {
		t.Fatalf("boundaries = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("boundaries = %v, want %v", got, want)
		}
	}
	if b := boundaries(ids[:6], 3); len(b) != 2 || b[1] != 12 {
		t.Errorf("exact pages: %v", b)
	}
}
