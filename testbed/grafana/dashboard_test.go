// Package grafana checks deploy/grafana/imshift.json against the code: every
// metric the dashboard queries is one the worker exports.
package grafana

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/imshift/imshift/testbed/testenv"
)

type dashboard struct {
	Panels []struct {
		Title   string `json:"title"`
		Targets []struct {
			Expr string `json:"expr"`
		} `json:"targets"`
	} `json:"panels"`
}

var metricName = regexp.MustCompile(`\b(imshift|temporal)_[a-z0-9_]+`)

func TestDashboardQueriesOnlyExportedMetrics(t *testing.T) {
	root := testenv.ModuleRoot()
	raw, err := os.ReadFile(filepath.Join(root, "deploy", "grafana", "imshift.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("imshift.json: %v", err)
	}
	ours, sdk := imshiftMetrics(t, root), sdkMetrics(t)
	queried := 0
	for _, p := range d.Panels {
		for _, target := range p.Targets {
			for _, name := range metricName.FindAllString(target.Expr, -1) {
				queried++
				if !exported(name, ours, sdk) {
					t.Errorf("panel %q queries %s, which the code does not export", p.Title, name)
				}
			}
		}
	}
	if queried < 10 {
		t.Fatalf("only %d metric references found", queried)
	}
	// The panels: migration progress and parity beside the rest.
	for _, want := range []string{"imshift_migration_routing_percent", "imshift_migration_provisioned_users_total",
		"imshift_migration_analysis_online_ratio", "imshift_migration_analysis_online_users", "imshift_push_results_total",
		"imshift_provider_send_seconds_bucket"} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("no panel queries %s", want)
		}
	}
}

// imshiftMetrics are the names of the Prometheus collectors registered in
// the product's Go code (Name: "imshift_..." in their options).
func imshiftMetrics(t *testing.T, root string) map[string]bool {
	re := regexp.MustCompile(`Name:\s*"(imshift_[a-z0-9_]+)"`)
	out := map[string]bool{}
	for _, dir := range []string{"activities", "internal", "workflows", "worker"} {
		err := filepath.Walk(filepath.Join(root, dir), func(path string, info os.FileInfo, err error) error {
			if err != nil || info.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			b, err := os.ReadFile(path)
			for _, m := range re.FindAllStringSubmatch(string(b), -1) {
				out[m[1]] = true
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// sdkMetrics are the Temporal SDK's metric names, from the SDK module the
// build uses, as the worker's Prometheus naming scope exports them.
func sdkMetrics(t *testing.T) map[string]bool {
	dir, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "go.temporal.io/sdk").Output()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(dir)), "internal", "common", "metrics", "constants.go"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, m := range regexp.MustCompile(`TemporalMetricsPrefix \+ "([a-z0-9_]+)"`).FindAllStringSubmatch(string(b), -1) {
		out["temporal_"+m[1]] = true
	}
	return out
}

// exported: name itself, or name as a counter (_total), a timer (_seconds)
// or a histogram's series (_bucket, _sum, _count).
func exported(name string, ours, sdk map[string]bool) bool {
	base := name
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		base = strings.TrimSuffix(base, suffix)
	}
	if ours[name] || ours[base] {
		return true
	}
	for _, suffix := range []string{"_total", "_seconds"} {
		if sdk[strings.TrimSuffix(base, suffix)] && strings.HasSuffix(base, suffix) {
			return true
		}
	}
	return false
}
