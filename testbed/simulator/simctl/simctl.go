// Package simctl drives the simulator command (bin/simulator) running as its
// own process, through the /_sim/ control APIs of its FCM, APNs and OpenIM
// servers: the benchmarks and the production-topology test use it, where
// the simulators must outlive or stand apart from the process measuring.
package simctl

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/imshift/imshift/testbed/simulator/openimsim"
	"github.com/imshift/imshift/testbed/simulator/persecond"
)

// Client talks to one simulator process.
type Client struct {
	hc                *http.Client
	fcm, apns, openim string // base URLs
	// Pool holds the simulator's CA, for a sender in the measuring process.
	Pool *x509.CertPool
}

// New returns a client for the simulator whose CA certificate (ca.pem in
// its -dir) is caFile, serving FCM and APNs at the https:// base URLs fcm
// and apns and OpenIM at the http:// base URL openim.
func New(caFile, fcm, apns, openim string) (*Client, error) {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no certificate", caFile)
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}
	return &Client{hc: &http.Client{Transport: tr, Timeout: 10 * time.Second},
		fcm: fcm, apns: apns, openim: openim, Pool: pool}, nil
}

// Reset clears both push simulators' counters and sets their latency.
func (c *Client) Reset(latency time.Duration) error {
	for _, base := range []string{c.fcm, c.apns} {
		if err := c.post(base+"/_sim/reset", struct{}{}); err != nil {
			return err
		}
		if err := c.post(base+"/_sim/latency", map[string]string{"latency": latency.String()}); err != nil {
			return err
		}
	}
	return nil
}

// Delivered is every push both simulators acknowledged since the reset.
func (c *Client) Delivered() (int64, error) {
	n, _, err := c.Deliveries()
	return n, err
}

// Deliveries is every push both simulators acknowledged since the reset,
// and how many distinct devices they went to: with n devices sent to,
// pushes-devices were duplicates and n-devices were lost.
func (c *Client) Deliveries() (pushes, devices int64, err error) {
	var f struct {
		Sent   int64 `json:"sent"`
		Tokens int64 `json:"tokens"`
	}
	var a struct {
		Delivered int64 `json:"delivered"`
		Tokens    int64 `json:"tokens"`
	}
	if err := c.get(c.fcm+"/_sim/counters", &f); err != nil {
		return 0, 0, err
	}
	if err := c.get(c.apns+"/_sim/counters", &a); err != nil {
		return 0, 0, err
	}
	return f.Sent + a.Delivered, f.Tokens + a.Tokens, nil
}

// DeliveriesPerSecond is each push simulator's acknowledged pushes per
// second of its own clock since the reset.
func (c *Client) DeliveriesPerSecond() (fcm, apns persecond.Series, err error) {
	if err := c.get(c.fcm+"/_sim/deliveries-per-second", &fcm); err != nil {
		return fcm, apns, err
	}
	err = c.get(c.apns+"/_sim/deliveries-per-second", &apns)
	return fcm, apns, err
}

// FaultMix makes both simulators answer 20 % of requests with a 429 and
// 20 % with a 503, deterministically (every fifth request, two phases):
// FCM QUOTA_EXCEEDED with Retry-After 1 s and UNAVAILABLE; APNs
// TooManyRequests and ServiceUnavailable.
func (c *Client) FaultMix() error {
	fcm := map[string]any{"rules": []map[string]any{
		{"every_nth": 5, "phase": 1, "fault": map[string]string{"status": "QUOTA_EXCEEDED", "retry_after": "1s"}},
		{"every_nth": 5, "phase": 2, "fault": map[string]string{"status": "UNAVAILABLE"}},
	}}
	apns := map[string]any{"rules": []map[string]any{
		{"every_nth": 5, "phase": 1, "status": 429, "reason": "TooManyRequests"},
		{"every_nth": 5, "phase": 2, "status": 503, "reason": "ServiceUnavailable"},
	}}
	if err := c.post(c.fcm+"/_sim/rate-faults", fcm); err != nil {
		return err
	}
	return c.post(c.apns+"/_sim/faults/rates", apns)
}

// OpenIMLatency delays every OpenIM admin API answer by d.
func (c *Client) OpenIMLatency(d time.Duration) error {
	return c.post(c.openim+"/_sim/latency", map[string]int64{"ms": d.Milliseconds()})
}

// OpenIMCounters is the OpenIM simulator's full snapshot, per-user maps
// included.
func (c *Client) OpenIMCounters() (openimsim.Counters, error) {
	var oc openimsim.Counters
	err := c.get(c.openim+"/_sim/counters", &oc)
	return oc, err
}

func (c *Client) post(url string, body any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	resp, err := c.hc.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("POST %s: %s", url, resp.Status)
	}
	return nil
}

func (c *Client) get(url string, v any) error {
	resp, err := c.hc.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// Env is the IMSHIFT_* settings that point a worker at the simulator whose
// -dir is dir: the simulator writes them to dir/env.sh when it starts.
func Env(dir string) ([]string, error) {
	b, err := os.ReadFile(filepath.Join(dir, "env.sh"))
	if err != nil {
		return nil, err
	}
	var env []string
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "export "); ok {
			env = append(env, v)
		}
	}
	return env, nil
}
