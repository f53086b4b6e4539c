package main

import (
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

func scheduleListCommand(a *app) *cobra.Command {
	return &cobra.Command{
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
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "%-30s %-14s %-7s %s\n", "ID", "WORKFLOW", "PAUSED", "NEXT RUN")
			for it.HasNext() {
				e, err := it.Next()
				if err != nil {
					return err
				}
				next := "-"
				if len(e.NextActionTimes) > 0 {
					next = e.NextActionTimes[0].UTC().Format(time.RFC3339)
				}
				fmt.Fprintf(out, "%-30s %-14s %-7v %s\n", e.ID, e.WorkflowType.Name, e.Paused, next)
			}
			return nil
		},
	}
}

func scheduleDescribeCommand(a *app) *cobra.Command {
	return &cobra.Command{
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
			printSchedule(cmd.OutOrStdout(), args[0], d)
			return nil
		},
	}
}

func printSchedule(w io.Writer, id string, d *client.ScheduleDescription) {
	s := d.Schedule
	fmt.Fprintf(w, "schedule   %s\ncron       %s\ntime zone  %s\npaused     %v\n",
		id, strings.Join(specCrons(s.Spec), "; "), s.Spec.TimeZoneName, s.State.Paused)
	if s.State.Note != "" {
		fmt.Fprintf(w, "note       %s\n", s.State.Note)
	}
	if s.Policy != nil {
		fmt.Fprintf(w, "overlap    %s\ncatch-up   %s\n", s.Policy.Overlap, s.Policy.CatchupWindow)
	}
	fmt.Fprintf(w, "runs       %d started, %d skipped for overlap\n", d.Info.NumActions, d.Info.NumActionsSkippedOverlap)
	for _, r := range d.Info.RecentActions {
		wf := "-"
		if r.StartWorkflowResult != nil {
			wf = r.StartWorkflowResult.WorkflowID
		}
		fmt.Fprintf(w, "recent     %s  %s\n", r.ScheduleTime.UTC().Format(time.RFC3339), wf)
	}
	for _, t := range d.Info.NextActionTimes {
		fmt.Fprintf(w, "next       %s\n", t.UTC().Format(time.RFC3339))
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
