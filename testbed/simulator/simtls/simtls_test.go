package simtls

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestHTTP2Handshake serves with the CA's config and checks that a client
// trusting only Pool (or only CertPEM) negotiates HTTP/2, and that a client
// without the CA is refused.
func TestHTTP2Handshake(t *testing.T) {
	ca, err := NewCA()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Proto)
	}))
	srv.EnableHTTP2 = true
	srv.TLS = ca.ServerTLSConfig()
	srv.StartTLS()
	defer srv.Close()

	fromPEM := x509.NewCertPool()
	if !fromPEM.AppendCertsFromPEM(ca.CertPEM()) {
		t.Fatal("CertPEM did not parse")
	}
	for name, pool := range map[string]*x509.CertPool{"pool": ca.Pool(), "pem": fromPEM} {
		c := &http.Client{Transport: &http.Transport{
			TLSClientConfig:   &tls.Config{RootCAs: pool},
			ForceAttemptHTTP2: true,
		}}
		resp, err := c.Get(srv.URL)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != "HTTP/2.0" {
			t.Fatalf("%s: proto %q, want HTTP/2.0", name, body)
		}
	}

	untrusting := &http.Client{Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: x509.NewCertPool()},
	}}
	if _, err := untrusting.Get(srv.URL); err == nil {
		t.Fatal("client without the CA connected")
	}
}
