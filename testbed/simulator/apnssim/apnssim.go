// Package apnssim is an in-process stand-in for the APNs provider API
// (HTTP/2 POST /3/device/{token} with ES256 provider tokens). It checks what
// Apple checks, answers with Apple's status codes and reason strings, counts
// every answer per device token, and lets tests inject faults by token or by
// request count. Its control surface lives under /_sim/ on the same server.
package apnssim

import (
	"crypto/ecdsa"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"time"

	"github.com/imshift/imshift/testbed/simulator/persecond"
	"github.com/imshift/imshift/testbed/simulator/simtls"
)

// Options configure the one team, key and app the simulator accepts.
type Options struct {
	TeamID, KeyID, Topic string
	PublicKey            *ecdsa.PublicKey // verifies provider tokens
	Latency              time.Duration    // added before every push answer
}

// Server is the simulator; it is an http.Handler. Serve it over TLS with
// HTTP/2 enabled (see StartTLS): APNs refuses HTTP/1.1.
type Server struct {
	opts    Options
	auth    *verifier
	st      *state
	latency atomic.Int64 // time.Duration
	skew    atomic.Int64 // time.Duration added to the wall clock
}

// New builds a simulator for opts.
func New(opts Options) *Server {
	s := &Server{opts: opts, auth: newVerifier(opts), st: newState()}
	s.latency.Store(int64(opts.Latency))
	return s
}

// ServeHTTP routes push requests and the /_sim/ control surface.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, devicePrefix):
		s.push(w, r, p[len(devicePrefix):])
	case strings.HasPrefix(p, controlPrefix):
		s.control(w, r, p[len(controlPrefix):])
	default:
		s.fail(w, "", http.StatusNotFound, "BadPath")
	}
}

// StartTLS serves s on a loopback port with ca's certificate, HTTP/2 and
// Apple's limit of 1 000 concurrent streams per connection. Close the
// returned server when done; its URL is the APNs endpoint.
func (s *Server) StartTLS(ca *simtls.CA) *httptest.Server {
	ts := httptest.NewUnstartedServer(s)
	ts.EnableHTTP2 = true
	ts.TLS = ca.ServerTLSConfig()
	ts.Config.HTTP2 = &http.HTTP2Config{MaxConcurrentStreams: 1000}
	ts.StartTLS()
	return ts
}

// SetTokenFault makes every push to token answer f (f.Remaining times, or
// forever when 0) instead of 200. A zero f.Status clears the fault. Only
// well-formed tokens (64 hex digits) can carry a fault.
func (s *Server) SetTokenFault(token string, f Fault) error {
	return s.st.setTokenFault(token, f)
}

// SetRateFault makes every Nth push that has no token fault answer f,
// counting from now; f.Remaining limits the firings (0 = forever).
// everyNth <= 0 clears it.
func (s *Server) SetRateFault(f Fault, everyNth int) {
	if everyNth <= 0 || f.Status == 0 {
		_ = s.st.setRateFaults(nil)
		return
	}
	_ = s.st.setRateFaults([]RateRule{{EveryNth: everyNth, Fault: f}})
}

// SetRateFaults replaces the rate faults with rules (none clears them) and
// restarts their request count.
func (s *Server) SetRateFaults(rules []RateRule) error { return s.st.setRateFaults(rules) }

// SetLatency changes the delay added before every push answer.
func (s *Server) SetLatency(d time.Duration) { s.latency.Store(int64(d)) }

// SetClockSkew moves the simulator's clock by d; a skew past one hour makes
// every provider token look expired (403 ExpiredProviderToken).
func (s *Server) SetClockSkew(d time.Duration) { s.skew.Store(int64(d)) }

// Reset clears faults, counters and clock skew and restores Options.Latency.
func (s *Server) Reset() {
	s.st.reset()
	s.latency.Store(int64(s.opts.Latency))
	s.skew.Store(0)
}

// Delivered is how many pushes to token were answered 200.
func (s *Server) Delivered(token string) int {
	d, _ := s.st.counts(token)
	return d
}

// Attempts is how many pushes to token passed validation, whatever the answer.
func (s *Server) Attempts(token string) int {
	_, a := s.st.counts(token)
	return a
}

// DeliveriesPerSecond is the pushes answered 200 per second of the
// simulator's clock since start or the last Reset.
func (s *Server) DeliveriesPerSecond() persecond.Series { return s.st.perSecond.Load().Series() }

// Counters returns the totals since start or the last Reset.
func (s *Server) Counters() Counters { return s.st.counters() }

func (s *Server) now() time.Time {
	return time.Now().Add(time.Duration(s.skew.Load()))
}
