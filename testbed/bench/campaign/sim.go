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
	var f struct {
		Sent int64 `json:"sent"`
	}
	var a struct {
		Delivered int64 `json:"delivered"`
	}
	if err := c.get(c.fcm+"/_sim/counters", &f); err != nil {
		return 0, err
	}
	if err := c.get(c.apns+"/_sim/counters", &a); err != nil {
		return 0, err
	}
	return f.Sent + a.Delivered, nil
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
