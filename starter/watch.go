package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/imshift/imshift/workflows/migration"
)

func migrationWatchCmd(a *app) *cobra.Command {
	var every time.Duration
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "watch <migrationId>",
		Short: "Print state changes, analyses and rejected signals in time order until the migration ends",
		Long: `One stream in time order (steps 1-based). On a terminal a last line counts down to the bake's end
or the next analysis and shows live provisioning counts; otherwise (a pipe, a file) only plain lines.
--json prints each item as one JSON object per line: {"at","kind":"event|analysis|rejected","text","data"}.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			w := &watcher{screen: newScreen(cmd.OutOrStdout(), asJSON), json: asJSON}
			err := follow(cmd.Context(), every, w.say, func(ctx context.Context) (bool, error) {
				st, closed, err := a.migrationStatus(ctx, args[0])
				if err != nil {
					return false, err
				}
				if err := w.print(st); err != nil {
					return false, err
				}
				if closed || st.State.Terminal() {
					w.say(fmt.Sprintf("migration %s ended: %s", st.MigrationID, st.State))
					return true, nil
				}
				w.redraw(countdownLine(st, time.Now()))
				return false, nil
			})
			w.redraw("")
			return err
		},
	}
	cmd.Flags().DurationVar(&every, "every", time.Second, "refresh interval")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object per line")
	return cmd
}

// watcher prints what a migration watch has not printed yet.
type watcher struct {
	screen
	json bool
	seen watchMark
}

// watchMark is what watch has printed already.
type watchMark struct {
	event, analysis, rejected time.Time
}

// watchItem is one line of the stream.
type watchItem struct {
	At   time.Time `json:"at"`
	Kind string    `json:"kind"`
	Text string    `json:"text"`
	Data any       `json:"data"`
}

// say prints a line, above the countdown on a terminal.
func (w *watcher) say(line string) {
	if w.json {
		_ = json.NewEncoder(w.out).Encode(watchItem{At: time.Now().UTC(), Kind: "watch", Text: line})
		return
	}
	w.screen.say(line)
}

// print writes the items of st newer than the mark, in time order.
func (w *watcher) print(st migration.Status) error {
	var items []watchItem
	items, w.seen = newItems(st, w.seen)
	if len(items) == 0 {
		return nil
	}
	w.redraw("")
	for _, it := range items {
		if w.json {
			if err := json.NewEncoder(w.out).Encode(it); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintf(w.out, "%s  %s\n", it.At.UTC().Format(time.RFC3339), it.Text)
	}
	return nil
}

// newItems are the events, analyses and rejections newer than seen, merged
// by time (steps 1-based), and the new mark.
func newItems(st migration.Status, seen watchMark) ([]watchItem, watchMark) {
	var items []watchItem
	next := seen
	for _, e := range st.Events {
		if e.At.After(seen.event) {
			items = append(items, watchItem{e.At, "event", fmt.Sprintf("%-17s step %d  %6v%%  %s", e.State, e.Step+1, e.Percent, e.Note), e})
			next.event = e.At
		}
	}
	for _, an := range st.Analyses {
		if an.At.After(seen.analysis) {
			items = append(items, watchItem{an.At, "analysis", analysisText(an), an})
			next.analysis = an.At
		}
	}
	for _, r := range st.RejectedSignals {
		if r.At.After(seen.rejected) {
			items = append(items, watchItem{r.At, "rejected", fmt.Sprintf("rejected %s in %s: %s", r.Name, r.State, r.Reason), r})
			next.rejected = r.At
		}
	}
	slices.SortStableFunc(items, func(a, b watchItem) int { return a.At.Compare(b.At) })
	return items, next
}

func analysisText(an migration.AnalysisRecord) string {
	text := fmt.Sprintf("analysis %-7s step %d  sampled %d  openim %d (%.2f)  legacy %d (%.2f)  prov.errors %.4f",
		an.Result, an.Step+1, an.Sampled, an.OpenIMOnline, an.OpenIMOnlineRatio,
		an.LegacyOnline, an.LegacyOnlineRatio, an.ProvisionErrorRatio)
	if why := strings.TrimSpace(strings.Join(append(an.Reasons, an.Error), " ")); why != "" {
		text += "  " + why
	}
	return text
}

// countdownLine is the live last line: where the run stands and how long
// until its next deadline.
func countdownLine(st migration.Status, now time.Time) string {
	step := fmt.Sprintf("step %d of %d (%v %%)", st.Step+1, st.Steps, st.TargetPercent)
	switch st.State {
	case migration.StateProvisioning:
		p := st.Provisioning
		return fmt.Sprintf("provisioning %s: %d registered, %d already there, %d errors, %d FCM tokens copied",
			step, p.Registered, p.AlreadyExisted, p.Errors, p.FCMTokensCopied)
	case migration.StateBaking:
		line := "baking " + step
		if st.BakeUntil != nil {
			line += ": bake ends " + until(*st.BakeUntil, now)
		}
		return line + nextAnalysis(st, now)
	case migration.StateAwaitingApproval:
		return fmt.Sprintf("waiting for promote at %s (starter migration promote %s)%s", step, st.MigrationID, nextAnalysis(st, now))
	case migration.StatePaused:
		return fmt.Sprintf("paused at %s (starter migration resume %s)", step, st.MigrationID)
	case migration.StateRolledBack:
		return fmt.Sprintf("rolled back to %v %%: retry or abort", st.Percent)
	}
	return fmt.Sprintf("%s %s", st.State, step)
}

func nextAnalysis(st migration.Status, now time.Time) string {
	if st.NextAnalysisAt == nil {
		return ""
	}
	return "; next analysis " + until(*st.NextAnalysisAt, now)
}

// until is "in 4m12s (14:30:00 UTC)", or "now" once due.
func until(t, now time.Time) string {
	if !t.After(now) {
		return "now"
	}
	return fmt.Sprintf("in %s (%s)", roughly(t.Sub(now)), t.UTC().Format("15:04:05 UTC"))
}
