// Command starter is the operator CLI: it starts migrations and campaigns
// from JSON files, signals and queries them, manages schedules and imports
// devices. It talks to Temporal with the same TEMPORAL_* settings as the
// worker; every verb also has a plain `temporal` CLI equivalent (README).
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"

	"github.com/imshift/imshift/internal/config"
	"github.com/imshift/imshift/internal/temporalclient"
)

// app is what every command shares: the task queue and a Temporal client
// dialed on first use, so `--help` and input validation need no server.
type app struct {
	taskQueue string
	c         client.Client
}

func (a *app) client(ctx context.Context) (client.Client, error) {
	if a.c != nil {
		return a.c, nil
	}
	c, err := temporalclient.Dial(ctx, nil)
	if err != nil {
		return nil, err
	}
	a.c = c
	return c, nil
}

func (a *app) close() {
	if a.c != nil {
		a.c.Close()
	}
}

func main() {
	a := &app{taskQueue: config.TaskQueue(nil)}
	root := &cobra.Command{
		Use:           "starter",
		Short:         "Operate imshift: migrations, campaigns, schedules and devices",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&a.taskQueue, "task-queue", a.taskQueue, "task queue of the imshift worker (IMSHIFT_TASK_QUEUE)")
	root.AddCommand(devicesCommand(a))
	root.AddCommand(campaignCommand(a))
	root.AddCommand(scheduleCommand(a))
	root.AddCommand(newMigrationCmd(a))
	err := root.Execute()
	a.close()
	if err != nil {
		fmt.Fprintln(os.Stderr, "starter:", err)
		os.Exit(1)
	}
}
