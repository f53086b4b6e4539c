package e2e

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/imshift/imshift/testbed/testenv"
)

// demo is the demo stack of `make dev`, brought up by the test on free
// ports in a namespace of its own: fresh worker, starter and simulator
// binaries in <dir>/bin beside the pinned temporal CLI, the demo seed, and
// the env.sh that dev.sh writes, written by dev.sh's own lines.
type demo struct {
	t        *testing.T
	dir      string
	env      []string // the environment the commands run in
	api, cdc string   // worker API and codec server addresses
}

func newDemo(t *testing.T) *demo {
	root := testenv.ModuleRoot()
	d := &demo{t: t, dir: t.TempDir(), api: testenv.FreeAddr(t), cdc: testenv.FreeAddr(t)}
	bin := filepath.Join(d.dir, "bin")
	must(t, os.MkdirAll(filepath.Join(d.dir, ".dev"), 0o755))
	must(t, os.MkdirAll(bin, 0o755))
	for _, pkg := range []string{"./worker", "./starter", "./testbed/simulator"} {
		must(t, os.Rename(testenv.Binary(t, pkg), filepath.Join(bin, filepath.Base(pkg))))
	}
	must(t, os.Symlink(filepath.Join(root, "bin", "temporal"), filepath.Join(bin, "temporal")))
	must(t, os.Symlink(filepath.Join(root, "examples"), filepath.Join(d.dir, "examples")))
	_, dbURL := testenv.Database(t)
	_, redisURL := testenv.Redis(t)
	addr := testenv.TemporalAddress(t)
	ns := "readme-" + randomSuffix()
	d.run("namespace", filepath.Join(bin, "temporal"), "operator", "namespace", "create", "--namespace", ns, "--address", addr)
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	d.env = append(os.Environ(), "TEMPORAL_ADDRESS="+addr, "TEMPORAL_NAMESPACE="+ns,
		"IMSHIFT_DATABASE_URL="+dbURL, "IMSHIFT_REDIS_URL="+redisURL, "IMSHIFT_API_TOKENS=dev-token-change-me-0001",
		"IMSHIFT_HTTP_ADDR="+d.api, "IMSHIFT_METRICS_ADDR="+testenv.FreeAddr(t), "IMSHIFT_CODEC_ADDR="+d.cdc,
		"IMSHIFT_CODEC_KEYS=dev1:"+base64.StdEncoding.EncodeToString(key), "state=.dev", "codec=http://"+d.cdc)
	testenv.StartProcess(t, "simulator", d.env, filepath.Join(bin, "simulator"), "--dir", filepath.Join(d.dir, ".dev", "sim"),
		"--openim-addr", testenv.FreeAddr(t), "--fcm-addr", testenv.FreeAddr(t), "--apns-addr", testenv.FreeAddr(t))
	testenv.WaitFor(t, "the simulator's env.sh", func() bool {
		_, err := os.Stat(filepath.Join(d.dir, ".dev", "sim", "env.sh"))
		return err == nil
	})
	d.bash("dev.sh's env.sh", devScript(t, `(?s)\n(cat >"\$state/env.sh" <<ENV\n.*?\nENV)\n`))
	d.bash("worker setup", "source .dev/env.sh && worker setup")
	d.run("demo seed", "psql", dbURL, "-q", "-v", "ON_ERROR_STOP=1", "-v", "n=300", "-f", filepath.Join(root, "testbed", "scripts", "demo-seed.sql"))
	testenv.StartProcess(t, "worker", d.env, "bash", "-c", "cd "+d.dir+" && source .dev/env.sh && exec worker")
	health := "http://" + strings.TrimPrefix(envValue(d.env, "IMSHIFT_METRICS_ADDR"), "http://") + "/healthz"
	testenv.WaitFor(t, "the worker's /healthz", func() bool {
		res, err := http.Get(health)
		if err == nil {
			res.Body.Close()
		}
		return err == nil && res.StatusCode == http.StatusOK
	})
	return d
}

// devScript is the first group of expr in dev.sh.
func devScript(t *testing.T, expr string) string {
	b, err := os.ReadFile(filepath.Join(testenv.ModuleRoot(), "testbed", "scripts", "dev.sh"))
	must(t, err)
	m := regexp.MustCompile(expr).FindSubmatch(b)
	if m == nil {
		t.Fatalf("dev.sh has no %s", expr)
	}
	return string(m[1])
}

func (d *demo) run(what, name string, args ...string) string {
	d.t.Helper()
	out, err := d.cmd(name, args...).CombinedOutput()
	if err != nil {
		d.t.Fatalf("%s: %v\n%s", what, err, out)
	}
	return string(out)
}

func (d *demo) cmd(name string, args ...string) *exec.Cmd {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	d.t.Cleanup(cancel)
	c := exec.CommandContext(ctx, name, args...)
	c.Dir, c.Env = d.dir, d.env
	return c
}

// bash runs script in the demo directory as an operator's shell would.
func (d *demo) bash(what, script string) string {
	d.t.Helper()
	return d.run(what, "bash", "-c", "set -euo pipefail\n"+script)
}

