package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/imshift/imshift/testbed/testenv"
	"github.com/imshift/imshift/workflows/campaign"
	"github.com/imshift/imshift/workflows/migration"
)

// Two builds of the worker in one Worker Deployment on the real dev server:
// a PushCampaign started on v1 is Pinned and finishes on v1 after v2 has
// become current (the runbook's `set-current-version`); a TrafficMigration
// started on v1 is AutoUpgrade and goes on under v2.
func TestCampaignStaysOnItsBuildAndMigrationMovesToTheNewOne(t *testing.T) {
	bin := buildWorker(t)
	s := newStack(t)
	deployment := fmt.Sprintf("imshift-test-%d", time.Now().UnixNano())
	v1 := append(s.env, "IMSHIFT_DEPLOYMENT_NAME="+deployment, "IMSHIFT_BUILD_ID=v1")
	startWorker(t, bin, v1, s.metrics)
	waitCurrent(t, deployment, "v1") // a fresh deployment adopts its first build

	ctx := context.Background()
	tc := testenv.Temporal(t)
	queue := envValue(s.env, "IMSHIFT_TASK_QUEUE")
	userID := "versioned_user_1"
	device := `{"userId":"` + userID + `","platform":"android","provider":"fcm","token":"fcm-token-versioned-1","appId":"a","locale":"en","timeZone":"UTC"}`
	if code := post(t, "http://"+s.http+"/v1/devices", "Bearer "+s.secrets[1], device); code/100 != 2 {
		t.Fatalf("POST /v1/devices = %d", code)
	}
	// Started paused (signal-with-start), so it is still running when v2 arrives.
	campaignID := "versioned-" + deployment
	camp, err := tc.SignalWithStartWorkflow(ctx, campaign.CampaignWorkflowID(campaignID), campaign.SignalPause, nil,
		signalWithStart(campaign.StartCampaignOptions(campaignID, queue)), campaign.PushCampaignName, map[string]any{
			"campaignId": campaignID, "category": "marketing",
			"audience": map[string]any{"userIds": []string{userID}},
			"message":  map[string]any{"title": "Hello", "body": "from v1"},
		})
	if err != nil {
		t.Fatal(err)
	}
	migrationID := "versioned_" + fmt.Sprint(time.Now().UnixNano())
	mig, err := tc.SignalWithStartWorkflow(ctx, migration.WorkflowID(migrationID), migration.SignalPause,
		map[string]string{"reason": "waiting for v2"}, signalWithStart(migration.StartOptions(migrationID, queue)), migration.WorkflowName,
		map[string]any{
			"migrationId": migrationID,
			"steps":       []map[string]any{{"percent": 1, "bake": "1h", "approval": true}},
			"analysis": map[string]any{"interval": "10m", "sampleSize": 10, "minOpenimOnlineRatio": 0.5,
				"maxLegacyOnlineRatio": 0.5, "maxProvisionErrorRatio": 0.5, "failureLimit": 3, "consecutiveErrorLimit": 3},
			"onFailure": "pause",
		})
	if err != nil {
		t.Fatal(err)
	}
	waitTaskDone(t, tc, camp.GetID(), "v1")
	waitTaskDone(t, tc, mig.GetID(), "v1")

	v2 := append(s.env, "IMSHIFT_DEPLOYMENT_NAME="+deployment, "IMSHIFT_BUILD_ID=v2",
		"IMSHIFT_HTTP_ADDR="+freeAddr(t), "IMSHIFT_METRICS_ADDR="+freeAddr(t))
	startWorker(t, bin, v2, envValue(v2, "IMSHIFT_METRICS_ADDR"))
	setCurrent(t, deployment, "v2")

	if err := tc.SignalWorkflow(ctx, camp.GetID(), "", campaign.SignalResume, nil); err != nil {
		t.Fatal(err)
	}
	var progress campaign.Progress
	if err := camp.Get(ctx, &progress); err != nil {
		t.Fatal(err)
	}
	if progress.State != campaign.CampaignCompleted || s.fcm.Delivered("fcm-token-versioned-1") != 1 {
		t.Fatalf("campaign ended %q, delivered %d, want completed and 1", progress.State, s.fcm.Delivered("fcm-token-versioned-1"))
	}
	builds := taskBuilds(t, tc, camp.GetID())
	t.Logf("campaign workflow tasks ran on %v", builds)
	if strings.Join(builds, ",") != strings.Repeat("v1,", len(builds)-1)+"v1" {
		t.Fatalf("campaign workflow tasks ran on %v, want v1 only (Pinned)", builds)
	}
	if err := tc.SignalWorkflow(ctx, mig.GetID(), "", migration.SignalResume, nil); err != nil {
		t.Fatal(err)
	}
	waitTaskDone(t, tc, mig.GetID(), "v2")
	d, err := tc.DescribeWorkflowExecution(ctx, mig.GetID(), "")
	if err != nil {
		t.Fatal(err)
	}
	info := d.GetWorkflowExecutionInfo().GetVersioningInfo()
	if info.GetBehavior() != enumspb.VERSIONING_BEHAVIOR_AUTO_UPGRADE {
		t.Fatalf("migration versioning behavior = %v, want AUTO_UPGRADE", info.GetBehavior())
	}
	_ = tc.TerminateWorkflow(ctx, mig.GetID(), "", "test done")
}

