package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"

	"github.com/imshift/imshift/workflows/campaign"
)

// campaignCommand groups the PushCampaign verbs. Each has a plain
// `temporal workflow` equivalent (docs/campaigns.md).
func campaignCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "campaign",
		Short: "Start and steer push campaigns (workflow PushCampaign)",
	}
	cmd.AddCommand(
		campaignStartCommand(a),
		campaignStatusCommand(a),
		campaignSignalCommand(a, campaign.SignalPause, "Pause sending; in-flight provider calls finish"),
		campaignSignalCommand(a, campaign.SignalResume, "Resume a paused campaign"),
		campaignCancelCommand(a),
		campaignWatchCommand(a),
	)
	return cmd
}

func campaignStartCommand(a *app) *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "start -f campaign.json",
		Short: "Validate a campaign and start it (workflow id campaign-<campaignId>)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := readInput[campaign.Campaign](file, "campaign")
			if err != nil {
				return err
			}
			if err := campaign.ValidateCampaign(c); err != nil {
				return fmt.Errorf("invalid campaign: %w", err)
			}
			tc, err := a.client(cmd.Context())
			if err != nil {
				return err
			}
			opts := campaign.StartCampaignOptions(c.CampaignID, a.taskQueue)
			opts.StaticSummary = campaign.Summary(c) // the Temporal UI's list and page show it
			run, err := tc.ExecuteWorkflow(cmd.Context(), opts, campaign.PushCampaignName, c)
			var started *serviceerror.WorkflowExecutionAlreadyStarted
			if errors.As(err, &started) {
				return fmt.Errorf("campaign %s is already running", c.CampaignID)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "started campaign %s: workflow %s run %s\nwatch it: starter campaign watch %s\n",
				c.CampaignID, run.GetID(), run.GetRunID(), c.CampaignID)
			return nil
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "campaign JSON file (- for stdin)")
	_ = cmd.MarkFlagRequired("file")
	return cmd
}

func campaignStatusCommand(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status <campaignId>",
		Short: "Show a campaign's progress (query progress)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, _, err := a.campaignProgress(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), p)
			}
			printProgress(cmd.OutOrStdout(), p)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the progress query's JSON")
	return cmd
}

func campaignSignalCommand(a *app, signal, short string) *cobra.Command {
	return &cobra.Command{
		Use:   signal + " <campaignId>",
		Short: short + " (signal " + signal + ")",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.signalCampaign(cmd, args[0], signal, nil)
		},
	}
}

func campaignCancelCommand(a *app) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "cancel <campaignId> --reason text",
		Short: "Stop a campaign for good (signal cancel); what was sent stays recorded",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.signalCampaign(cmd, args[0], campaign.SignalCancel, campaign.CancelRequest{Reason: reason})
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why, shown in progress")
	_ = cmd.MarkFlagRequired("reason")
	return cmd
}

func (a *app) signalCampaign(cmd *cobra.Command, campaignID, signal string, arg any) error {
	tc, err := a.client(cmd.Context())
	if err != nil {
		return err
	}
	if err := tc.SignalWorkflow(cmd.Context(), campaign.CampaignWorkflowID(campaignID), "", signal, arg); err != nil {
		return fmt.Errorf("signal %s to campaign %s: %w", signal, campaignID, err)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "sent %s to campaign %s\n", signal, campaignID)
	return nil
}

func campaignWatchCommand(a *app) *cobra.Command {
	var every time.Duration
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "watch <campaignId>",
		Short: "Show the progress until the campaign ends: a live bar on a terminal, else a line per change",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s := newScreen(cmd.OutOrStdout(), asJSON)
			err := follow(cmd.Context(), every, s.say, func(ctx context.Context) (bool, error) {
				p, closed, err := a.campaignProgress(ctx, args[0])
				if err != nil {
					return false, err
				}
				if asJSON { // one progress object per line (JSON Lines)
					return closed, json.NewEncoder(s.out).Encode(p)
				}
				s.update(progressLine(p))
				if closed && p.Reason != "" {
					s.keep()
					s.say(p.Reason)
				}
				return closed, nil
			})
			s.keep()
			return err
		},
	}
	cmd.Flags().DurationVar(&every, "every", time.Second, "refresh interval")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print each refresh as one line of the progress query's JSON")
	return cmd
}

// campaignProgress returns the campaign's progress and whether its workflow
// has closed. A closed campaign's progress is its result (or a failure's
// details), so watching needs no worker once it is over.
func (a *app) campaignProgress(ctx context.Context, campaignID string) (campaign.Progress, bool, error) {
	tc, err := a.client(ctx)
	if err != nil {
		return campaign.Progress{}, false, err
	}
	p, status, err := current[campaign.Progress](ctx, tc, campaign.CampaignWorkflowID(campaignID), campaign.QueryProgress)
	switch {
	case status == enumspb.WORKFLOW_EXECUTION_STATUS_UNSPECIFIED || status == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
		if err != nil {
			return p, false, fmt.Errorf("campaign %s: %w", campaignID, err)
		}
		return p, false, nil
	case err == nil:
		return p, true, nil
	}
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.HasDetails() && appErr.Details(&p) == nil {
		return p, true, nil
	}
	p.CampaignID, p.State, p.Reason = campaignID, statusName(status), err.Error()
	return p, true, nil
}

// progressLine is one line: a bar of settled devices and the figures. A
// campaign still counting its audience has no share to show yet.
func progressLine(p campaign.Progress) string {
	if p.State == campaign.CampaignPreparing {
		return "preparing: counting the audience"
	}
	const width = 30
	done := p.Targeted - p.Remaining
	frac := 1.0
	if p.Targeted > 0 {
		frac = float64(done) / float64(p.Targeted)
	}
	n := int(frac * width)
	bar := strings.Repeat("#", n) + strings.Repeat("-", width-n)
	line := fmt.Sprintf("[%s] %3.0f%% %s  sent %d  pruned %d  failed %d  deferred %d  remaining %d  %.0f/s",
		bar, frac*100, p.State, p.Sent, p.Pruned, p.FailedTotal, p.Deferred, p.Remaining, p.Rate)
	if p.ETA != "" {
		line += "  eta " + roughlyText(p.ETA)
	}
	return line
}

func printProgress(w io.Writer, p campaign.Progress) {
	fmt.Fprintf(w, "campaign   %s\nstate      %s\n", p.CampaignID, p.State)
	if p.Reason != "" {
		fmt.Fprintf(w, "reason     %s\n", p.Reason)
	}
	fmt.Fprintf(w, "targeted   %s\nsent       %d\npruned     %d\nfailed     %s\ndeferred   %d\nremaining  %d\nrate       %.0f/s\n",
		withBreakdown(p.Targeted, p.Audience), p.Sent, p.Pruned, withBreakdown(p.FailedTotal, p.Failed), p.Deferred, p.Remaining, p.Rate)
	if p.ETA != "" {
		fmt.Fprintf(w, "eta        %s\n", roughlyText(p.ETA))
	}
	if !p.StartedAt.IsZero() {
		fmt.Fprintf(w, "started    %s\n", p.StartedAt.UTC().Format(time.RFC3339))
	}
	if p.RefreshedAt != nil {
		fmt.Fprintf(w, "figures    from the ledger at %s\n", p.RefreshedAt.UTC().Format(time.TimeOnly+" UTC"))
	}
	for _, pr := range p.Problems {
		fmt.Fprintf(w, "problem    %s %s (%s)\n", pr.Provider, pr.Reason, pr.Class)
	}
}
