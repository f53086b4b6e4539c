package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// counts renders a breakdown as "fcm 3514, apns 1666": largest first, ties
// by name, so the same figures always print the same way. Empty is "".
func counts(m map[string]int64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if c := cmp.Compare(m[b], m[a]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

// withBreakdown is "5180 (fcm 3514, apns 1666)", or "5180" alone.
func withBreakdown(total int64, m map[string]int64) string {
	if b := counts(m); b != "" {
		return fmt.Sprintf("%d (%s)", total, b)
	}
	return fmt.Sprint(total)
}

// roughly rounds a duration for people: seconds under an hour, minutes
// above ("4m7s", "2h15m"), and drops the zero tail Go prints ("2h0m0s").
func roughly(d time.Duration) string {
	if d >= time.Hour {
		d = d.Round(time.Minute)
	} else {
		d = d.Round(time.Second)
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// roughlyText rounds a duration the workflow sent as text ("2m30.4s");
// text that is not a duration is shown as it is.
func roughlyText(s string) string {
	d, err := time.ParseDuration(s)
	if err != nil {
		return s
	}
	return roughly(d)
}

// writeJSON prints v as indented JSON, for --json.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