// signalWithStart adapts the product's start options: signal-with-start
// takes no FAIL conflict policy (the ids here are new anyway).
func signalWithStart(o client.StartWorkflowOptions) client.StartWorkflowOptions {
	o.WorkflowIDConflictPolicy = enumspb.WORKFLOW_ID_CONFLICT_POLICY_UNSPECIFIED
	o.WorkflowExecutionErrorWhenAlreadyStarted = false
	return o
}

func envValue(env []string, name string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(env[i], name+"="); ok {
			return v
		}
	}
	return ""
}

// setCurrent is the runbook's promotion; it is retried until the server has
// seen the new build's pollers.
func setCurrent(t *testing.T, deployment, build string) {
	t.Helper()
	cli := []string{"worker", "deployment", "set-current-version", "--deployment-name", deployment, "--build-id", build, "--yes"}
	testenv.WaitFor(t, "set-current-version "+build, func() bool {
		out, err := runTemporalCLI(t, cli...)
		if err != nil {
			t.Logf("set-current-version %s: %v (%s); again", build, err, out)
		}
		return err == nil
	})
	waitCurrent(t, deployment, build)
}

func waitCurrent(t *testing.T, deployment, build string) {
	t.Helper()
	h := testenv.Temporal(t).WorkerDeploymentClient().GetHandle(deployment)
	testenv.WaitFor(t, "deployment "+deployment+" current version "+build, func() bool {
		d, err := h.Describe(context.Background(), client.WorkerDeploymentDescribeOptions{})
		return err == nil && d.Info.RoutingConfig.CurrentVersion != nil && d.Info.RoutingConfig.CurrentVersion.BuildID == build
	})
}

// waitTaskDone waits for a workflow task of the workflow completed by build.
func waitTaskDone(t *testing.T, tc client.Client, id, build string) {
	t.Helper()
	testenv.WaitFor(t, id+": a workflow task on "+build, func() bool {
		builds := taskBuilds(t, tc, id)
		return len(builds) > 0 && builds[len(builds)-1] == build
	})
}

// taskBuilds lists the build id of each completed workflow task, in order.
func taskBuilds(t *testing.T, tc client.Client, id string) []string {
	t.Helper()
	var builds []string
	it := tc.GetWorkflowHistory(context.Background(), id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		if a := e.GetWorkflowTaskCompletedEventAttributes(); a != nil {
			builds = append(builds, a.GetDeploymentVersion().GetBuildId())
		}
	}
	return builds
}
