// Package notify posts imshift's state-change events to the operators' webhooks:
// our own signed JSON, or Slack's incoming-webhook shape for a URL on
// hooks.slack.com. docs/notifications.md is the receiver's guide.
package notify

import (
	"fmt"
	"strings"
	"time"
)

// Event is one state change of a migration or a campaign, as posted. The
// JSON names are part of the product (issue 9).
type Event struct {
	// EventID is unique per state change and the same on every retry, so a
	// receiver drops what it has already seen.
	EventID string `json:"eventId"`
	// Kind is "migration" or "campaign".
	Kind string `json:"kind"`
	// ID is the migrationId or campaignId.
	ID            string `json:"id"`
	State         string `json:"state"`
	PreviousState string `json:"previousState"`
	// Step is the migration's step number, 1 for the first; 0 for a campaign.
	Step int `json:"step"`
	// Percent is the migration's rollout percent, or the share of a
	// campaign's audience settled.
	Percent float64 `json:"percent"`
	// Note says why, e.g. the failed analysis behind an automatic rollback.
	Note string    `json:"note"`
	At   time.Time `json:"at"`
}

// Text is the event as one line for people (Slack, logs, the UI summary).
func (e Event) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "imshift %s %s: %s", e.Kind, e.ID, e.State)
	if e.PreviousState != "" {
		fmt.Fprintf(&b, " (was %s)", e.PreviousState)
	}
	if e.Step > 0 {
		fmt.Fprintf(&b, ", step %d", e.Step)
	}
	fmt.Fprintf(&b, ", %s%%", formatPercent(e.Percent))
	if e.Note != "" {
		b.WriteString(": " + e.Note)
	}
	return b.String()
}

// formatPercent drops a fraction that is zero: 10, 0.5, 33.3.
func formatPercent(p float64) string {
	s := fmt.Sprintf("%.1f", p)
	return strings.TrimSuffix(s, ".0")
}
