package fcmsim_test

import (
	"context"
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	firebase "firebase.google.com/go/v4"
	"firebase.google.com/go/v4/messaging"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"
	"google.golang.org/api/option"

	"github.com/imshift/imshift/testbed/simulator/fcmsim"
	"github.com/imshift/imshift/testbed/simulator/simtls"
)

const project = "sim-project"

// env is one running simulator with a registered service account.
type env struct {
	sim     *fcmsim.Server
	srv     *httptest.Server
	base    *http.Client // trusts the simulator's CA, no auth
	keyFile []byte
	http2   atomic.Int64 // requests that arrived over HTTP/2
}

// startSim serves the simulator over TLS+HTTP/2 (or plain HTTP) and
// registers a fresh service account whose token_uri points at it.
func startSim(t *testing.T, useTLS bool) *env {
	t.Helper()
	e := &env{sim: fcmsim.New(fcmsim.Options{ProjectID: project})}
	e.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor == 2 {
			e.http2.Add(1)
		}
		e.sim.ServeHTTP(w, r)
	}))
	tr := &http.Transport{ForceAttemptHTTP2: true, MaxIdleConnsPerHost: 100}
	if useTLS {
		ca, err := simtls.NewCA()
		if err != nil {
			t.Fatal(err)
		}
		e.srv.EnableHTTP2 = true
		e.srv.TLS = ca.ServerTLSConfig()
		e.srv.StartTLS()
		tr.TLSClientConfig = &tls.Config{RootCAs: ca.Pool()}
	} else {
		e.srv.Start()
	}
	t.Cleanup(e.srv.Close)
	e.base = &http.Client{Transport: tr}
	key, err := fcmsim.ServiceAccountJSON(e.srv.URL+"/token", project)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.sim.RegisterServiceAccount(key); err != nil {
		t.Fatal(err)
	}
	e.keyFile = key
	return e
}

// sdkClient is the official Admin SDK messaging client pointed at the
// simulator, authenticating with keyFile through the OAuth2 JWT grant.
func (e *env) sdkClient(t *testing.T, keyFile []byte) *messaging.Client {
	t.Helper()
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, e.base)
	cfg, err := google.JWTConfigFromJSON(keyFile, "https://www.googleapis.com/auth/firebase.messaging")
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: &oauth2.Transport{Source: cfg.TokenSource(ctx), Base: e.base.Transport}}
	app, err := firebase.NewApp(ctx, &firebase.Config{ProjectID: project},
		option.WithEndpoint(e.srv.URL), option.WithHTTPClient(hc))
	if err != nil {
		t.Fatal(err)
	}
	c, err := app.Messaging(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// accessToken gets a bearer token from the simulator's /token endpoint.
func (e *env) accessToken(t *testing.T) string {
	t.Helper()
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, e.base)
	cfg, err := google.JWTConfigFromJSON(e.keyFile, "https://www.googleapis.com/auth/firebase.messaging")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := cfg.TokenSource(ctx).Token()
	if err != nil {
		t.Fatal(err)
	}
	return tok.AccessToken
}
