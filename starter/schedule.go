package main

import (
	"cmp"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/imshift/imshift/workflows/campaign"
)

// scheduleCommand groups the Temporal Schedule verbs for campaigns. Each has
// a plain `temporal schedule` equivalent (docs/campaigns.md).
func scheduleCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "schedule",
		Short: "Run campaigns on Temporal Schedules (cron, time zone, overlap skip, pause)",
	}
	cmd.AddCommand(
		scheduleCreateCommand(a),
		scheduleListCommand(a),
		scheduleDescribeCommand(a),
		scheduleHandleCommand(a, "pause", "Pause a schedule (no new runs)", func(h client.ScheduleHandle, cmd *cobra.Command) error {
			return h.Pause(cmd.Context(), client.SchedulePauseOptions{Note: "paused with starter"})
		}),
		scheduleHandleCommand(a, "unpause", "Unpause a schedule", func(h client.ScheduleHandle, cmd *cobra.Command) error {
			return h.Unpause(cmd.Context(), client.ScheduleUnpauseOptions{Note: "unpaused with starter"})
		}),
		scheduleHandleCommand(a, "trigger", "Start a run now (skipped if one is running)", func(h client.ScheduleHandle, cmd *cobra.Command) error {
			return h.Trigger(cmd.Context(), client.ScheduleTriggerOptions{})
		}),
		scheduleHandleCommand(a, "delete", "Delete a schedule (runs already started go on)", func(h client.ScheduleHandle, cmd *cobra.Command) error {
			return h.Delete(cmd.Context())
		}),
		scheduleBackfillCommand(a),
	)
	return cmd
}

func scheduleCreateCommand(a *app) *cobra.Command {
	var id, file, tz, note string
	var crons []string
	cmd := &cobra.Command{
		Use:   "create --id ID --cron EXPR [--time-zone ZONE] -f campaign.json",
		Short: "Create a schedule that starts the campaign at each cron time",
		Long: "Each run's campaign id is <schedule id>-<scheduled time>, e.g. weekly-digest-2027-03-01T08:00:00Z, " +
			"so a retried, backfilled or re-triggered run for the same time never sends twice. " +
			"The file's campaignId is not used. Overlap: skip; catch-up window 5m; pause on failure.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := readInput[campaign.Campaign](file, "campaign")
			if err != nil {
				return err
			}
			opts, err := scheduleOptions(id, crons, tz, note, a.taskQueue, c)
			if err != nil {
				return err
			}
			tc, err := a.client(cmd.Context())
			if err != nil {
				return err
			}
			if _, err := tc.ScheduleClient().Create(cmd.Context(), opts); err != nil {
				return fmt.Errorf("create schedule %s: %w", id, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "created schedule %s (%s, %s)\n", id, strings.Join(crons, "; "), opts.Spec.TimeZoneName)
			return nil
		},
	}
	cmd.Flags().StringVar(&id, "id", "", "schedule id, e.g. weekly-digest")
	cmd.Flags().StringArrayVar(&crons, "cron", nil, `cron expression, e.g. "0 9 * * MON" (repeatable)`)
	cmd.Flags().StringVar(&tz, "time-zone", "UTC", "IANA time zone the cron is read in")
	cmd.Flags().StringVarP(&file, "file", "f", "", "campaign JSON file (- for stdin)")
	cmd.Flags().StringVar(&note, "note", "", "note shown with the schedule")
	for _, f := range []string{"id", "cron", "file"} {
		_ = cmd.MarkFlagRequired(f)
	}
	return cmd
}

