package config

import (
	"regexp"
	"time"
)

// OpenIM is how the worker reaches the OpenIM admin API.
type OpenIM struct {
	APIURL      string
	AdminUserID string
	Secret      string
	// WebhookSecrets are accepted on POST /openim/webhooks/{command}
	// (several, for rotation); none turns the webhook route off.
	WebhookSecrets []string
}

// FCM is the service account and endpoint of Firebase Cloud Messaging.
type FCM struct {
	CredentialsFile string
	ProjectID       string
	Endpoint        string // empty: Google's
	RatePerSecond   int    // global, across all workers
}

// APNs is the .p8 token key and endpoint of Apple Push.
type APNs struct {
	KeyFile       string
	KeyID         string
	TeamID        string
	Topic         string
	Endpoint      string
	RatePerSecond int // global, across all workers
}

// Worker is every setting the worker process needs.
type Worker struct {
	DatabaseURL   string
	RedisURL      string
	TaskQueue     string
	HTTPAddr      string
	MetricsAddr   string
	UserDirectory string
	APITokens     []string
	CAFile        string // extra CA trusted for FCM/APNs endpoints (simulators, emulators)
	ShutdownGrace time.Duration
	// TokenStaleAfter: TokenSweep removes devices not refreshed for this long.
	TokenStaleAfter time.Duration
	OpenIM          OpenIM
	FCM             FCM
	APNs            APNs
	Notify          Notify
	BuildID         string // IMSHIFT_BUILD_ID; empty: the binary's version
	// DeploymentName is the Worker Deployment the worker joins;
	// IMSHIFT_DEPLOYMENT_NAME exists so tests and staging can share a
	// namespace without sharing a current version.
	DeploymentName string
	Codec          CodecServer
}

var qualifiedName = regexp.MustCompile(`^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$`)

// LoadWorker reads the worker's settings. lookup is os.LookupEnv in
// production (nil) and a map in tests.
func LoadWorker(lookup func(string) (string, bool)) (Worker, error) {
	e := newEnv(lookup)
	w := Worker{
		DatabaseURL:   e.url("IMSHIFT_DATABASE_URL", "", true),
		RedisURL:      e.url("IMSHIFT_REDIS_URL", "redis://127.0.0.1:6379/0", false),
		TaskQueue:     e.raw("IMSHIFT_TASK_QUEUE", "imshift"),
		HTTPAddr:      e.raw("IMSHIFT_HTTP_ADDR", ":8080"),
		MetricsAddr:   e.raw("IMSHIFT_METRICS_ADDR", ":9090"),
		UserDirectory: e.raw("IMSHIFT_USER_DIRECTORY", "imshift.demo_users"),
		APITokens:     e.list("IMSHIFT_API_TOKENS"),
		CAFile:        e.file("IMSHIFT_TLS_CA_FILE", false),
		ShutdownGrace: e.duration("IMSHIFT_SHUTDOWN_GRACE", 30*time.Second),
		// FCM's own rule: a token not refreshed for 270 days is stale.
		TokenStaleAfter: e.duration("IMSHIFT_TOKEN_STALE_AFTER", 270*24*time.Hour),
		BuildID:         e.raw("IMSHIFT_BUILD_ID", ""),
		DeploymentName:  e.raw("IMSHIFT_DEPLOYMENT_NAME", "imshift"),
		Codec:           loadCodecServer(e),
		OpenIM: OpenIM{
			APIURL:         e.url("IMSHIFT_OPENIM_API_URL", "", true),
			AdminUserID:    e.raw("IMSHIFT_OPENIM_ADMIN_USER_ID", "imAdmin"),
			Secret:         e.required("IMSHIFT_OPENIM_SECRET"),
			WebhookSecrets: e.list("IMSHIFT_OPENIM_WEBHOOK_SECRET"),
		},
		FCM: FCM{
			CredentialsFile: e.file("IMSHIFT_FCM_CREDENTIALS_FILE", true),
			ProjectID:       e.required("IMSHIFT_FCM_PROJECT_ID"),
			Endpoint:        e.url("IMSHIFT_FCM_ENDPOINT", "", false),
			RatePerSecond:   e.int("IMSHIFT_FCM_RATE_PER_SECOND", 10000),
		},
		APNs: APNs{
			KeyFile:       e.file("IMSHIFT_APNS_KEY_FILE", true),
			KeyID:         e.required("IMSHIFT_APNS_KEY_ID"),
			TeamID:        e.required("IMSHIFT_APNS_TEAM_ID"),
			Topic:         e.required("IMSHIFT_APNS_TOPIC"),
			Endpoint:      e.url("IMSHIFT_APNS_ENDPOINT", "https://api.push.apple.com", false),
			RatePerSecond: e.int("IMSHIFT_APNS_RATE_PER_SECOND", 10000),
		},
	}
	w.Notify = loadNotify(e)
	if len(w.APITokens) == 0 {
		e.fail("IMSHIFT_API_TOKENS", "is missing (comma-separated bearer tokens for the HTTP API)")
	}
	for _, t := range w.APITokens {
		if len(t) < 16 {
			e.fail("IMSHIFT_API_TOKENS", "every token must be at least 16 characters")
			break
		}
	}
	for _, t := range w.OpenIM.WebhookSecrets {
		if len(t) < 16 {
			e.fail("IMSHIFT_OPENIM_WEBHOOK_SECRET", "every secret must be at least 16 characters")
			break
		}
	}
	if w.TokenStaleAfter < 24*time.Hour {
		e.fail("IMSHIFT_TOKEN_STALE_AFTER", "must be at least 24h")
	}
	if !qualifiedName.MatchString(w.UserDirectory) {
		e.fail("IMSHIFT_USER_DIRECTORY", "must be a schema-qualified table or view name like imshift.demo_users")
	}
	return w, e.err
}

// LoadDatabaseURL reads only IMSHIFT_DATABASE_URL, for commands that need
// nothing else (migrate, seed, import).
func LoadDatabaseURL(lookup func(string) (string, bool)) (string, error) {
	e := newEnv(lookup)
	u := e.url("IMSHIFT_DATABASE_URL", "", true)
	return u, e.err
}
