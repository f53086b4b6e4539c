package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	migact "github.com/imshift/imshift/activities/migration"
	"github.com/imshift/imshift/internal/config"
	"github.com/imshift/imshift/internal/db"
	"github.com/imshift/imshift/workflows/migration"
)

// benchmarkRate is the provisioning rate `make bench-provision` measured
// with 30 % of users holding an FCM token (testbed/bench/provision/README.md),
// for a forecast when no migration has provisioned anyone yet.
const benchmarkRate = 7967

func migrationPlanCmd() *cobra.Command {
	var file string
	var asJSON bool
	var rate float64
	cmd := &cobra.Command{
		Use:   "plan -f plan.json",
		Short: "Forecast a plan without starting it: per step users, FCM tokens, APNs-only devices, times",
		Long: `Reads the user directory and the device registry (IMSHIFT_DATABASE_URL, IMSHIFT_USER_DIRECTORY)
and changes nothing: no Temporal, no OpenIM. Provisioning times use the rate the most recent migration
measured (imshift.migration_users), or the provisioning benchmark's when none has run; --rate overrides.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := readInput[migration.Plan](file, "migration plan")
			if err != nil {
				return err
			}
			if err := migration.Validate(p); err != nil {
				return fmt.Errorf("invalid plan: %w", err)
			}
			f, err := forecast(cmd.Context(), p, rate)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), f)
			}
			printForecast(cmd.OutOrStdout(), f)
			return nil
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "plan JSON file (- for stdin)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the forecast as JSON")
	cmd.Flags().Float64Var(&rate, "rate", 0, "provisioning rate in users/s to assume (default: measured)")
	_ = cmd.MarkFlagRequired("file")
	return cmd
}

// forecast counts the plan's cohorts and devices read-only and prices them.
func forecast(ctx context.Context, p migration.Plan, rate float64) (migration.Forecast, error) {
	url, err := config.LoadDatabaseURL(nil)
	if err != nil {
		return migration.Forecast{}, err
	}
	pool, err := db.Open(ctx, url)
	if err != nil {
		return migration.Forecast{}, err
	}
	defer pool.Close()
	dir := os.Getenv("IMSHIFT_USER_DIRECTORY")
	if dir == "" {
		dir = "imshift.demo_users"
	}
	acts, err := migact.New(migact.Config{DB: pool, Directory: dir})
	if err != nil {
		return migration.Forecast{}, err
	}
	source := "--rate"
	if rate <= 0 {
		m, found, err := acts.ProvisionRate(ctx)
		if err != nil {
			return migration.Forecast{}, err
		}
		rate, source = benchmarkRate, "the provisioning benchmark (no migration has provisioned users here yet)"
		if found {
			rate, source = m.UsersPerSecond, fmt.Sprintf("measured in migration %s (%d users in %s of provisioning)",
				m.MigrationID, m.Users, roughly(time.Duration(m.Seconds*float64(time.Second))))
		}
	}
	res, err := acts.Forecast(ctx, migration.ForecastInput(p))
	if err != nil {
		return migration.Forecast{}, err
	}
	return migration.NewForecast(p, res, rate, source), nil
}

func printForecast(w io.Writer, f migration.Forecast) {
	fmt.Fprintf(w, "migration %s: %d directory users (%d ids mapped, %d cannot be migrated), allow list %d found, deny list %d found\n",
		f.MigrationID, f.DirectoryUsers, f.MappedIDs, f.InvalidIDs, f.AllowFound, f.DenyFound)
	fmt.Fprintf(w, "provisioning at %.0f users/s, %s\n\n", f.Rate, f.RateSource)
	fmt.Fprintf(w, "%-5s %7s %10s %10s %10s %12s %10s %12s  %s\n",
		"step", "percent", "on OpenIM", "new users", "FCM tokens", "APNs devices", "APNs-only", "provisioning", "then")
	for _, s := range f.Steps {
		fmt.Fprintf(w, "%-5d %6v%% %10d %10d %10d %12d %10d %12s  %s\n", s.Step, s.Percent, s.Users, s.NewUsers,
			s.FCMTokens, s.APNsDevices, s.APNsOnlyUsers, seconds(s.ProvisioningSeconds), stepWait(s))
	}
	total := "shortest total " + seconds(f.ShortestSeconds) + " (provisioning and bakes)"
	if f.Approvals > 0 {
		total += fmt.Sprintf(" + %d approval(s) by a person", f.Approvals)
	}
	fmt.Fprintf(w, "\n%s\n", total)
	for _, warning := range f.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warning)
	}
}

// stepWait is what follows a step's flip: its bake with its analyses, and
// the approval.
func stepWait(s migration.ForecastStep) string {
	out := "no bake"
	if s.BakeSeconds > 0 {
		out = fmt.Sprintf("bake %s (%d analyses)", seconds(s.BakeSeconds), s.Analyses)
	}
	if s.Approval {
		out += ", then approval"
	}
	return out
}

func seconds(s float64) string { return roughly(time.Duration(s * float64(time.Second))) }
