// Package check verifies deploy/ with the real tools, without Docker or a
// cluster: the Helm chart by `helm lint` and `helm template` (the rendered
// objects asserted here), the compose file by the compose-spec loader. It is
// its own module so the main module does not carry these libraries.
package check

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

const chart = "../helm/imshift"

// helm runs bin/helm (make tools builds it) and fails the test on error.
func helm(t *testing.T, args ...string) string {
	t.Helper()
	bin, err := filepath.Abs("../../bin/helm")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("bin/helm is missing: run `make tools` (%v)", err)
	}
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("helm %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

type object = map[string]any

// render is `helm template` of the chart, as objects by kind and name.
func render(t *testing.T, set ...string) map[string]object {
	t.Helper()
	args := []string{"template", "prod", chart, "--namespace", "imshift"}
	for _, s := range set {
		args = append(args, "--set", s)
	}
	dec := yaml.NewDecoder(strings.NewReader(helm(t, args...)))
	objs := map[string]object{}
	for {
		var o object
		err := dec.Decode(&o)
		if errors.Is(err, io.EOF) {
			return objs
		}
		if err != nil {
			t.Fatal(err)
		}
		if o != nil {
			objs[str(o, "kind")+"/"+str(o, "metadata", "name")] = o
		}
	}
}

// at walks maps and lists (an int key indexes a list).
func at(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func str(v any, path ...any) string { s, _ := at(v, path...).(string); return s }

func TestHelmLintPasses(t *testing.T) {
	out := helm(t, "lint", "--strict", chart)
	if !strings.Contains(out, "0 chart(s) failed") {
		t.Fatalf("helm lint:\n%s", out)
	}
}

func TestWorkerDeployment(t *testing.T) {
	objs := render(t)
	d := objs["Deployment/prod-imshift"]
	if d == nil {
		t.Fatalf("no worker Deployment in %v", keys(objs))
	}
	pod := at(d, "spec", "template", "spec")
	c := at(pod, "containers", 0)
	if got := str(c, "readinessProbe", "httpGet", "path"); got != "/healthz" {
		t.Errorf("readiness probe path = %q, want /healthz", got)
	}
	if at(c, "livenessProbe") == nil {
		t.Error("no liveness probe")
	}
	if at(c, "resources", "requests", "cpu") == nil || at(c, "resources", "limits", "memory") == nil {
		t.Errorf("resources = %v", at(c, "resources"))
	}
	// Graceful stop: the pod's grace > the worker's drain > the longest
	// activity heartbeat timeout (1m).
	env := envOf(t, c)
	drain, err := time.ParseDuration(env["IMSHIFT_SHUTDOWN_GRACE"].value)
	if err != nil {
		t.Fatal(err)
	}
	grace, _ := at(pod, "terminationGracePeriodSeconds").(int)
	if drain <= time.Minute || time.Duration(grace)*time.Second <= drain {
		t.Errorf("terminationGracePeriodSeconds %d, IMSHIFT_SHUTDOWN_GRACE %v: want grace > drain > 1m heartbeat", grace, drain)
	}
	if env["IMSHIFT_BUILD_ID"].value != "0.1.0" || env["IMSHIFT_DEPLOYMENT_NAME"].value != "imshift" {
		t.Errorf("build id %q, deployment %q", env["IMSHIFT_BUILD_ID"].value, env["IMSHIFT_DEPLOYMENT_NAME"].value)
	}
}

func TestEveryCredentialComesFromASecret(t *testing.T) {
	objs := render(t, "temporal.apiKeySecret.name=temporal-cloud", "temporal.tlsSecret=temporal-mtls")
	credentials := []string{"IMSHIFT_DATABASE_URL", "IMSHIFT_REDIS_URL", "IMSHIFT_API_TOKENS", "IMSHIFT_OPENIM_SECRET",
		"IMSHIFT_CODEC_KEYS", "IMSHIFT_CODEC_TOKENS", "TEMPORAL_API_KEY"}
	for _, name := range []string{"Deployment/prod-imshift", "Job/prod-imshift-setup"} {
		pod := at(objs[name], "spec", "template", "spec")
		env := envOf(t, at(pod, "containers", 0))
		for _, cred := range credentials {
			e, ok := env[cred]
			if !ok {
				if name == "Job/prod-imshift-setup" && cred != "IMSHIFT_DATABASE_URL" && cred != "IMSHIFT_CODEC_KEYS" && cred != "TEMPORAL_API_KEY" {
					continue // setup needs only the database and Temporal
				}
				t.Errorf("%s: %s is not set", name, cred)
				continue
			}
			if e.secret == "" || e.value != "" {
				t.Errorf("%s: %s is not a secretKeyRef", name, cred)
			}
		}
		if !strings.Contains(mustYAML(t, pod), "secretName: temporal-mtls") {
			t.Errorf("%s: the mTLS client certificate Secret is not mounted", name)
		}
	}
	for _, file := range []string{"fcm", "apns"} {
		if !strings.Contains(mustYAML(t, objs["Deployment/prod-imshift"]), "secretName: imshift-"+file) {
			t.Errorf("the %s key file is not mounted from its Secret", file)
		}
	}
	for key := range objs {
		if strings.HasPrefix(key, "Secret/") {
			t.Errorf("the chart renders %s: credentials must be referenced, not held", key)
		}
	}
}

func TestSetupJobRunsBeforeInstallAndUpgrade(t *testing.T) {
	job := render(t)["Job/prod-imshift-setup"]
	if got := str(job, "metadata", "annotations", "helm.sh/hook"); got != "pre-install,pre-upgrade" {
		t.Errorf("hook = %q", got)
	}
	if args := at(job, "spec", "template", "spec", "containers", 0, "args"); mustYAML(t, args) != "- setup\n" {
		t.Errorf("setup job args = %v, want [setup]", args)
	}
}

func TestScalingDisruptionServicesAndMonitoring(t *testing.T) {
	objs := render(t)
	hpa := objs["HorizontalPodAutoscaler/prod-imshift"]
	if str(hpa, "spec", "scaleTargetRef", "name") != "prod-imshift" {
		t.Errorf("HPA target = %v", at(hpa, "spec", "scaleTargetRef"))
	}
	if at(objs["PodDisruptionBudget/prod-imshift"], "spec", "minAvailable") == nil {
		t.Error("no PodDisruptionBudget with minAvailable")
	}
	for svc, port := range map[string]string{"Service/prod-imshift-api": "api", "Service/prod-imshift-codec": "codec", "Service/prod-imshift-metrics": "metrics"} {
		if str(objs[svc], "spec", "ports", 0, "targetPort") != port {
			t.Errorf("%s does not target port %s", svc, port)
		}
	}
	if _, ok := objs["ServiceMonitor/prod-imshift"]; ok {
		t.Error("ServiceMonitor rendered while serviceMonitor.enabled is false")
	}
	sm := render(t, "serviceMonitor.enabled=true")["ServiceMonitor/prod-imshift"]
	if str(sm, "spec", "endpoints", 0, "path") != "/metrics" {
		t.Errorf("ServiceMonitor = %v", sm)
	}
	if _, ok := render(t, "autoscaling.enabled=false")["HorizontalPodAutoscaler/prod-imshift"]; ok {
		t.Error("HPA rendered while autoscaling is off")
	}
}

type envVar struct{ value, secret string }

func envOf(t *testing.T, container any) map[string]envVar {
	t.Helper()
	env := map[string]envVar{}
	list, _ := at(container, "env").([]any)
	for _, e := range list {
		env[str(e, "name")] = envVar{value: str(e, "value"), secret: str(e, "valueFrom", "secretKeyRef", "name")}
	}
	return env
}

func mustYAML(t *testing.T, v any) string {
	t.Helper()
	var b bytes.Buffer
	if err := yaml.NewEncoder(&b).Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func keys(m map[string]object) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
