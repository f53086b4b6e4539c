// Package apns sends pushes to Apple Push Notification service over HTTP/2
// with token (.p8) authentication, through github.com/sideshow/apns2, and
// maps every answer onto a delivery.Class.
package apns

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/sideshow/apns2"
	"github.com/sideshow/apns2/token"
	"golang.org/x/net/http2"

	"github.com/imshift/imshift/activities/delivery"
)

// DefaultEndpoint is Apple's production host.
const DefaultEndpoint = apns2.HostProduction

// DefaultStreams is the default number of requests in flight. Throughput is
// concurrency ÷ latency until the CPU binds or a connection does: with 500
// a campaign at a million devices and 20 ms spent its time waiting for a
// free stream, with 1 000 it sent 56 % more (docs/delivery.md).
const DefaultStreams = 1000

// connections is how many HTTP/2 connections a Sender spreads its streams
// over. Apple recommends several connections for high throughput; one
// connection carrying every stream is one reader and one writer with a
// lock between them, which a campaign's 1 000 streams held up.
const connections = 4

// Config says which key signs provider tokens and where pushes go.
type Config struct {
	KeyFile  string // path of the .p8 signing key
	KeyID    string // the key's 10-character id in the developer account
	TeamID   string // the team that owns the key
	Topic    string // the app's bundle id
	Endpoint string // default DefaultEndpoint
	RootCAs  *x509.CertPool
	// Streams bounds the requests in flight across all Send calls on this
	// Sender; default DefaultStreams.
	Streams int
}

// Sender is a delivery.Sender for APNs. It is safe for concurrent use; keep
// one per process so its HTTP/2 connections are reused, as Apple asks.
type Sender struct {
	clients []*apns2.Client // one HTTP/2 connection each
	next    atomic.Uint64   // round robin over clients
	topic   string
	slots   chan struct{}
}

var _ delivery.Sender = (*Sender)(nil)

// NewSender loads the key and prepares an HTTP/2 client. It does not connect.
func NewSender(cfg Config) (*Sender, error) {
	if cfg.KeyID == "" || cfg.TeamID == "" || cfg.Topic == "" {
		return nil, errors.New("apns: KeyID, TeamID and Topic are required")
	}
	key, err := token.AuthKeyFromFile(cfg.KeyFile)
	if err != nil {
		// The error names the file, never its contents.
		return nil, fmt.Errorf("apns: load signing key: %w", err)
	}
	// One provider token for every connection: Apple refuses a token
	// refreshed more than once in 20 minutes (TooManyProviderTokenUpdates).
	tok := &token.Token{AuthKey: key, KeyID: cfg.KeyID, TeamID: cfg.TeamID}
	clients := make([]*apns2.Client, connections)
	for i := range clients {
		if clients[i], err = newClient(tok, cfg); err != nil {
			return nil, err
		}
	}
	streams := cfg.Streams
	if streams <= 0 {
		streams = DefaultStreams
	}
	return &Sender{clients: clients, topic: cfg.Topic, slots: make(chan struct{}, streams)}, nil
}

// newClient is an apns2 client on a transport (a connection) of its own.
func newClient(tok *token.Token, cfg Config) (*apns2.Client, error) {
	client := apns2.NewTokenClient(tok)
	client.Host = strings.TrimRight(cfg.Endpoint, "/")
	if client.Host == "" {
		client.Host = DefaultEndpoint
	}
	h2, ok := client.HTTPClient.Transport.(*http2.Transport)
	if !ok {
		return nil, errors.New("apns: apns2 client has an unexpected transport")
	}
	if cfg.RootCAs != nil {
		// Set on the http2.Transport itself, so the client stays HTTP/2.
		h2.TLSClientConfig = &tls.Config{RootCAs: cfg.RootCAs}
	}
	client.HTTPClient.Transport = &retryAfterTransport{next: h2}
	return client, nil
}

// Send pushes msgs with up to Streams requests in flight and returns one
// Result per message, in message order. The error is only ctx's, when it was
// done before anything was sent.
func (s *Sender) Send(ctx context.Context, msgs []delivery.Message) ([]delivery.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	results := make([]delivery.Result, len(msgs))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(cap(s.slots), len(msgs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1) - 1; i < int64(len(msgs)); i = next.Add(1) - 1 {
				results[i] = s.sendOne(ctx, &msgs[i])
				countResult(results[i].Class)
			}
		}()
	}
	wg.Wait()
	return results, nil
}

// sendOne pushes one message while holding one of the Sender's slots.
func (s *Sender) sendOne(ctx context.Context, m *delivery.Message) delivery.Result {
	n, reason := s.notification(m)
	if reason != "" {
		return delivery.Result{Class: delivery.BadMessage, Reason: reason}
	}
	if !validToken(m.Token) {
		return delivery.Result{Class: delivery.DeadToken, Reason: apns2.ReasonBadDeviceToken}
	}
	if m.ValidateOnly {
		return validateOnly(n)
	}
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		return classifyErr(ctx.Err())
	}
	defer func() { <-s.slots }()
	ctx, hint := withRetryAfter(ctx)
	client := s.clients[s.next.Add(1)%uint64(len(s.clients))]
	res, err := client.PushWithContext(ctx, n)
	r := Classify(res, err)
	if hint.set && delivery.Retryable(r.Class) {
		r.RetryAfter = hint.d
	}
	return r
}

// validToken accepts the hex tokens APNs issues. Anything else is never
// sent: it cannot be a device, and it would be spliced into the URL path.
func validToken(t string) bool {
	if t == "" || len(t)%2 != 0 {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
