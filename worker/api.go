package main

import (
	"net/http"

	"github.com/imshift/imshift/activities/presence"
	"github.com/imshift/imshift/internal/registry"
	"github.com/imshift/imshift/worker/api"
	"github.com/imshift/imshift/workflows/sendpush"
)

// apiHandler serves the device registry, transactional push and presence
// API, and OpenIM's presence webhooks, on IMSHIFT_HTTP_ADDR
// (docs/push-api.md, docs/presence.md).
func apiHandler(d *deps, pushes *sendpush.Dispatcher) http.Handler {
	return api.New(api.Options{
		Tokens:         d.settings.APITokens,
		DB:             d.db,
		Devices:        registry.New(d.db),
		Pushes:         pushes,
		Logger:         d.logger,
		Presence:       presence.NewResolver(d.db, d.redis, presence.RoutingTTL),
		WebhookSecrets: d.settings.OpenIM.WebhookSecrets,
	})
}
