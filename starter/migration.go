package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"

	"github.com/imshift/imshift/workflows/migration"
)

// newMigrationCmd groups the TrafficMigration verbs. Each is a plain signal
// or query; docs/migration.md gives the `temporal workflow` equivalents.
func newMigrationCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "migration",
		Short: "Start and steer traffic migrations to OpenIM (workflow TrafficMigration)",
	}
	cmd.AddCommand(
		migrationStartCmd(a),
		migrationPlanCmd(),
		migrationStatusCmd(a),
		migrationSignalCmd(a, migration.SignalPause, "Hold the migration where it is; routing stays", "reason"),
		migrationSignalCmd(a, migration.SignalResume, "Continue a paused migration", ""),
		migrationPromoteCmd(a),
		migrationSignalCmd(a, migration.SignalAbort, "Take everyone back to Socket.IO and end the migration", "reason"),
		migrationSignalCmd(a, migration.SignalRetry, "Re-attempt the failed step after an automatic rollback", ""),
		migrationWatchCmd(a),
	)
	return cmd
}

func migrationStartCmd(a *app) *cobra.Command {
	var file string
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "start -f plan.json",
		Short: "Validate a plan and start it (workflow id migration-<migrationId>)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := readInput[migration.Plan](file, "migration plan")
			if err != nil {
				return err
			}
			p.DryRun = p.DryRun || dryRun
			if err := migration.Validate(p); err != nil {
				return fmt.Errorf("invalid plan: %w", err)
			}
			tc, err := a.client(cmd.Context())
			if err != nil {
				return err
			}
			opts := migration.StartOptions(p.MigrationID, a.taskQueue)
			opts.StaticSummary = migration.Summary(p) // the Temporal UI's list and page show it
			run, err := tc.ExecuteWorkflow(cmd.Context(), opts, migration.WorkflowName, p)
			var started *serviceerror.WorkflowExecutionAlreadyStarted
			if errors.As(err, &started) {
				return fmt.Errorf("migration %s is already running", p.MigrationID)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "started migration %s: workflow %s run %s\nwatch it: starter migration watch %s\n",
				p.MigrationID, run.GetID(), run.GetRunID(), p.MigrationID)
			return nil
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "plan JSON file (- for stdin)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "only compute and report the cohort sizes")
	_ = cmd.MarkFlagRequired("file")
	return cmd
}

func migrationStatusCmd(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status <migrationId>",
		Short: "Show a migration's state (query status)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, closed, err := a.migrationStatus(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(st)
			}
			printStatus(cmd.OutOrStdout(), st, closed)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the status query's JSON")
	return cmd
}

// migrationSignalCmd is a verb that is one signal; reasonFlag names its
// --reason flag, if it has one.
func migrationSignalCmd(a *app, signal, short, reasonFlag string) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   signal + " <migrationId>",
		Short: short + " (signal " + signal + ")",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var payload any
			switch signal {
			case migration.SignalPause:
				payload = migration.PauseSignal{Reason: reason}
			case migration.SignalAbort:
				payload = migration.AbortSignal{Reason: reason}
			}
			return a.signalMigration(cmd, args[0], signal, payload)
		},
	}
	if reasonFlag != "" {
		cmd.Flags().StringVar(&reason, reasonFlag, "", "why, kept in the status (optional)")
	}
	return cmd
}

func migrationPromoteCmd(a *app) *cobra.Command {
	var full bool
	cmd := &cobra.Command{
		Use:   "promote <migrationId> [--full]",
		Short: "Skip the current bake or approval; --full jumps to the last step (signal promote)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.signalMigration(cmd, args[0], migration.SignalPromote, migration.PromoteSignal{Full: full})
		},
	}
	cmd.Flags().BoolVar(&full, "full", false, "go straight to the last step (100 %)")
	return cmd
}

// signalMigration sends the signal, then watches the status briefly to say
// whether the workflow applied it or rejected it (a signal cannot answer).
func (a *app) signalMigration(cmd *cobra.Command, migrationID, signal string, payload any) error {
	ctx := cmd.Context()
	before, closed, err := a.migrationStatus(ctx, migrationID)
	if err != nil {
		return err
	}
	if closed || before.State.Terminal() { // a run in a final state is only releasing its ownership
		return fmt.Errorf("migration %s has ended (%s); nothing to %s", migrationID, before.State, signal)
	}
	tc, err := a.client(ctx)
	if err != nil {
		return err
	}
	if err := tc.SignalWorkflow(ctx, migration.WorkflowID(migrationID), "", signal, payload); err != nil {
		return fmt.Errorf("signal %s to migration %s: %w", signal, migrationID, err)
	}
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "sent %s to migration %s\n", signal, migrationID)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		after, _, err := a.migrationStatus(ctx, migrationID)
		if err != nil {
			return err
		}
		// Another signal's rejection (one sent just before, with the
		// temporal CLI) is not this one's answer.
		if r, ok := lastRejectedSince(after, before); ok && r.Name == signal {
			return fmt.Errorf("%s rejected in state %s: %s", r.Name, r.State, r.Reason)
		}
		if len(after.Events) > 0 && !sameLastEvent(after, before) {
			e := after.Events[len(after.Events)-1]
			fmt.Fprintf(out, "now %s, step %d at %v%%: %s\n", e.State, e.Step+1, e.Percent, e.Note)
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	fmt.Fprintln(out, "the workflow has not acted on it yet (is a worker running, or a routing flip in flight?)")
	return nil
}

