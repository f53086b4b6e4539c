// Package simtest serves the FCM and APNs simulators over TLS with HTTP/2 on
// loopback for tests, with the files a sender needs (CA, FCM service
// account, APNs .p8 key), so the official clients, in the test process or in
// a worker process, talk to them exactly as to Google and Apple.
package simtest

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/imshift/imshift/activities/apns"
	"github.com/imshift/imshift/activities/delivery"
	"github.com/imshift/imshift/activities/fcm"
	"github.com/imshift/imshift/internal/registry"
	"github.com/imshift/imshift/testbed/simulator/apnssim"
	"github.com/imshift/imshift/testbed/simulator/fcmsim"
	"github.com/imshift/imshift/testbed/simulator/simtls"
)

// The identity the simulators accept.
const (
	FCMProject = "imshift-test"
	APNsTeam   = "TEAM123456"
	APNsKey    = "KEY1234567"
	APNsTopic  = "com.example.chat"
)

// Providers is both simulators and what reaches them.
type Providers struct {
	CA          *simtls.CA
	CAFile      string // the CA in PEM, for IMSHIFT_TLS_CA_FILE
	FCM         *fcmsim.Server
	FCMURL      string
	FCMKeyFile  string // service-account JSON whose token_uri is the simulator's
	APNs        *apnssim.Server
	APNsURL     string
	APNsKeyFile string // .p8
}

// Start serves both simulators until the test ends.
func Start(t testing.TB) *Providers {
	t.Helper()
	ca, err := simtls.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	p := &Providers{CA: ca, CAFile: writeFile(t, "ca.pem", ca.CertPEM())}
	p.FCM = fcmsim.New(fcmsim.Options{ProjectID: FCMProject})
	fcmTS := httptest.NewUnstartedServer(p.FCM)
	fcmTS.EnableHTTP2, fcmTS.TLS = true, ca.ServerTLSConfig()
	fcmTS.StartTLS()
	t.Cleanup(fcmTS.Close)
	p.FCMURL = fcmTS.URL
	account, err := fcmsim.ServiceAccountJSON(p.FCMURL+"/token", FCMProject)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.FCM.RegisterServiceAccount(account); err != nil {
		t.Fatal(err)
	}
	p.FCMKeyFile = writeFile(t, "service-account.json", account)

	p8, pub, err := apnssim.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	p.APNs = apnssim.New(apnssim.Options{TeamID: APNsTeam, KeyID: APNsKey, Topic: APNsTopic, PublicKey: pub})
	apnsTS := p.APNs.StartTLS(ca)
	t.Cleanup(apnsTS.Close)
	p.APNsURL = apnsTS.URL
	p.APNsKeyFile = writeFile(t, "AuthKey.p8", p8)
	return p
}

// Senders are the real FCM and APNs senders pointed at the simulators, keyed
// by registry provider name.
func (p *Providers) Senders(t testing.TB, apnsStreams int) map[string]delivery.Sender {
	t.Helper()
	f, err := fcm.NewSender(context.Background(), fcm.Config{
		CredentialsFile: p.FCMKeyFile, Endpoint: p.FCMURL, RootCAs: p.CA.Pool(),
	})
	if err != nil {
		t.Fatal(err)
	}
	a, err := apns.NewSender(apns.Config{
		KeyFile: p.APNsKeyFile, KeyID: APNsKey, TeamID: APNsTeam, Topic: APNsTopic,
		Endpoint: p.APNsURL, RootCAs: p.CA.Pool(), Streams: apnsStreams,
	})
	if err != nil {
		t.Fatal(err)
	}
	return map[string]delivery.Sender{registry.ProviderFCM: f, registry.ProviderAPNs: a}
}

// Env is the IMSHIFT_* settings that point a worker process at them.
func (p *Providers) Env() []string {
	return []string{
		"IMSHIFT_FCM_CREDENTIALS_FILE=" + p.FCMKeyFile,
		"IMSHIFT_FCM_PROJECT_ID=" + FCMProject,
		"IMSHIFT_FCM_ENDPOINT=" + p.FCMURL,
		"IMSHIFT_APNS_KEY_FILE=" + p.APNsKeyFile,
		"IMSHIFT_APNS_KEY_ID=" + APNsKey,
		"IMSHIFT_APNS_TEAM_ID=" + APNsTeam,
		"IMSHIFT_APNS_TOPIC=" + APNsTopic,
		"IMSHIFT_APNS_ENDPOINT=" + p.APNsURL,
		"IMSHIFT_TLS_CA_FILE=" + p.CAFile,
	}
}

func writeFile(t testing.TB, name string, b []byte) string {
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