// watch runs a command that follows a run until it ends, for a few
// seconds: it must print and not fail in that time.
func (d *demo) watch(line string) string {
	d.t.Helper()
	out, err := d.cmd("bash", "-c", "source .dev/env.sh && timeout 6 "+line).CombinedOutput()
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 124) || len(out) == 0 || strings.Contains(string(out), "starter:") {
		d.t.Fatalf("%s: %v\n%s", line, err, out)
	}
	return string(out)
}

func envValue(env []string, key string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(env[i], key+"="); ok {
			return v
		}
	}
	return ""
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// bannerCommands are the copy-paste lines of dev.sh's ready banner, with
// the demo's addresses for the fixed ones make dev listens on.
func (d *demo) bannerCommands() []string {
	block := devScript(d.t, `(?s)Try, in another shell[^\n]*\n(.*?)\n\n`)
	r := strings.NewReplacer(`$state`, ".dev", `$codec`, "http://"+d.cdc, `\$`, "$", "127.0.0.1:8080", d.api)
	var lines []string
	for _, l := range strings.Split(block, "\n") {
		lines = append(lines, r.Replace(strings.TrimSpace(l)))
	}
	return lines
}

// readmeBlocks are README.md's fenced blocks of the given language.
func readmeBlocks(t *testing.T, lang string) []string {
	b, err := os.ReadFile(filepath.Join(testenv.ModuleRoot(), "README.md"))
	must(t, err)
	var out []string
	for _, m := range regexp.MustCompile("(?s)```"+lang+"\n(.*?)```").FindAllStringSubmatch(string(b), -1) {
		out = append(out, m[1])
	}
	return out
}

func blockWith(t *testing.T, blocks []string, marker string) string {
	for _, b := range blocks {
		if strings.Contains(b, marker) {
			return b
		}
	}
	t.Fatalf("README.md has no block with %q", marker)
	return ""
}

// readmeRuns are README.md's sh blocks, each named by a line it holds, and
// what each must print on the demo. The README's first block (make dev,
// make test) is the one not run: this test's stack is make dev's.
var readmeRuns = []struct {
	marker string
	want   []string
}{
	// Payloads print decoded (env.sh's TEMPORAL_CODEC_ENDPOINT), the status indented.
	{"W=migration-openim-2027q1", []string{`"migrationId": "openim-2027q1",`, "now paused", "migration openim-2027q1 ended: aborted"}},
	{"campaign start -f campaign.json", []string{"campaign   spring-sale-2027\nstate      ", `"campaignId": "spring-sale-2027"`,
		"sent cancel to campaign spring-sale-2027", "% cancelled", "wrong segment"}},
	{"schedule create --id weekly-digest", []string{"created schedule weekly-digest", "cron       0 9 * * MON\n"}},
	{"--type SendPush", []string{"sent"}},
	{"presence-reconcile", nil},
}

// TestReadmeAndBannerCommands runs, on the demo stack, every line of the
// ready banner and the README's command blocks, exactly as written, with
// the README's migration plan saved as plan.json and its campaign as
// campaign.json (as the README says). Its output goes to a pipe, so the
// watches must print plain lines: no carriage return, no escape codes.
func TestReadmeAndBannerCommands(t *testing.T) {
	t.Parallel()
	d := newDemo(t)
	for _, line := range d.bannerCommands() {
		if strings.Contains(line, " watch ") {
			t.Logf("%s\n%s", line, d.watch(line))
			continue
		}
		out := d.bash(line, "source .dev/env.sh\n"+line)
		t.Logf("%s\n%s", line, out)
		switch {
		case strings.Contains(line, "/v1/push") && !strings.Contains(out, `"workflowId"`),
			strings.Contains(line, "/presence") && !strings.Contains(out, `"userId":"demo_000002"`),
			strings.Contains(line, "--type status") && !strings.Contains(out, `"migrationId": "demo",`):
			t.Fatalf("%s answered:\n%s", line, out)
		}
	}

	jsons, blocks := readmeBlocks(t, "json"), readmeBlocks(t, "sh")
	must(t, os.WriteFile(filepath.Join(d.dir, "plan.json"), []byte(blockWith(t, jsons, `"openim-2027q1"`)), 0o600))
	must(t, os.WriteFile(filepath.Join(d.dir, "campaign.json"), []byte(blockWith(t, jsons, `"spring-sale-2027"`)), 0o600))
	if len(blocks) != len(readmeRuns)+1 {
		t.Fatalf("README.md has %d sh blocks; this test runs %d and make dev's", len(blocks), len(readmeRuns))
	}
	for _, r := range readmeRuns {
		out := d.bash("README block "+r.marker, "source .dev/env.sh\n"+blockWith(t, blocks, r.marker))
		t.Logf("README block %s:\n%s", r.marker, out)
		for _, want := range r.want {
			if !strings.Contains(out, want) {
				t.Errorf("README block %s did not print %q", r.marker, want)
			}
		}
		if strings.ContainsAny(out, "\r\033") {
			t.Errorf("README block %s redrew lines in a pipe: %q", r.marker, out)
		}
	}
}