// lastRejectedSince is the last rejected signal in after, when it is not in
// before.
func lastRejectedSince(after, before migration.Status) (migration.RejectedSignal, bool) {
	n, m := len(after.RejectedSignals), len(before.RejectedSignals)
	if n == 0 {
		return migration.RejectedSignal{}, false
	}
	last := after.RejectedSignals[n-1]
	return last, n > m || m > 0 && !last.At.Equal(before.RejectedSignals[m-1].At)
}

func sameLastEvent(after, before migration.Status) bool {
	if len(before.Events) == 0 {
		return false
	}
	a, b := after.Events[len(after.Events)-1], before.Events[len(before.Events)-1]
	return a.At.Equal(b.At) && a.State == b.State && a.Note == b.Note
}

// migrationStatus returns the status and whether the workflow has closed: a
// running one is queried, a completed one's result is its final status.
func (a *app) migrationStatus(ctx context.Context, migrationID string) (migration.Status, bool, error) {
	tc, err := a.client(ctx)
	if err != nil {
		return migration.Status{}, false, err
	}
	st, status, err := current[migration.Status](ctx, tc, migration.WorkflowID(migrationID), migration.QueryStatus)
	switch status {
	case enumspb.WORKFLOW_EXECUTION_STATUS_UNSPECIFIED, enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
		if err != nil {
			return st, false, fmt.Errorf("migration %s: %w", migrationID, err)
		}
		return st, false, nil
	case enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED:
		return st, true, err
	default:
		return st, true, fmt.Errorf("migration %s %s: %v", migrationID, statusName(status), err)
	}
}

func printStatus(w io.Writer, st migration.Status, closed bool) {
	fmt.Fprintf(w, "migration     %s\nstate         %s\n", st.MigrationID, st.State)
	fmt.Fprintf(w, "step          %d of %d (target %v%%)\npercent       %v%% (routing revision %d)\nmigrated      %d users\n",
		st.Step+1, st.Steps, st.TargetPercent, st.Percent, st.Routing.Revision, st.MigratedUsers)
	p := st.Provisioning
	fmt.Fprintf(w, "provisioned   %d registered, %d already there, %d errors, %d FCM tokens copied, %d APNs devices OpenIM cannot push\n",
		p.Registered, p.AlreadyExisted, p.Errors, p.FCMTokensCopied, p.DevicesOpenIMCannotPush)
	if st.Pause != nil {
		fmt.Fprintf(w, "paused        since %s: %s\n", st.Pause.At.Format(time.RFC3339), st.Pause.Reason)
	}
	if st.FailureReason != "" {
		fmt.Fprintf(w, "failure       %s\n", st.FailureReason)
	}
	if st.AbortReason != "" {
		fmt.Fprintf(w, "abort reason  %s\n", st.AbortReason)
	}
	for _, d := range st.Decommission {
		fmt.Fprintf(w, "decommission  %-22s %s\n", d.Name, d.State)
	}
	if r := st.DryRunReport; r != nil {
		fmt.Fprintf(w, "dry run       %d directory users, %d ids mapped, %d invalid\n", r.DirectoryUsers, r.MappedIDs, r.InvalidIDs)
		for _, s := range r.Steps {
			fmt.Fprintf(w, "              %6v%%  %d users (+%d)\n", s.Percent, s.Users, s.NewUsers)
		}
	}
	if n := len(st.Analyses); n > 0 {
		an := st.Analyses[n-1]
		fmt.Fprintf(w, "last analysis %s %s: sampled %d, openim online %d, legacy online %d\n",
			an.At.Format(time.RFC3339), an.Result, an.Sampled, an.OpenIMOnline, an.LegacyOnline)
	}
	if n := len(st.RejectedSignals); n > 0 {
		r := st.RejectedSignals[n-1]
		fmt.Fprintf(w, "rejected      %d (last: %s in %s: %s)\n", n, r.Name, r.State, r.Reason)
	}
	if !closed && st.NextAction != "" {
		when := ""
		if st.NextActionAt != nil {
			when = " " + until(*st.NextActionAt, time.Now())
		}
		fmt.Fprintf(w, "next          %s%s\n", st.NextAction, when)
	}
}
