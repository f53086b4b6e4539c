package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"time"
)

// simControl drives the simulator process through its /_sim/ control API.
type simControl struct {
	hc        *http.Client
	fcm, apns string
	pool      *x509.CertPool
}

func newSimControl(caFile, fcm, apns string) (*simControl, error) {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no certificate", caFile)
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}
	return &simControl{hc: &http.Client{Transport: tr, Timeout: 10 * time.Second}, fcm: fcm, apns: apns, pool: pool}, nil
}

func (c *simControl) post(url string, body any) error {
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

// reset clears both simulators' counters and sets their latency.
func (c *simControl) reset(latency time.Duration) error {
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

// delivered is every push both simulators acknowledged since the reset.
func (c *simControl) delivered() (int64, error) {
	n, _, err := c.deliveries()
	return n, err
}

// deliveries is every push both simulators acknowledged since the reset,
// and how many distinct devices they went to.
func (c *simControl) deliveries() (pushes, devices int64, err error) {
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

// faultMix makes both simulators answer 20 % of requests with a 429 and
// 20 % with a 503, deterministically (every fifth request, two phases):
// FCM QUOTA_EXCEEDED with Retry-After 1 s and UNAVAILABLE; APNs
// TooManyRequests and ServiceUnavailable.
func (c *simControl) faultMix() error {
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

func (c *simControl) get(url string, v any) error {
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
