package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"

	"github.com/imshift/imshift/testbed/rigs/campaigntest"
	"github.com/imshift/imshift/testbed/testenv"
	"github.com/imshift/imshift/workflows/campaign"
)

// runCmd runs `starter <args>` with the campaign and schedule verbs and
// returns its output.
func runCmd(ctx context.Context, a *app, args ...string) (string, error) {
	root := &cobra.Command{Use: "starter", SilenceUsage: true, SilenceErrors: true}
	root.AddCommand(campaignCommand(a), scheduleCommand(a))
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	return out.String(), err
}

func writeCampaign(t *testing.T, c any) string {
	t.Helper()
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "campaign.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Bad input is refused, naming the field, before Temporal is dialed.
func TestCampaignStartRefusesBadInput(t *testing.T) {
	a := &app{taskQueue: "nowhere"}
	t.Setenv("TEMPORAL_ADDRESS", "127.0.0.1:1")
	good := campaigntest.Spec("c1")
	cases := []struct {
		file string
		want string
	}{
		{writeCampaign(t, map[string]any{"campaignId": "c1", "quietHour": map[string]string{"start": "21:00"}}),
			"quietHour: unknown field"},
		{writeCampaign(t, func() campaign.Campaign { c := good; c.Filter.Platforms = []string{"tv"}; return c }()),
			"invalid campaign: filter.platforms[0]: must be ios, android or web"},
		{writeCampaign(t, func() campaign.Campaign { c := good; c.Audience.UserIDs = []string{"u"}; return c }()),
			"invalid campaign: audience:"},
		{writeCampaign(t, func() campaign.Campaign { c := good; c.Options.TTL = "a week"; return c }()),
			"invalid campaign: options.ttl:"},
	}
	for _, c := range cases {
		_, err := runCmd(context.Background(), a, "campaign", "start", "-f", c.file)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want %q", err, c.want)
		}
	}
	_, err := runCmd(context.Background(), a, "schedule", "create", "--id", "d", "--cron", "0 9 * * MON",
		"--time-zone", "Mars/Olympus", "-f", writeCampaign(t, good))
	if err == nil || !strings.Contains(err.Error(), "--time-zone") {
		t.Errorf("bad time zone: %v", err)
	}
	if a.c != nil {
		t.Fatal("the starter dialed Temporal for bad input")
	}
}

