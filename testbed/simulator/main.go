// Command simulator serves faithful stand-ins for OpenIM's admin API, FCM
// HTTP v1 and APNs on loopback ports, for the demo, the end-to-end tests and
// the benchmarks. At start it writes into --dir what a worker needs to talk
// to them: the CA certificate, an FCM service-account file whose token_uri
// points at the FCM simulator, an APNs .p8 key, and env.sh with the matching
// IMSHIFT_* settings. Keys are made fresh on every start and never committed.
//
// `simulator population` runs the simulated legacy clients instead (see
// population.go).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/imshift/imshift/testbed/simulator/apnssim"
	"github.com/imshift/imshift/testbed/simulator/fcmsim"
	"github.com/imshift/imshift/testbed/simulator/openimsim"
	"github.com/imshift/imshift/testbed/simulator/simtls"
)

type flags struct {
	dir                           string
	openimAddr, fcmAddr, apnsAddr string
	latency                       time.Duration
	openimSecret, projectID       string
	apnsKeyID, apnsTeamID, topic  string
	webhookURL                    string
	webhookDropRate               float64
}

func parseFlags() flags {
	var f flags
	flag.StringVar(&f.dir, "dir", ".dev/sim", "directory for the CA, keys and env.sh")
	flag.StringVar(&f.openimAddr, "openim-addr", "127.0.0.1:10002", "OpenIM admin API listen address (HTTP)")
	flag.StringVar(&f.fcmAddr, "fcm-addr", "127.0.0.1:10443", "FCM HTTP v1 listen address (HTTPS, HTTP/2)")
	flag.StringVar(&f.apnsAddr, "apns-addr", "127.0.0.1:10444", "APNs listen address (HTTPS, HTTP/2)")
	flag.DurationVar(&f.latency, "latency", 0, "latency added to every FCM and APNs answer")
	flag.StringVar(&f.openimSecret, "openim-secret", "openIM123", "OpenIM share.yml secret")
	flag.StringVar(&f.projectID, "fcm-project", "imshift-sim", "FCM project id")
	flag.StringVar(&f.apnsKeyID, "apns-key-id", "SIMKEY0001", "APNs key id")
	flag.StringVar(&f.apnsTeamID, "apns-team-id", "SIMTEAM001", "APNs team id")
	flag.StringVar(&f.topic, "apns-topic", "com.example.chat", "APNs topic (bundle id)")
	flag.StringVar(&f.webhookURL, "openim-webhook-url", "", "OpenIM webhooks.yml url the presence webhooks post to (empty: off)")
	flag.Float64Var(&f.webhookDropRate, "openim-webhook-drop-rate", 0, "share of presence webhooks lost (0..1)")
	flag.Parse()
	return f
}

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	var err error
	if len(os.Args) > 1 && os.Args[1] == "population" {
		err = population(os.Args[2:], log)
	} else {
		err = run(parseFlags(), log)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "simulator:", err)
		os.Exit(1)
	}
}

func run(f flags, log *slog.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ca, err := simtls.NewCA()
	if err != nil {
		return err
	}
	p8, pub, err := apnssim.GenerateKey()
	if err != nil {
		return err
	}
	fcm := fcmsim.New(fcmsim.Options{ProjectID: f.projectID, Latency: f.latency})
	account, err := fcmsim.ServiceAccountJSON("https://"+f.fcmAddr+"/token", f.projectID)
	if err != nil {
		return err
	}
	if err := fcm.RegisterServiceAccount(account); err != nil {
		return err
	}
	apns := apnssim.New(apnssim.Options{TeamID: f.apnsTeamID, KeyID: f.apnsKeyID, Topic: f.topic, PublicKey: pub, Latency: f.latency})
	openim := openimsim.New(openimsim.Options{Secret: f.openimSecret,
		Webhooks: openimsim.WebhookConfig{URL: f.webhookURL, DropRate: f.webhookDropRate}})
	servers := []*http.Server{
		{Addr: f.openimAddr, Handler: openim},
		{Addr: f.fcmAddr, Handler: fcm, TLSConfig: ca.ServerTLSConfig()},
		{Addr: f.apnsAddr, Handler: apns, TLSConfig: ca.ServerTLSConfig(),
			HTTP2: &http.HTTP2Config{MaxConcurrentStreams: 1000}},
	}
	// Listen on every port before writing a file: a second simulator whose
	// ports are taken must not overwrite the running one's CA and keys.
	listeners := make([]net.Listener, len(servers))
	for i, s := range servers {
		ln, err := net.Listen("tcp", s.Addr)
		if err != nil {
			return err
		}
		defer ln.Close()
		listeners[i] = ln
	}
	if err := writeFiles(f, ca.CertPEM(), account, p8); err != nil {
		return err
	}
	errc := make(chan error, len(servers))
	for i, s := range servers {
		go func() { errc <- serve(s, listeners[i]) }()
	}
	log.Info("simulators ready", "openim", "http://"+f.openimAddr, "fcm", "https://"+f.fcmAddr,
		"apns", "https://"+f.apnsAddr, "env", filepath.Join(f.dir, "env.sh"))
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	for _, s := range servers {
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = s.Shutdown(shutdown)
		cancel()
	}
	return err
}

func serve(s *http.Server, ln net.Listener) error {
	var err error
	if s.TLSConfig != nil {
		err = s.ServeTLS(ln, "", "")
	} else {
		err = s.Serve(ln)
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

func writeFiles(f flags, caPEM, account, p8 []byte) error {
	if err := os.MkdirAll(f.dir, 0o700); err != nil {
		return err
	}
	abs, err := filepath.Abs(f.dir)
	if err != nil {
		return err
	}
	files := map[string][]byte{
		"ca.pem":                   caPEM,
		"fcm-service-account.json": account,
		"apns-key.p8":              p8,
		"env.sh": fmt.Appendf(nil, `# Settings that point a worker at these simulators (written by simulator).
export IMSHIFT_OPENIM_API_URL=http://%s
export IMSHIFT_OPENIM_ADMIN_USER_ID=imAdmin
export IMSHIFT_OPENIM_SECRET=%s
export IMSHIFT_FCM_CREDENTIALS_FILE=%s/fcm-service-account.json
export IMSHIFT_FCM_PROJECT_ID=%s
export IMSHIFT_FCM_ENDPOINT=https://%s
export IMSHIFT_APNS_KEY_FILE=%s/apns-key.p8
export IMSHIFT_APNS_KEY_ID=%s
export IMSHIFT_APNS_TEAM_ID=%s
export IMSHIFT_APNS_TOPIC=%s
export IMSHIFT_APNS_ENDPOINT=https://%s
export IMSHIFT_TLS_CA_FILE=%s/ca.pem
`, f.openimAddr, f.openimSecret, abs, f.projectID, f.fcmAddr, abs, f.apnsKeyID, f.apnsTeamID, f.topic, f.apnsAddr, abs),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(f.dir, name), b, 0o600); err != nil {
			return err
		}
	}
	return nil
}
