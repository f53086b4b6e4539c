package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"

	"github.com/imshift/imshift/internal/config"
	"github.com/imshift/imshift/internal/db"
	"github.com/imshift/imshift/internal/temporalclient"
	"github.com/imshift/imshift/workflows"
)

func setupCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "setup",
		Short: "Apply database migrations, register search attributes and create the upkeep schedules (idempotent)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			return setup(cmd.Context())
		},
	}
}

func setup(ctx context.Context) error {
	dbURL, err := config.LoadDatabaseURL(nil)
	if err != nil {
		return err
	}
	pool, err := db.Open(ctx, dbURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	applied, err := db.Migrate(ctx, pool)
	if err != nil {
		return err
	}
	fmt.Printf("migrations: %d applied\n", len(applied))
	namespace := client.DefaultNamespace
	c, err := temporalclient.Dial(ctx, func(o *client.Options) {
		if o.Namespace != "" {
			namespace = o.Namespace
		}
	})
	if err != nil {
		return err
	}
	defer c.Close()
	if err := workflows.RegisterSearchAttributes(ctx, c, namespace); err != nil {
		return err
	}
	fmt.Println("search attributes: registered")
	return ensureSchedules(ctx, c, config.TaskQueue(nil))
}