// Every campaign verb against a real Temporal server and a worker running
// the real workflow and activities against the simulators.
func TestCampaignVerbsEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	r := campaigntest.New(t)
	r.StartWorker(t, campaign.Tuning{PageSize: 50, Window: 4, PlanPages: 4, PagesPerRun: 100})
	devices := r.Seed(t, campaigntest.SeedSpec{FCM: 200, APNs: 200})
	a := &app{taskQueue: r.TaskQueue, c: r.Temporal}
	c := campaigntest.Spec("starter-verbs")
	c.RatePerSecond = 100
	file := writeCampaign(t, c)

	out, err := runCmd(ctx, a, "campaign", "start", "-f", file)
	if err != nil || !strings.Contains(out, "started campaign starter-verbs") {
		t.Fatalf("start: %v\n%s", err, out)
	}
	if _, err := runCmd(ctx, a, "campaign", "start", "-f", file); err == nil || !strings.Contains(err.Error(), "already running") {
		t.Errorf("second start: %v", err)
	}
	testenv.WaitFor(t, "the first pushes", func() bool { return r.TotalDelivered() >= 50 })
	if out, err := runCmd(ctx, a, "campaign", "pause", "starter-verbs"); err != nil {
		t.Fatalf("pause: %v\n%s", err, out)
	}
	testenv.WaitFor(t, "the pause", func() bool {
		out, err := runCmd(ctx, a, "campaign", "status", "starter-verbs", "--json")
		var p campaign.Progress
		return err == nil && json.Unmarshal([]byte(out), &p) == nil && p.State == campaign.CampaignPaused
	})
	checkCampaignUI(ctx, t, "starter-verbs")
	out, err = runCmd(ctx, a, "campaign", "status", "starter-verbs")
	if err != nil || !strings.Contains(out, "state      paused") || !strings.Contains(out, "targeted   400 (apns 200, fcm 200)\n") ||
		strings.Contains(out, "map[") {
		t.Errorf("status: %v\n%s", err, out)
	}
	if out, err := runCmd(ctx, a, "campaign", "resume", "starter-verbs"); err != nil {
		t.Fatalf("resume: %v\n%s", err, out)
	}
	out, err = runCmd(ctx, a, "campaign", "watch", "starter-verbs", "--every", "200ms")
	// Not a terminal: one plain line per change, nothing redrawn.
	if err != nil || !strings.Contains(out, "100% completed") || !strings.Contains(out, "sent 400") || strings.ContainsAny(out, "\r\033") {
		t.Errorf("watch: %q: %v", out, err)
	}
	checkEventSummaries(ctx, t, r.Temporal, "starter-verbs")
	for _, d := range devices {
		if r.Delivered(d) != 1 {
			t.Fatalf("device %d delivered %d times", d.ID, r.Delivered(d))
		}
	}

	c2 := campaigntest.Spec("starter-cancel")
	c2.RatePerSecond = 20
	if _, err := runCmd(ctx, a, "campaign", "start", "-f", writeCampaign(t, c2)); err != nil {
		t.Fatal(err)
	}
	if out, err := runCmd(ctx, a, "campaign", "cancel", "starter-cancel", "--reason", "wrong segment"); err != nil {
		t.Fatalf("cancel: %v\n%s", err, out)
	}
	out, err = runCmd(ctx, a, "campaign", "watch", "starter-cancel", "--every", "200ms")
	if err != nil || !strings.Contains(out, "cancelled") || !strings.Contains(out, "wrong segment") {
		t.Errorf("watch after cancel: %v\n%s", err, out)
	}
}

// checkCampaignUI reads what the Temporal UI shows of a paused campaign the
// starter started: its summary (describe) and current details (metadata).
func checkCampaignUI(ctx context.Context, t *testing.T, id string) {
	t.Helper()
	wf := campaign.CampaignWorkflowID(id)
	checks := []struct{ verb, want string }{
		{"describe", `"summary": "campaign ` + id + ` (marketing): all devices, 100/s, “Spring sale”"`},
		{"metadata", `"currentDetails": "**paused** · `},
		{"metadata", ` of 400 done (`},
		{"metadata", `- reason: paused by an operator`},
	}
	for _, c := range checks {
		if out := testenv.TemporalCLI(ctx, t, "workflow", c.verb, "--workflow-id", wf, "-o", "json"); !strings.Contains(out, c.want) {
			t.Errorf("temporal workflow %s lacks %s:\n%s", c.verb, c.want, out)
		}
	}
}

// checkEventSummaries reads the summaries of a finished campaign's
// activities and timers from its history.
func checkEventSummaries(ctx context.Context, t *testing.T, tc client.Client, id string) {
	t.Helper()
	summaries := strings.Join(testenv.EventSummaries(ctx, t, tc, campaign.CampaignWorkflowID(id), ""), "\n")
	for _, want := range []string{"store the message, count the audience", "plan main-pass pages after device 0",
		"page 1 (main pass, devices ", "raise the stop flag: paused", "read progress from the ledger", "next progress refresh"} {
		if !strings.Contains(summaries, want) {
			t.Errorf("event summaries lack %q:\n%s", want, summaries)
		}
	}
}

