// Command worker is the process operators deploy: it polls imshift's task
// queue with every workflow and activity, serves the device and push HTTP
// API, and serves /healthz and /metrics. `worker setup` applies the database
// migrations and registers the search attributes; it is safe to repeat.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func main() {
	root := &cobra.Command{
		Use:           "worker",
		Short:         "Run the imshift Temporal worker, HTTP API, /healthz and /metrics",
		Long:          "Run the imshift Temporal worker. Settings come from TEMPORAL_* and IMSHIFT_* environment variables (see README).",
		RunE:          func(cmd *cobra.Command, _ []string) error { return run(cmd.Context()) },
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(setupCommand())
	if err := root.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(1)
	}
}
