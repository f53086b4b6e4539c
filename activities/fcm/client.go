package fcm

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	firebase "firebase.google.com/go/v4"
	"firebase.google.com/go/v4/messaging"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"
	"google.golang.org/api/option"
)

// Config says where FCM is and who we are.
type Config struct {
	// CredentialsFile is a Google service-account key file (JSON). Its
	// token_uri is where access tokens come from.
	CredentialsFile string
	// ProjectID defaults to the key file's project_id.
	ProjectID string
	// Endpoint replaces https://fcm.googleapis.com/v1 (for the simulator);
	// requests go to {Endpoint}/projects/{ProjectID}/messages:send.
	Endpoint string
	// RootCAs trusted for the endpoint and the token URI; nil = system.
	RootCAs *x509.CertPool
	// CallsInFlight is how many SendEach calls run at once; default 4.
	CallsInFlight int
}

var scopes = []string{
	"https://www.googleapis.com/auth/firebase.messaging",
	"https://www.googleapis.com/auth/cloud-platform",
}

// requestTimeout bounds a token request, and how long a send waits for
// response headers, so a hung connection becomes a Transient result instead
// of a stuck activity. The send client has no http.Client.Timeout: its
// per-request timer cost ~6% of the CPU at load, and the caller's ctx
// bounds the whole Send anyway.
const requestTimeout = 30 * time.Second

// newClient builds the messaging client on our own HTTP client (custom CA,
// HTTP/2, OAuth2 from the key file) and returns the token source it uses.
// Errors never quote the key file.
func newClient(ctx context.Context, cfg Config, inFlight int) (*messaging.Client, oauth2.TokenSource, error) {
	key, err := os.ReadFile(cfg.CredentialsFile)
	if err != nil {
		return nil, nil, fmt.Errorf("fcm: read credentials: %w", err)
	}
	jwtCfg, err := google.JWTConfigFromJSON(key, scopes...)
	if err != nil {
		return nil, nil, errors.New("fcm: credentials file is not a valid service-account key")
	}
	project := cfg.ProjectID
	if project == "" {
		if project = keyProjectID(key); project == "" {
			return nil, nil, errors.New("fcm: no ProjectID and none in the credentials file")
		}
	}
	base := newTransport(cfg.RootCAs, sdkWorkers*inFlight)
	// The token source outlives ctx (it refreshes tokens later), so it gets
	// ctx's values but not its cancellation, plus our transport.
	tokenCtx := context.WithValue(context.WithoutCancel(ctx), oauth2.HTTPClient,
		&http.Client{Transport: base, Timeout: requestTimeout})
	tokens := jwtCfg.TokenSource(tokenCtx)
	hc := &http.Client{Transport: noSDKRetry{&oauth2.Transport{Source: tokens, Base: base}}}
	opts := []option.ClientOption{option.WithHTTPClient(hc)}
	if cfg.Endpoint != "" {
		opts = append(opts, option.WithEndpoint(cfg.Endpoint))
	}
	app, err := firebase.NewApp(ctx, &firebase.Config{ProjectID: project}, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("fcm: firebase app: %w", err)
	}
	client, err := app.Messaging(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("fcm: messaging client: %w", err)
	}
	return client, tokens, nil
}

// sdkWorkers is how many requests one SendEach call runs at once.
const sdkWorkers = 50

// newTransport trusts rootCAs. A transport with its own TLSClientConfig
// silently drops HTTP/2 unless ForceAttemptHTTP2 is set. idle keeps one
// connection per concurrent request when the endpoint only speaks HTTP/1.1.
// HTTP/2 pings find a dead connection that would otherwise stall every
// request multiplexed on it.
func newTransport(rootCAs *x509.CertPool, idle int) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{RootCAs: rootCAs, MinVersion: tls.VersionTLS12}
	t.ForceAttemptHTTP2 = true
	t.MaxIdleConnsPerHost = idle
	t.ResponseHeaderTimeout = requestTimeout
	t.HTTP2 = &http.HTTP2Config{SendPingTimeout: 15 * time.Second, PingTimeout: 15 * time.Second}
	return t
}

func keyProjectID(key []byte) string {
	var f struct {
		ProjectID string `json:"project_id"`
	}
	if json.Unmarshal(key, &f) != nil {
		return ""
	}
	return f.ProjectID
}

// noSDKRetry answers a 503 to the Firebase SDK as a 500. The SDK retries
// every 503 itself, up to 4 times, 0 to 4 s apart, inside the SendEach call
// (internal.WithDefaultRetryConfig, not configurable): one message of 500
// answered UNAVAILABLE a few times held the whole call for seconds, and
// those tries were neither counted nor spaced by the delivery core. A 500
// is not retried by the SDK; the error is still classified by its body
// (UNAVAILABLE, with its Retry-After), so the delivery core retries that
// token alone, on its own schedule.
type noSDKRetry struct{ http.RoundTripper }

func (t noSDKRetry) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.RoundTripper.RoundTrip(req)
	if err == nil && resp.StatusCode == http.StatusServiceUnavailable {
		resp.StatusCode, resp.Status = http.StatusInternalServerError, "500 Internal Server Error (503 from FCM)"
	}
	return resp, err
}
