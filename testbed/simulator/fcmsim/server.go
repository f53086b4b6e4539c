// Package fcmsim is an FCM HTTP v1 simulator for tests and load runs. It
// answers messages:send the way Google does (same paths, same OAuth2
// JWT-bearer token endpoint, same error bodies, so the Admin SDK's own error
// predicates work), counts deliveries per token, and injects faults
// deterministically.
//
// Rules beyond Google's, documented here so tests can rely on them:
//   - A token starting with "dead-" is always UNREGISTERED (404), so a load
//     run can carry dead tokens without one SetTokenFault call each.
//   - A token is malformed (400 INVALID_ARGUMENT naming message.token) when
//     it is longer than 4096 bytes or has a byte outside [A-Za-z0-9_:.-].
//   - The 4096-byte payload limit counts data keys and values plus the
//     notification title and body.
//   - The rate fault's counter advances on every send request that passes
//     authentication and validation, so "every Nth" is exact.
//   - Access tokens never expire while the simulator runs; Reset keeps
//     accounts and tokens.
package fcmsim

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/imshift/imshift/testbed/simulator/persecond"
)

// DefaultProjectID is used when Options.ProjectID is empty.
const DefaultProjectID = "imshift-sim"

// Options configure a simulator.
type Options struct {
	ProjectID string
	// Latency is added to every send answer (error or not).
	Latency time.Duration
}

// Server is the simulator; it is an http.Handler serving messages:send,
// /token and the /_sim/ control API.
type Server struct {
	projectID string
	baseLat   time.Duration
	latency   atomic.Int64
	auth      auth
	faults    faults
	counters  atomic.Pointer[stats]
	msgSeq    atomic.Uint64
}

// New makes a simulator for one project.
func New(opts Options) *Server {
	s := &Server{projectID: opts.ProjectID, baseLat: opts.Latency}
	if s.projectID == "" {
		s.projectID = DefaultProjectID
	}
	s.latency.Store(int64(opts.Latency))
	s.counters.Store(newStats())
	return s
}

// ProjectID is the project whose messages:send this simulator serves.
func (s *Server) ProjectID() string { return s.projectID }

// ServeHTTP routes send requests, the token endpoint and /_sim/ control.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	switch {
	case path == "/token":
		s.serveToken(w, r)
	case strings.HasPrefix(path, "/_sim/"):
		s.serveControl(w, r)
	default:
		project, ok := sendPath(path)
		if !ok || r.Method != http.MethodPost {
			apiError{404, "NOT_FOUND", "Requested entity was not found.", "", ""}.write(w, 0)
			return
		}
		s.serveSend(w, r, project)
	}
}

// sendPath extracts the project from /v1/projects/{p}/messages:send or
// /projects/{p}/messages:send (the SDK's form under WithEndpoint).
func sendPath(path string) (string, bool) {
	path = strings.TrimPrefix(path, "/v1")
	rest, ok := strings.CutPrefix(path, "/projects/")
	if !ok {
		return "", false
	}
	project, ok := strings.CutSuffix(rest, "/messages:send")
	if !ok || project == "" || strings.Contains(project, "/") {
		return "", false
	}
	return project, true
}

func (s *Server) stats() *stats { return s.counters.Load() }

// RegisterServiceAccount lets the key file's account obtain access tokens.
// Only the public key is kept.
func (s *Server) RegisterServiceAccount(keyFile []byte) error {
	acc, err := parseAccount(keyFile)
	if err != nil {
		return err
	}
	s.auth.register(acc)
	return nil
}

// SetTokenFault makes sends to token fail with f.Status, f.Remaining times
// (0 = until Reset). It replaces any earlier fault on the token.
func (s *Server) SetTokenFault(token string, f Fault) error {
	if err := f.validate(); err != nil {
		return err
	}
	s.faults.setToken(token, f)
	return nil
}

// SetRateFault makes every everyNth send request fail with f. everyNth <= 0
// removes the rate fault.
func (s *Server) SetRateFault(f Fault, everyNth int) error {
	if everyNth <= 0 {
		return s.SetRateFaults(nil)
	}
	return s.SetRateFaults([]RateRule{{EveryNth: everyNth, Fault: f}})
}

// SetRateFaults replaces the rate faults with rules (none clears them) and
// restarts their request count.
func (s *Server) SetRateFaults(rules []RateRule) error {
	for _, r := range rules {
		if r.EveryNth <= 0 || r.Phase < 0 || r.Phase >= r.EveryNth {
			return fmt.Errorf("fcmsim: rate rule needs every_nth > 0 and 0 <= phase < every_nth")
		}
		if err := r.Fault.validate(); err != nil {
			return err
		}
	}
	s.faults.setRates(slices.Clone(rules))
	return nil
}

// SetLatency changes the delay added to every send answer.
func (s *Server) SetLatency(d time.Duration) { s.latency.Store(int64(d)) }

// Reset clears faults and counters and restores Options.Latency.
func (s *Server) Reset() {
	s.faults.reset()
	s.latency.Store(int64(s.baseLat))
	s.counters.Store(newStats())
}

// Delivered is how many successful, non-validate sends token has had.
func (s *Server) Delivered(token string) int { return s.stats().tokens.get(token) }

// DeliveriesPerSecond is the successful sends per second of the
// simulator's clock since start or the last Reset.
func (s *Server) DeliveriesPerSecond() persecond.Series { return s.stats().perSecond.Series() }

// Counters is a snapshot of the totals.
func (s *Server) Counters() Counters { return s.stats().snapshot() }