// Every schedule verb against a real Temporal server; the triggered run
// gets its campaign id from the schedule id and its scheduled time.
func TestScheduleVerbsEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	r := campaigntest.New(t)
	r.StartWorker(t, campaign.Tuning{PageSize: 50, Window: 4, PlanPages: 4, PagesPerRun: 100})
	r.Seed(t, campaigntest.SeedSpec{FCM: 10, APNs: 10})
	a := &app{taskQueue: r.TaskQueue, c: r.Temporal}
	id := "digest-" + time.Now().Format("150405.000")
	file := writeCampaign(t, campaigntest.Spec("ignored-for-schedules"))
	t.Cleanup(func() { _, _ = runCmd(context.Background(), a, "schedule", "delete", id) })

	out, err := runCmd(ctx, a, "schedule", "create", "--id", id, "--cron", "0 9 * * MON", "--time-zone", "Europe/Berlin", "-f", file)
	if err != nil || !strings.Contains(out, "created schedule "+id) {
		t.Fatalf("create: %v\n%s", err, out)
	}
	testenv.WaitFor(t, "the schedule in the list", func() bool {
		out, err := runCmd(ctx, a, "schedule", "list")
		return err == nil && strings.Contains(out, id)
	})
	out, err = runCmd(ctx, a, "schedule", "describe", id)
	if err != nil || !strings.Contains(out, "Europe/Berlin") || !strings.Contains(out, "cron       0 9 * * MON\n") ||
		!strings.Contains(strings.ToLower(out), "skip") ||
		!strings.Contains(out, "overlap    skip\n") || !strings.Contains(out, "catch-up   5m\n") || !strings.Contains(out, "next ") {
		t.Errorf("describe: %v\n%s", err, out)
	}
	if _, err := runCmd(ctx, a, "schedule", "pause", id); err != nil {
		t.Fatal(err)
	}
	if out, _ := runCmd(ctx, a, "schedule", "describe", id); !strings.Contains(out, "paused     yes") {
		t.Errorf("after pause:\n%s", out)
	}
	var desc scheduleJSON
	out, err = runCmd(ctx, a, "schedule", "describe", id, "--json")
	if err != nil || json.Unmarshal([]byte(out), &desc) != nil || !desc.Paused || len(desc.Cron) != 1 ||
		desc.Cron[0] != "0 9 * * MON" || desc.TimeZone != "Europe/Berlin" || desc.CatchupWindow != "5m" || len(desc.Next) == 0 {
		t.Errorf("describe --json: %v %+v\n%s", err, desc, out)
	}
	var rows []scheduleRow
	out, err = runCmd(ctx, a, "schedule", "list", "--json")
	if err != nil || json.Unmarshal([]byte(out), &rows) != nil || !slices.ContainsFunc(rows, func(r scheduleRow) bool {
		return r.ID == id && r.Paused && r.Workflow == campaign.PushCampaignName
	}) {
		t.Errorf("list --json: %v\n%s", err, out)
	}
	if _, err := runCmd(ctx, a, "schedule", "unpause", id); err != nil {
		t.Fatal(err)
	}
	if _, err := runCmd(ctx, a, "schedule", "trigger", id); err != nil {
		t.Fatal(err)
	}
	var workflowID string
	testenv.WaitFor(t, "the triggered run", func() bool {
		out, err := runCmd(ctx, a, "schedule", "describe", id)
		for _, line := range strings.Split(out, "\n") {
			if f := strings.Fields(line); err == nil && len(f) == 3 && f[0] == "recent" {
				workflowID = f[2]
			}
		}
		return workflowID != ""
	})
	campaignID := strings.TrimPrefix(workflowID, "campaign-")
	if !strings.HasPrefix(campaignID, id+"-") {
		t.Fatalf("triggered run %s", workflowID)
	}
	out, err = runCmd(ctx, a, "campaign", "watch", campaignID, "--every", "200ms")
	if err != nil || !strings.Contains(out, "100% completed") || !strings.Contains(out, "sent 20") {
		t.Errorf("watch the triggered run: %v\n%s", err, out)
	}
	want := `"summary": "scheduled campaign ` + id + ` (marketing): all devices, “Spring sale”"`
	if out := testenv.TemporalCLI(ctx, t, "workflow", "describe", "--workflow-id", workflowID, "-o", "json"); !strings.Contains(out, want) {
		t.Errorf("temporal workflow describe of the triggered run lacks %s:\n%s", want, out)
	}
	if _, err := runCmd(ctx, a, "schedule", "delete", id); err != nil {
		t.Fatal(err)
	}
	if _, err := runCmd(ctx, a, "schedule", "describe", id); err == nil {
		t.Error("describe after delete succeeded")
	}
}
