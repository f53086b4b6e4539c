package campaign

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"go.temporal.io/sdk/workflow"

	campaignact "github.com/imshift/imshift/activities/campaign"
)

// publish refreshes the workflow's current details: the markdown the
// Temporal UI's workflow page shows without a query. It is not a command;
// replay is unaffected.
func (r *campaignRun) publish(ctx workflow.Context) {
	workflow.SetCurrentDetails(ctx, r.details())
}

// details is the progress as markdown: state, done of targeted, rate and
// eta on the first line, the figures below. A campaign still counting its
// audience has no share to show.
func (r *campaignRun) details() string {
	p := r.progress()
	var b strings.Builder
	fmt.Fprintf(&b, "**%s**", p.State)
	if p.State == CampaignPreparing {
		b.WriteString(" · counting the audience\n")
		return b.String()
	}
	done := p.Targeted - p.Remaining
	fmt.Fprintf(&b, " · %d of %d done (%s)", done, p.Targeted, percentOf(done, p.Targeted))
	if p.Rate > 0 {
		fmt.Fprintf(&b, " · %.0f/s", p.Rate)
	}
	if p.ETA != "" {
		fmt.Fprintf(&b, " · eta %s", p.ETA)
	}
	fmt.Fprintf(&b, "\n\n- sent %d · pruned %d · failed %d · deferred %d · remaining %d\n",
		p.Sent, p.Pruned, p.FailedTotal, p.Deferred, p.Remaining)
	if len(p.Failed) > 0 {
		fmt.Fprintf(&b, "- failed by reason: %s\n", byCount(p.Failed))
	}
	if p.NextDeferral != nil {
		fmt.Fprintf(&b, "- deferred for quiet hours; the next ones are due at %s\n", clock(*p.NextDeferral))
	}
	if p.Reason != "" {
		fmt.Fprintf(&b, "- reason: %s\n", p.Reason)
	}
	for _, pr := range p.Problems {
		fmt.Fprintf(&b, "- problem: %s\n", describe(&pr))
	}
	fmt.Fprintf(&b, "- %d pages in flight · run %d", p.PagesInFlight, p.Runs+1)
	if p.RefreshedAt != nil {
		fmt.Fprintf(&b, " · ledger read at %s", clock(*p.RefreshedAt))
	}
	b.WriteString("\n")
	return b.String()
}

func percentOf(n, of int64) string {
	if of == 0 {
		return "0 %"
	}
	return fmt.Sprintf("%.1f %%", float64(n)*100/float64(of))
}

// byCount is "transient: INTERNAL 3, bad token 1": largest first, ties by
// text, so the same figures always read the same way.
func byCount(m map[string]int64) string {
	keys := slices.Collect(maps.Keys(m))
	slices.SortFunc(keys, func(a, b string) int {
		return cmp.Or(cmp.Compare(m[b], m[a]), cmp.Compare(a, b))
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

func clock(t time.Time) string { return t.UTC().Format("15:04:05 UTC") }

// Summary is the one-line StaticSummary a start path gives a campaign, for
// the Temporal UI's list and page: "campaign spring-sale (marketing): all
// devices, android, 500/s, quiet hours 21:00–08:00, “Spring sale”".
func Summary(c Campaign) string {
	return "campaign " + c.CampaignID + describeSpec(c.Spec)
}

// ScheduleSummary is the StaticSummary of every run a schedule starts.
func ScheduleSummary(scheduleID string, c Campaign) string {
	return "scheduled campaign " + scheduleID + describeSpec(c.Spec)
}

func describeSpec(s campaignact.Spec) string {
	parts := []string{"all devices"}
	if !s.Audience.All {
		parts[0] = fmt.Sprintf("%d users", len(s.Audience.UserIDs))
	}
	parts = append(parts, s.Filter.Platforms...)
	if s.RatePerSecond > 0 {
		parts = append(parts, fmt.Sprintf("%d/s", s.RatePerSecond))
	}
	if q := s.QuietHours; q != nil && !campaignact.IgnoresQuietHours(s.Category) {
		parts = append(parts, fmt.Sprintf("quiet hours %s–%s", q.Start, q.End))
	}
	if s.Message.Title != "" {
		parts = append(parts, "“"+shorten(s.Message.Title, 40)+"”")
	}
	if s.DryRun {
		parts = append(parts, "dry run")
	}
	return fmt.Sprintf(" (%s): %s", s.Category, strings.Join(parts, ", "))
}

// shorten cuts s to n runes, on one line.
func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// summarized is ctx with activity options opts and the UI summary text.
func summarized(ctx workflow.Context, opts workflow.ActivityOptions, summary string) workflow.Context {
	opts.Summary = summary
	return workflow.WithActivityOptions(ctx, opts)
}