// scheduleOptions validates the campaign as its runs will see it (campaign
// id derived from the schedule id) and builds the schedule.
func scheduleOptions(id string, crons []string, tz, note, taskQueue string, c campaign.Campaign) (client.ScheduleOptions, error) {
	if _, err := time.LoadLocation(tz); err != nil {
		return client.ScheduleOptions{}, fmt.Errorf("--time-zone %q is not an IANA time zone", tz)
	}
	c.CampaignID = id
	if err := campaign.ValidateCampaign(c); err != nil {
		if strings.HasPrefix(err.Error(), "campaignId") {
			return client.ScheduleOptions{}, fmt.Errorf("--id: %w", err)
		}
		return client.ScheduleOptions{}, fmt.Errorf("invalid campaign: %w", err)
	}
	c.CampaignID = "" // each run derives its own
	return campaign.ScheduleOptions(campaign.CampaignSchedule{
		ID:        id,
		Spec:      client.ScheduleSpec{CronExpressions: crons, TimeZoneName: tz},
		Campaign:  c,
		TaskQueue: taskQueue,
		Note:      note,
	}), nil
}

// scheduleRow is one schedule in `schedule list --json`.
type scheduleRow struct {
	ID       string     `json:"id"`
	Workflow string     `json:"workflow"`
	Paused   bool       `json:"paused"`
	NextRun  *time.Time `json:"nextRun,omitempty"`
}

func scheduleListCommand(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List schedules with their next run",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tc, err := a.client(cmd.Context())
			if err != nil {
				return err
			}
			it, err := tc.ScheduleClient().List(cmd.Context(), client.ScheduleListOptions{})
			if err != nil {
				return err
			}
			rows := []scheduleRow{}
			for it.HasNext() {
				e, err := it.Next()
				if err != nil {
					return err
				}
				row := scheduleRow{ID: e.ID, Workflow: e.WorkflowType.Name, Paused: e.Paused}
				if len(e.NextActionTimes) > 0 {
					next := e.NextActionTimes[0].UTC()
					row.NextRun = &next
				}
				rows = append(rows, row)
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), rows)
			}
			printScheduleRows(cmd.OutOrStdout(), rows)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the schedules as JSON")
	return cmd
}

func printScheduleRows(w io.Writer, rows []scheduleRow) {
	fmt.Fprintf(w, "%-30s %-14s %-7s %s\n", "ID", "WORKFLOW", "PAUSED", "NEXT RUN")
	for _, r := range rows {
		next := "-"
		if r.NextRun != nil {
			next = r.NextRun.Format(time.RFC3339)
		}
		fmt.Fprintf(w, "%-30s %-14s %-7s %s\n", r.ID, r.Workflow, yesNo(r.Paused), next)
	}
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func scheduleDescribeCommand(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "describe <scheduleId>",
		Short: "Show a schedule's spec, state, recent and next runs",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			tc, err := a.client(cmd.Context())
			if err != nil {
				return err
			}
			d, err := tc.ScheduleClient().GetHandle(cmd.Context(), args[0]).Describe(cmd.Context())
			if err != nil {
				return fmt.Errorf("schedule %s: %w", args[0], err)
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), scheduleView(args[0], d))
			}
			printSchedule(cmd.OutOrStdout(), args[0], d)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the schedule as JSON")
	return cmd
}

// scheduleJSON is `schedule describe --json`.
type scheduleJSON struct {
	ID             string      `json:"id"`
	Cron           []string    `json:"cron"`
	TimeZone       string      `json:"timeZone"`
	Paused         bool        `json:"paused"`
	Note           string      `json:"note,omitempty"`
	Overlap        string      `json:"overlap,omitempty"`
	CatchupWindow  string      `json:"catchupWindow,omitempty"`
	Runs           int         `json:"runs"`
	SkippedOverlap int         `json:"skippedOverlap"`
	Recent         []recentRun `json:"recent"`
	Next           []time.Time `json:"next"`
}

type recentRun struct {
	ScheduledAt time.Time `json:"scheduledAt"`
	WorkflowID  string    `json:"workflowId,omitempty"`
}

