package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/imshift/imshift/testbed/bench/procstat"
	"log/slog"
	"os"
	"runtime"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"github.com/imshift/imshift/activities/migration"
	"github.com/imshift/imshift/activities/openim"
	"github.com/imshift/imshift/testbed/simulator/openimsim"
)

const migrationID = "bench-provision"

const progressEvery = 5 * time.Second

// maxAttempts bounds the resumed attempts of the activity.
const maxAttempts = 20

func bench(ctx context.Context, f flags) error {
	if f.users <= 0 || f.fcmShare < 0 || f.fcmShare > 1 {
		return errors.New("-users must be > 0 and -fcm-share within 0..1")
	}
	base, simPID := f.openimURL, ""
	if base == "" {
		c, err := startChild(f.openimLatency)
		if err != nil {
			return err
		}
		defer c.stop()
		base, simPID = c.url, fmt.Sprint(c.cmd.Process.Pid)
	}
	pool, drop, err := createDatabase(ctx, f.adminDB, f.keep)
	if err != nil {
		return err
	}
	defer drop()
	start := time.Now()
	devices, err := seed(ctx, pool, f.users, f.fcmShare)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	fmt.Printf("seeded %d directory users and %d FCM devices with COPY in %v\n", f.users, devices, time.Since(start).Round(time.Millisecond))

	acts, err := migration.New(migration.Config{
		DB:        pool,
		OpenIM:    openim.New(openim.Config{BaseURL: base, AdminUserID: openimsim.DefaultAdminUserID, Secret: openimsim.DefaultSecret}),
		Directory: "imshift.demo_users",
	})
	if err != nil {
		return err
	}
	if err := resetPeakRSS(); err != nil {
		return fmt.Errorf("reset peak RSS: %w", err)
	}
	start = time.Now()
	pctx, stopProgress := context.WithCancel(ctx)
	go progress(pctx, base, start)
	res, attempts, err := provision(acts)
	elapsed := time.Since(start)
	stopProgress()
	if err != nil {
		return err
	}
	return report(ctx, f, base, simPID, res, attempts, elapsed)
}

// provision runs ProvisionStep over the whole directory, resuming from the
// last heartbeat whenever an attempt ends early.
func provision(acts *migration.Activities) (migration.ProvisionResult, int, error) {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	in := migration.ProvisionInput{Cohort: migration.Cohort{MigrationID: migrationID, ToThreshold: 10000}, Step: 1}
	var (
		mu   sync.Mutex
		last *migration.ProvisionProgress
	)
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		env := suite.NewTestActivityEnvironment()
		env.SetOnActivityHeartbeatListener(func(_ *activity.Info, d converter.EncodedValues) {
			var p migration.ProvisionProgress
			if d.Get(&p) == nil {
				mu.Lock()
				last = &p
				mu.Unlock()
			}
		})
		mu.Lock()
		if last != nil {
			env.SetHeartbeatDetails(*last)
		}
		mu.Unlock()
		env.RegisterActivityWithOptions(acts.ProvisionStep, activity.RegisterOptions{Name: migration.ProvisionStepName})
		val, err := env.ExecuteActivity(migration.ProvisionStepName, in)
		if err != nil {
			fmt.Printf("attempt %d ended: %v; resuming from its last heartbeat\n", attempt, err)
			continue
		}
		var res migration.ProvisionResult
		return res, attempt, val.Get(&res)
	}
	return migration.ProvisionResult{}, maxAttempts, fmt.Errorf("provisioning did not finish in %d attempts", maxAttempts)
}

// progress prints the simulator's user count every few seconds, so a rate
// that changes during the run (a query plan going bad as a table grows)
// shows.
func progress(ctx context.Context, base string, start time.Time) {
	t := time.NewTicker(progressEvery)
	defer t.Stop()
	last := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		c, err := simCounters(ctx, base)
		if err != nil {
			continue
		}
		fmt.Printf("  %6.1fs  %8d users  %7.0f users/s over the last %v\n", time.Since(start).Seconds(),
			c.Users, float64(c.Users-last)/progressEvery.Seconds(), progressEvery)
		last = c.Users
	}
}

func report(ctx context.Context, f flags, base, simPID string, res migration.ProvisionResult, attempts int, elapsed time.Duration) error {
	hwm, err := procstat.PeakRSS("self")
	if err != nil {
		return err
	}
	t := res.Totals
	done := t.Registered + t.AlreadyExisted
	fmt.Printf("provisioned %d users in %v (%d attempt(s)): %.0f users/s\n",
		done, elapsed.Round(time.Millisecond), attempts, float64(done)/elapsed.Seconds())
	fmt.Printf("  registered %d, already existed %d, errors %d, FCM tokens copied %d\n",
		t.Registered, t.AlreadyExisted, t.Errors, t.FCMTokensCopied)
	fmt.Printf("  provisioning process peak RSS (VmHWM): %s   (GOMAXPROCS %d, %d CPUs)\n", procstat.MiB(hwm), runtime.GOMAXPROCS(0), runtime.NumCPU())
	if simPID != "" {
		if simHWM, err := procstat.PeakRSS(simPID); err == nil {
			fmt.Printf("  OpenIM simulator process peak RSS: %s\n", procstat.MiB(simHWM))
		}
	}
	c, err := simCounters(ctx, base)
	if err != nil {
		return err
	}
	fmt.Printf("  simulator: %d users, at most %d user_register request(s) per user, %d user_register and %d account_check calls\n",
		c.Users, c.MaxRegisterRequests, c.Requests["/user/user_register"], c.Requests["/user/account_check"])
	if done != int64(f.users) || t.Errors != 0 || (f.openimURL == "" && (c.Users != f.users || c.MaxRegisterRequests != 1)) {
		return errors.New("provisioning is incomplete or registered a user more than once")
	}
	return nil
}
