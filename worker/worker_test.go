package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/imshift/imshift/testbed/faults/report"
	"github.com/imshift/imshift/testbed/simulator/fcmsim"
	"github.com/imshift/imshift/testbed/simulator/openimsim"
	"github.com/imshift/imshift/testbed/simulator/simtest"
	"github.com/imshift/imshift/testbed/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// buildWorker compiles this command once per test into a temp dir.
func buildWorker(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "worker")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// stack is a worker's full environment: simulators over real HTTP(S) and
// the real PostgreSQL, Redis and Temporal.
type stack struct {
	env     []string
	secrets []string // strings that must never reach a log
	fcm     *fcmsim.Server
	metrics string
	http    string
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func newStack(t *testing.T) *stack {
	t.Helper()
	_, dbURL := testenv.Database(t)
	_, redisURL := testenv.Redis(t)
	openimSecret := "openim-secret-" + t.Name()
	openim := httptest.NewServer(openimsim.New(openimsim.Options{Secret: openimSecret}))
	t.Cleanup(openim.Close)
	providers := simtest.Start(t)
	account, err := os.ReadFile(providers.FCMKeyFile)
	if err != nil {
		t.Fatal(err)
	}
	p8, err := os.ReadFile(providers.APNsKeyFile)
	if err != nil {
		t.Fatal(err)
	}
	var acct struct {
		PrivateKey string `json:"private_key"`
	}
	if err := json.Unmarshal(account, &acct); err != nil {
		t.Fatal(err)
	}
	s := &stack{fcm: providers.FCM, metrics: freeAddr(t), http: freeAddr(t)}
	apiToken := "api-token-" + strings.Repeat("z", 20)
	// PostgreSQL here trusts loopback, so a password in the URL is accepted
	// and must still never be printed.
	dbURL = strings.Replace(dbURL, "postgres@", "postgres:db-password-xyz@", 1)
	s.env = append(append(os.Environ(), providers.Env()...),
		"TEMPORAL_ADDRESS="+testenv.TemporalAddress(t),
		"IMSHIFT_TASK_QUEUE=worker-test-"+fmt.Sprint(time.Now().UnixNano()),
		"IMSHIFT_DATABASE_URL="+dbURL,
		"IMSHIFT_REDIS_URL="+redisURL,
		"IMSHIFT_OPENIM_API_URL="+openim.URL,
		"IMSHIFT_OPENIM_SECRET="+openimSecret,
		"IMSHIFT_API_TOKENS="+apiToken,
		"IMSHIFT_HTTP_ADDR="+s.http,
		"IMSHIFT_METRICS_ADDR="+s.metrics,
	)
	s.secrets = []string{openimSecret, apiToken, "db-password-xyz", pemBody(acct.PrivateKey), pemBody(string(p8))}
	return s
}

// pemBody is a line from the middle of a PEM block: enough to spot a leak.
func pemBody(p string) string {
	lines := strings.Split(strings.TrimSpace(p), "\n")
	return lines[len(lines)/2]
}

// refusal runs the worker with one setting replaced and returns its one
// line of stderr; the worker must exit without serving.
func refusal(t *testing.T, bin string, s *stack, name, value string) string {
	t.Helper()
	var env []string
	for _, kv := range s.env {
		if !strings.HasPrefix(kv, name+"=") {
			env = append(env, kv)
		}
	}
	cmd := exec.Command(bin)
	cmd.Env = append(env, name+"="+value)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err == nil {
		t.Fatalf("worker started with %s=%q", name, value)
	}
	return strings.TrimSpace(stderr.String())
}

func TestMissingSettingIsOneLineNamingIt(t *testing.T) {
	bin := buildWorker(t)
	s := newStack(t)
	if got := refusal(t, bin, s, "IMSHIFT_OPENIM_SECRET", ""); got != "worker: setting IMSHIFT_OPENIM_SECRET: is missing" {
		t.Fatalf("stderr = %q", got)
	}
	if got := refusal(t, bin, s, "IMSHIFT_METRICS_ADDR", s.http); !strings.HasPrefix(got, "worker: setting IMSHIFT_METRICS_ADDR: must differ") {
		t.Fatalf("same address for API and metrics: stderr = %q", got)
	}
}

// A worker whose Redis does not answer refuses to start, naming the
// setting and never its value (which may hold a password).
func TestFaultUnreachableRedisStopsTheStart(t *testing.T) {
	report.Record(t, &report.Row{Fault: "IMSHIFT_REDIS_URL unreachable", Running: "worker start",
		Delivered: report.NA, Duplicated: report.NA, Lost: report.NA, Registered: report.NA, Outcome: "refused, naming the setting, not its value"})
	bin := buildWorker(t)
	s := newStack(t)
	addr := freeAddr(t)
	got := refusal(t, bin, s, "IMSHIFT_REDIS_URL", "redis://:redis-pass-xyz@"+addr+"/3")
	if !strings.HasPrefix(got, "worker: setting IMSHIFT_REDIS_URL: Redis does not answer PING") || strings.Contains(got, "\n") {
		t.Fatalf("stderr = %q", got)
	}
	for _, secret := range []string{"redis-pass-xyz", addr} {
		if strings.Contains(got, secret) {
			t.Fatalf("stderr shows the setting's value: %q", got)
		}
	}
}

func TestWorkerServesHealthMetricsAndAPIWithoutLeakingSecrets(t *testing.T) {
	bin := buildWorker(t)
	s := newStack(t)
	var logs bytes.Buffer
	cmd := exec.Command(bin)
	cmd.Env = s.env
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	waitHealthy(t, "http://"+s.metrics+"/healthz", &logs)

	for _, path := range []string{"/healthz", "/metrics"} {
		if code := status(t, "http://"+s.http+path, "Bearer "+s.secrets[1]); code != http.StatusNotFound {
			t.Errorf("API address serves %s: %d, want 404 (only IMSHIFT_METRICS_ADDR serves it)", path, code)
		}
	}
	metrics := get(t, "http://"+s.metrics+"/metrics", "")
	for _, want := range []string{"temporal_", "imshift_"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics has no %s series", want)
		}
	}
	token := "fcm-token-of-a-real-user-0001"
	body := `{"userId":"u1","platform":"android","provider":"fcm","token":"` + token + `","appId":"a","locale":"en","timeZone":"UTC"}`
	if code := post(t, "http://"+s.http+"/v1/devices", "", body); code != http.StatusUnauthorized {
		t.Fatalf("POST /v1/devices without auth = %d, want 401", code)
	}
	if code := post(t, "http://"+s.http+"/v1/devices", "Bearer wrong-"+s.secrets[1], body); code != http.StatusUnauthorized {
		t.Fatalf("POST /v1/devices with a wrong token = %d, want 401", code)
	}
	if code := post(t, "http://"+s.http+"/v1/devices", "Bearer "+s.secrets[1], body); code/100 != 2 {
		t.Fatalf("POST /v1/devices = %d", code)
	}
	push := `{"userId":"u1","category":"otp","title":"Code","body":"123456","ttl":"1m","idempotencyKey":"worker-test-otp-1"}`
	if code := post(t, "http://"+s.http+"/v1/push", "Bearer "+s.secrets[1], push); code != http.StatusAccepted {
		t.Fatalf("POST /v1/push = %d", code)
	}
	testenv.WaitFor(t, "the push at the FCM simulator", func() bool { return s.fcm.Delivered(token) > 0 })
	if n := s.fcm.Delivered(token); n != 1 {
		t.Fatalf("FCM simulator delivered %d pushes to the device, want 1\n%s", n, logs.String())
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("worker did not stop cleanly on SIGTERM: %v\n%s", err, logs.String())
	}
	out := logs.String()
	for _, secret := range append(s.secrets, token) {
		if strings.Contains(out, secret) {
			t.Errorf("logs contain a secret or device token (%d chars)", len(secret))
		}
	}
	if !strings.Contains(out, "worker started") {
		t.Errorf("logs lack the start line:\n%s", out)
	}
}

func waitHealthy(t *testing.T, url string, logs *bytes.Buffer) {
	t.Helper()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("worker logs:\n%s", logs.String())
		}
	})
	testenv.WaitFor(t, "the worker's /healthz to answer 200", func() bool {
		resp, err := http.Get(url)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

func get(t *testing.T, url, auth string) string {
	t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func status(t *testing.T, url, auth string) int {
	t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	req.Header.Set("Authorization", auth)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func post(t *testing.T, url, auth, body string) int {
	t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
