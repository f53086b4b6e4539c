// Package api is imshift's HTTP API for the device registry and
// transactional push:
//
//	POST   /v1/devices               register or update a device token
//	DELETE /v1/devices               remove a device token
//	GET    /v1/users/{userId}/devices list a user's devices, tokens masked
//	POST   /v1/push                  send a push and start its SendPush, answer 202 with its id
//	GET    /v1/users/{userId}/presence one user's presence
//	POST   /v1/presence:query        up to 1 000 users' presence
//	POST   /openim/webhooks/{command} OpenIM's presence webhooks
//
// Every /v1 route needs "Authorization: Bearer <token>" with one of the
// configured tokens; the webhooks need the webhook secret (docs/presence.md).
// Errors are JSON {"error": "...", "field": "..."}.
// Server (server.go) gives the http.Server the timeouts the API is meant
// to run with; /healthz and /metrics are not served here but on the
// worker's IMSHIFT_METRICS_ADDR.
// Nothing here logs a request body, a device token or a bearer token.
package api

import (
	"log/slog"
	"net/http"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/imshift/imshift/activities/presence"
	"github.com/imshift/imshift/internal/bearer"
	"github.com/imshift/imshift/internal/registry"
	"github.com/imshift/imshift/workflows/sendpush"
)

// MaxBody is the largest request body accepted (413 above).
const MaxBody = 64 << 10

// Options are what the API serves from.
type Options struct {
	// Tokens are the bearer tokens accepted; several allow rotation.
	Tokens  []string
	Devices *registry.Store
	// DB is the pool Devices reads and writes through: a request that meets
	// a broken pooled connection is retried once on a fresh one.
	DB *pgxpool.Pool
	// Pushes accepts POST /v1/push (the outbox, then SendPush).
	Pushes *sendpush.Dispatcher
	Logger *slog.Logger
	// Presence answers the presence routes and takes the webhooks; nil
	// leaves those routes out.
	Presence *presence.Resolver
	// WebhookSecrets guard /openim/webhooks; none leaves that route out.
	WebhookSecrets []string
}

type server struct {
	opts     Options
	auth     *bearer.Tokens
	webhooks *bearer.Tokens
	log      *slog.Logger
}

// New returns the API's handler.
func New(opts Options) http.Handler {
	s := &server{opts: opts, auth: bearer.New(opts.Tokens), webhooks: bearer.New(opts.WebhookSecrets),
		log: opts.Logger}
	if s.log == nil {
		s.log = slog.Default()
	}
	mux := http.NewServeMux()
	mux.Handle("POST /v1/devices", s.authed(s.registerDevice))
	mux.Handle("DELETE /v1/devices", s.authed(s.deleteDevice))
	mux.Handle("GET /v1/users/{userId}/devices", s.authed(s.listDevices))
	mux.Handle("POST /v1/push", s.authed(s.sendPush))
	if opts.Presence != nil {
		mux.Handle("GET /v1/users/{userId}/presence", s.authed(s.getPresence))
		mux.Handle("POST /v1/presence:query", s.authed(s.queryPresence))
		if len(opts.WebhookSecrets) > 0 {
			mux.HandleFunc("POST /openim/webhooks/{command}", s.openimWebhook)
		}
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, "no such route", "")
	})
	return s.observe(mux)
}

// authed wraps a handler in bearer-token authentication.
func (s *server) authed(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.auth.Allow(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="imshift"`)
			writeError(w, http.StatusUnauthorized, "missing or invalid bearer token", "")
			return
		}
		h(w, r)
	})
}