func scheduleView(id string, d *client.ScheduleDescription) scheduleJSON {
	s := d.Schedule
	v := scheduleJSON{ID: id, Cron: specCrons(s.Spec), TimeZone: s.Spec.TimeZoneName, Paused: s.State.Paused,
		Note: s.State.Note, Runs: d.Info.NumActions, SkippedOverlap: d.Info.NumActionsSkippedOverlap,
		Recent: []recentRun{}, Next: []time.Time{}}
	if s.Policy != nil {
		v.Overlap, v.CatchupWindow = s.Policy.Overlap.String(), roughly(s.Policy.CatchupWindow)
	}
	for _, r := range d.Info.RecentActions {
		rr := recentRun{ScheduledAt: r.ScheduleTime.UTC()}
		if r.StartWorkflowResult != nil {
			rr.WorkflowID = r.StartWorkflowResult.WorkflowID
		}
		v.Recent = append(v.Recent, rr)
	}
	for _, t := range d.Info.NextActionTimes {
		v.Next = append(v.Next, t.UTC())
	}
	return v
}

func printSchedule(w io.Writer, id string, d *client.ScheduleDescription) {
	v := scheduleView(id, d)
	fmt.Fprintf(w, "schedule   %s\ncron       %s\ntime zone  %s\npaused     %s\n",
		v.ID, strings.Join(v.Cron, "; "), v.TimeZone, yesNo(v.Paused))
	if v.Note != "" {
		fmt.Fprintf(w, "note       %s\n", v.Note)
	}
	if v.Overlap != "" {
		fmt.Fprintf(w, "overlap    %s\ncatch-up   %s\n", strings.ToLower(v.Overlap), v.CatchupWindow)
	}
	fmt.Fprintf(w, "runs       %d started, %d skipped for overlap\n", v.Runs, v.SkippedOverlap)
	for _, r := range v.Recent {
		wf := cmp.Or(r.WorkflowID, "-")
		fmt.Fprintf(w, "recent     %s  %s\n", r.ScheduledAt.Format(time.RFC3339), wf)
	}
	for _, t := range v.Next {
		fmt.Fprintf(w, "next       %s\n", t.Format(time.RFC3339))
	}
}

func scheduleHandleCommand(a *app, verb, short string, do func(client.ScheduleHandle, *cobra.Command) error) *cobra.Command {
	return &cobra.Command{
		Use:   verb + " <scheduleId>",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			tc, err := a.client(cmd.Context())
			if err != nil {
				return err
			}
			if err := do(tc.ScheduleClient().GetHandle(cmd.Context(), args[0]), cmd); err != nil {
				return fmt.Errorf("%s schedule %s: %w", verb, args[0], err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: schedule %s\n", verb, args[0])
			return nil
		},
	}
}

func scheduleBackfillCommand(a *app) *cobra.Command {
	var start, end string
	cmd := &cobra.Command{
		Use:   "backfill <scheduleId> --start RFC3339 --end RFC3339",
		Short: "Run the schedule's times in a past range; times already sent send nothing",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			from, err1 := time.Parse(time.RFC3339, start)
			to, err2 := time.Parse(time.RFC3339, end)
			if err1 != nil || err2 != nil || !to.After(from) {
				return fmt.Errorf("--start and --end must be RFC3339 times, start before end")
			}
			tc, err := a.client(cmd.Context())
			if err != nil {
				return err
			}
			err = tc.ScheduleClient().GetHandle(cmd.Context(), args[0]).Backfill(cmd.Context(), client.ScheduleBackfillOptions{
				Backfill: []client.ScheduleBackfill{{Start: from, End: to, Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_BUFFER_ALL}},
			})
			if err != nil {
				return fmt.Errorf("backfill schedule %s: %w", args[0], err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "backfill: schedule %s from %s to %s\n", args[0], start, end)
			return nil
		},
	}
	cmd.Flags().StringVar(&start, "start", "", "first scheduled time to run (RFC3339)")
	cmd.Flags().StringVar(&end, "end", "", "end of the range (RFC3339)")
	_ = cmd.MarkFlagRequired("start")
	_ = cmd.MarkFlagRequired("end")
	return cmd
}
