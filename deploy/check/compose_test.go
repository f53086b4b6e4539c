package check

import (
	"context"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// composeEnv is what an operator puts in deploy/.env.
var composeEnv = map[string]string{
	"POSTGRES_PASSWORD":      "pg-password-0001",
	"IMSHIFT_CODEC_KEYS":     "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
	"IMSHIFT_CODEC_TOKENS":   "codec-token-0123456789",
	"IMSHIFT_API_TOKENS":     "api-token-0123456789",
	"IMSHIFT_OPENIM_API_URL": "http://openim:10002",
	"IMSHIFT_OPENIM_SECRET":  "openim-secret",
	"IMSHIFT_FCM_PROJECT_ID": "my-project",
	"IMSHIFT_APNS_KEY_ID":    "ABC123DEFG",
	"IMSHIFT_APNS_TEAM_ID":   "TEAM123456",
	"IMSHIFT_APNS_TOPIC":     "com.example.chat",
}

func loadCompose(t *testing.T, env map[string]string) (*types.Project, error) {
	t.Helper()
	var list []string
	for k, v := range env {
		list = append(list, k+"="+v)
	}
	opts, err := cli.NewProjectOptions([]string{"../compose.yaml"},
		cli.WithEnv(list), cli.WithWorkingDirectory(".."), cli.WithConsistency(true), cli.WithResolvedPaths(true))
	if err != nil {
		t.Fatal(err)
	}
	return opts.LoadProject(context.Background())
}

func TestComposeStack(t *testing.T) {
	p, err := loadCompose(t, composeEnv)
	if err != nil {
		t.Fatal(err)
	}
	svc := func(name string) types.ServiceConfig {
		s, err := p.GetService(name)
		if err != nil {
			t.Fatalf("compose has no %s service", name)
		}
		return s
	}
	temporal := svc("temporal")
	if temporal.Image != "temporalio/auto-setup:1.29.1" || *temporal.Environment["DB"] != "postgres12" ||
		*temporal.Environment["POSTGRES_SEEDS"] != "postgres" {
		t.Errorf("temporal: image %s, DB %v: want server 1.29.1 on PostgreSQL", temporal.Image, temporal.Environment["DB"])
	}
	if _, ok := temporal.DependsOn["postgres"]; !ok {
		t.Error("temporal does not wait for postgres")
	}
	ui := svc("temporal-ui")
	if ep := ui.Environment["TEMPORAL_CODEC_ENDPOINT"]; ep == nil || *ep != "http://localhost:8081" {
		t.Errorf("temporal-ui codec endpoint = %v", ep)
	}
	svc("postgres")
	svc("redis")
	for _, name := range []string{"worker", "setup"} {
		w := svc(name)
		if w.Build == nil || w.Build.Dockerfile != "deploy/Dockerfile" || w.Build.Target != "worker" {
			t.Errorf("%s is not built from deploy/Dockerfile (target worker): %+v", name, w.Build)
		}
		if keys := w.Environment["IMSHIFT_CODEC_KEYS"]; keys == nil || *keys != composeEnv["IMSHIFT_CODEC_KEYS"] {
			t.Errorf("%s does not encrypt payloads", name)
		}
	}
	w := svc("worker")
	if dep, ok := w.DependsOn["setup"]; !ok || dep.Condition != types.ServiceConditionCompletedSuccessfully {
		t.Errorf("worker does not wait for a successful setup: %+v", w.DependsOn)
	}
	if *w.Environment["IMSHIFT_CODEC_ADDR"] != ":8081" || !strings.Contains(*w.Environment["IMSHIFT_DATABASE_URL"], "@postgres:5432/") {
		t.Errorf("worker environment: %v", w.Environment)
	}
	if len(w.Secrets) != 2 {
		t.Errorf("worker secrets = %v, want the FCM and APNs key files", w.Secrets)
	}
	if svc("setup").Command[0] != "setup" {
		t.Errorf("setup command = %v", svc("setup").Command)
	}
}

func TestComposeNamesAMissingSetting(t *testing.T) {
	env := map[string]string{}
	for k, v := range composeEnv {
		env[k] = v
	}
	delete(env, "IMSHIFT_CODEC_KEYS")
	_, err := loadCompose(t, env)
	if err == nil || !strings.Contains(err.Error(), "IMSHIFT_CODEC_KEYS") {
		t.Fatalf("load without IMSHIFT_CODEC_KEYS: err = %v, want one naming it", err)
	}
}
