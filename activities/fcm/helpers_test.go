package fcm_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/imshift/imshift/activities/fcm"
	"github.com/imshift/imshift/testbed/simulator/fcmsim"
	"github.com/imshift/imshift/testbed/simulator/simtls"
)

const project = "imshift-test"

// simEnv is the FCM simulator served over TLS+HTTP/2 with a registered
// service account written to a key file.
type simEnv struct {
	sim     *fcmsim.Server
	srv     *httptest.Server
	ca      *simtls.CA
	keyFile string
	http2   atomic.Int64
	// lastSend is the body of the latest messages:send request.
	lastSend atomic.Pointer[[]byte]
}

func startSim(t testing.TB) *simEnv {
	t.Helper()
	ca, err := simtls.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	e := &simEnv{sim: fcmsim.New(fcmsim.Options{ProjectID: project}), ca: ca}
	e.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor == 2 {
			e.http2.Add(1)
		}
		if strings.HasSuffix(r.URL.Path, "/messages:send") {
			body, _ := io.ReadAll(r.Body)
			e.lastSend.Store(&body)
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		e.sim.ServeHTTP(w, r)
	}))
	e.srv.EnableHTTP2 = true
	e.srv.TLS = ca.ServerTLSConfig()
	e.srv.StartTLS()
	t.Cleanup(e.srv.Close)
	key, err := fcmsim.ServiceAccountJSON(e.srv.URL+"/token", project)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.sim.RegisterServiceAccount(key); err != nil {
		t.Fatal(err)
	}
	e.keyFile = writeKey(t, key)
	return e
}

func writeKey(t testing.TB, key []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sa.json")
	if err := os.WriteFile(path, key, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func (e *simEnv) sender(t testing.TB, keyFile string) *fcm.Sender {
	t.Helper()
	s, err := fcm.NewSender(context.Background(), fcm.Config{
		CredentialsFile: keyFile,
		Endpoint:        e.srv.URL,
		RootCAs:         e.ca.Pool(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// forgedKey is the registered account's key file with another private key.
func (e *simEnv) forgedKey(t testing.TB) string {
	t.Helper()
	other, err := fcmsim.ServiceAccountJSON(e.srv.URL+"/token", project)
	if err != nil {
		t.Fatal(err)
	}
	orig, err := os.ReadFile(e.keyFile)
	if err != nil {
		t.Fatal(err)
	}
	var a, b map[string]any
	if json.Unmarshal(orig, &a) != nil || json.Unmarshal(other, &b) != nil {
		t.Fatal("key files are not JSON")
	}
	a["private_key"], a["private_key_id"] = b["private_key"], b["private_key_id"]
	out, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	return writeKey(t, out)
}
