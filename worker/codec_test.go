package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/imshift/imshift/testbed/testenv"
	"github.com/imshift/imshift/workflows/sendpush"
)

// startWorker runs bin with env until the test ends and waits for /healthz.
func startWorker(t *testing.T, bin string, env []string, metricsAddr string) *bytes.Buffer {
	t.Helper()
	var logs bytes.Buffer
	cmd := exec.Command(bin)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	waitHealthy(t, "http://"+metricsAddr+"/healthz", &logs)
	return &logs
}

// temporalCLI runs the pinned CLI against the test server and fails the
// test if it fails.
func temporalCLI(t *testing.T, args ...string) string {
	t.Helper()
	out, err := runTemporalCLI(t, args...)
	if err != nil {
		t.Fatalf("temporal %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func runTemporalCLI(t *testing.T, args ...string) (string, error) {
	cli := filepath.Join(testenv.ModuleRoot(), "bin", "temporal")
	args = append(args, "--address", testenv.TemporalAddress(t))
	out, err := exec.Command(cli, args...).CombinedOutput()
	return string(out), err
}

// With IMSHIFT_CODEC_KEYS set, a SendPush's title, body and user id are not
// in Temporal's history; the worker's codec server shows them to an operator
// who has its token.
func TestSendPushHistoryIsEncryptedAndTheCodecServerShowsIt(t *testing.T) {
	bin := buildWorker(t)
	s := newStack(t)
	codecAddr, codecToken := freeAddr(t), "codec-token-"+strings.Repeat("q", 16)
	key := "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
	env := append(s.env, "IMSHIFT_CODEC_KEYS="+key, "IMSHIFT_CODEC_ADDR="+codecAddr, "IMSHIFT_CODEC_TOKENS="+codecToken)
	logs := startWorker(t, bin, env, s.metrics)

	userID, title, body := "codec_user_7731", "Sign-in code", "OTP-918273"
	device := `{"userId":"` + userID + `","platform":"android","provider":"fcm","token":"fcm-token-codec-0001","appId":"a","locale":"en","timeZone":"UTC"}`
	if code := post(t, "http://"+s.http+"/v1/devices", "Bearer "+s.secrets[1], device); code/100 != 2 {
		t.Fatalf("POST /v1/devices = %d", code)
	}
	idemKey := "codec-test-" + time.Now().Format(time.RFC3339Nano)
	push := `{"userId":"` + userID + `","category":"otp","title":"` + title + `","body":"` + body + `","ttl":"1m","idempotencyKey":"` + idemKey + `"}`
	if code := post(t, "http://"+s.http+"/v1/push", "Bearer "+s.secrets[1], push); code != 202 {
		t.Fatalf("POST /v1/push = %d", code)
	}
	id := sendpush.SendPushWorkflowID(idemKey)
	temporalCLI(t, "workflow", "result", "--workflow-id", id)

	plain := payloadText(t, temporalCLI(t, "workflow", "show", "--workflow-id", id, "--output", "json"))
	for _, secret := range []string{userID, title, body} {
		if strings.Contains(plain, secret) {
			t.Errorf("history without the codec shows %q", secret)
		}
	}
	if !strings.Contains(plain, "binary/encrypted") {
		t.Errorf("history holds no encrypted payload:\n%s", plain)
	}
	decoded := payloadText(t, temporalCLI(t, "workflow", "show", "--workflow-id", id, "--output", "json",
		"--codec-endpoint", "http://"+codecAddr, "--codec-auth", "Bearer "+codecToken))
	for _, secret := range []string{userID, title, body} {
		if !strings.Contains(decoded, secret) {
			t.Errorf("history through the codec server lacks %q:\n%s", secret, decoded)
		}
	}
	if strings.Contains(logs.String(), "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8") {
		t.Error("the worker logged the codec key")
	}
}

// payloadText is the CLI's JSON history with every payload's base64 data and
// metadata decoded and appended, so a test can look for plaintext.
func payloadText(t *testing.T, history string) string {
	t.Helper()
	var doc any
	if err := json.Unmarshal([]byte(history), &doc); err != nil {
		t.Fatalf("history is not JSON: %v", err)
	}
	var b strings.Builder
	b.WriteString(history)
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if s, ok := x.(string); ok && (k == "data" || k == "encoding") {
					raw, _ := base64.StdEncoding.DecodeString(s)
					b.WriteString("\n")
					b.Write(raw)
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(doc)
	return b.String()
}
