package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func validWorkerEnv(t *testing.T) map[string]string {
	dir := t.TempDir()
	creds := filepath.Join(dir, "fcm.json")
	key := filepath.Join(dir, "apns.p8")
	for _, f := range []string{creds, key} {
		if err := os.WriteFile(f, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return map[string]string{
		"IMSHIFT_DATABASE_URL":         "postgres://imshift:hunter2-db-password@127.0.0.1:5432/imshift",
		"IMSHIFT_OPENIM_API_URL":       "http://127.0.0.1:10002",
		"IMSHIFT_OPENIM_SECRET":        "openim-secret-value",
		"IMSHIFT_FCM_CREDENTIALS_FILE": creds,
		"IMSHIFT_FCM_PROJECT_ID":       "demo",
		"IMSHIFT_APNS_KEY_FILE":        key,
		"IMSHIFT_APNS_KEY_ID":          "ABC123DEFG",
		"IMSHIFT_APNS_TEAM_ID":         "TEAM123456",
		"IMSHIFT_APNS_TOPIC":           "com.example.chat",
		"IMSHIFT_API_TOKENS":           "token-aaaaaaaaaaaaaaaa,token-bbbbbbbbbbbbbbbb",
	}
}

func lookup(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestLoadWorkerDefaults(t *testing.T) {
	w, err := LoadWorker(lookup(validWorkerEnv(t)))
	if err != nil {
		t.Fatal(err)
	}
	if w.TaskQueue != "imshift" || w.OpenIM.AdminUserID != "imAdmin" || w.APNs.Endpoint != "https://api.push.apple.com" ||
		w.FCM.RatePerSecond != 10000 || len(w.APITokens) != 2 || w.UserDirectory != "imshift.demo_users" {
		t.Fatalf("defaults not applied: %+v", w)
	}
}

func TestLoadWorkerNamesTheBadSettingWithoutItsValue(t *testing.T) {
	cases := []struct{ name, value, want string }{
		{"IMSHIFT_OPENIM_SECRET", "", "setting IMSHIFT_OPENIM_SECRET: is missing"},
		{"IMSHIFT_DATABASE_URL", "hunter2-db-password", "setting IMSHIFT_DATABASE_URL: is not a URL"},
		{"IMSHIFT_FCM_CREDENTIALS_FILE", "/nonexistent/fcm.json", "setting IMSHIFT_FCM_CREDENTIALS_FILE: file"},
		{"IMSHIFT_FCM_RATE_PER_SECOND", "fast", "setting IMSHIFT_FCM_RATE_PER_SECOND: \"fast\" is not"},
		{"IMSHIFT_API_TOKENS", "short", "setting IMSHIFT_API_TOKENS: every token"},
		{"IMSHIFT_USER_DIRECTORY", "users; drop table x", "setting IMSHIFT_USER_DIRECTORY: must be"},
		{"IMSHIFT_SHUTDOWN_GRACE", "-1s", "setting IMSHIFT_SHUTDOWN_GRACE:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := validWorkerEnv(t)
			env[c.name] = c.value
			_, err := LoadWorker(lookup(env))
			if err == nil || !strings.HasPrefix(err.Error(), c.want) {
				t.Fatalf("got %v, want prefix %q", err, c.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error spans lines: %q", err)
			}
			for _, secret := range []string{"hunter2-db-password", "openim-secret-value", "token-aaaa"} {
				if strings.Contains(err.Error(), secret) {
					t.Fatalf("error leaks a secret: %q", err)
				}
			}
		})
	}
}

func TestLoadWorkerNotify(t *testing.T) {
	secret := "0123456789abcdef0123456789abcdef"
	slack := "https://hooks.slack.com/services/T0/B0/hunter2slackpath"
	cases := []struct {
		urls, secret, want string
	}{
		{"", "", ""},
		{slack, "", ""}, // Slack alone needs no signing secret
		{"https://ops.example.com/hook, " + slack, secret, ""},
		{"https://ops.example.com/hook", "", "setting IMSHIFT_NOTIFY_SECRET: is missing"},
		{"https://ops.example.com/hook", "short", "setting IMSHIFT_NOTIFY_SECRET: must be at least"},
		{slack + ",ftp://hunter2@example.com/x", secret, "setting IMSHIFT_NOTIFY_WEBHOOK_URLS: entry 2 is not"},
	}
	for _, c := range cases {
		env := validWorkerEnv(t)
		env["IMSHIFT_NOTIFY_WEBHOOK_URLS"], env["IMSHIFT_NOTIFY_SECRET"] = c.urls, c.secret
		w, err := LoadWorker(lookup(env))
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%q: %v", c.urls, err)
		case c.want != "" && (err == nil || !strings.HasPrefix(err.Error(), c.want)):
			t.Errorf("%q: got %v, want prefix %q", c.urls, err, c.want)
		case err != nil && (strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "short")):
			t.Errorf("error leaks a value: %q", err)
		case c.want == "" && c.urls == slack && (len(w.Notify.WebhookURLs) != 1 || w.Notify.WebhookURLs[0] != slack):
			t.Errorf("urls not read: %+v", w.Notify)
		}
	}
}
