package main

import (
	"net/http"

	"github.com/imshift/imshift/internal/registry"
	"github.com/imshift/imshift/worker/api"
)

// apiHandler serves the device registry and transactional push API on
// IMSHIFT_HTTP_ADDR (docs/push-api.md).
func apiHandler(d *deps) http.Handler {
	return api.New(api.Options{
		Tokens:    d.settings.APITokens,
		DB:        d.db,
		Devices:   registry.New(d.db),
		Temporal:  d.temporal,
		TaskQueue: d.settings.TaskQueue,
		Logger:    d.logger,
	})
}
