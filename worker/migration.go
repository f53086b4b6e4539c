package main

import (
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	migact "github.com/imshift/imshift/activities/migration"
	"github.com/imshift/imshift/workflows/migration"
)

// registerMigration puts the TrafficMigration workflow and its activities
// on the worker. The user directory name was checked when the settings were
// loaded, so New cannot refuse it here.
func registerMigration(r worker.Registry, d *deps) {
	r.RegisterWorkflowWithOptions(migration.TrafficMigration, workflow.RegisterOptions{Name: migration.WorkflowName})
	acts, err := migact.New(migact.Config{
		DB:        d.db,
		Redis:     d.redis,
		OpenIM:    d.openim,
		Directory: d.settings.UserDirectory,
	})
	if err != nil {
		panic(err)
	}
	acts.Register(r)
}
