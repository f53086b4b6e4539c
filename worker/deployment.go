package main

import (
	"context"
	"errors"
	"log/slog"
	"runtime/debug"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// deploymentOptions make the worker one version of a Worker Deployment
// (docs/releases.md): PushCampaign and SendPush stay on the build they
// started on, TrafficMigration moves to each new current build. Each
// workflow type chooses in its register.go; one that does not is Pinned,
// which is safe for any workflow shorter than a release.
func deploymentOptions(name, buildID string) worker.DeploymentOptions {
	return worker.DeploymentOptions{
		UseVersioning:             true,
		Version:                   worker.WorkerDeploymentVersion{DeploymentName: name, BuildID: buildID},
		DefaultVersioningBehavior: workflow.VersioningBehaviorPinned,
	}
}

// buildID is IMSHIFT_BUILD_ID, else the version Go stamped into the binary
// (a module version or pseudo-version from the VCS), else its VCS revision.
func buildID(override string) string {
	if override != "" {
		return override
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && s.Value != "" {
			return s.Value
		}
	}
	return "unknown"
}

// adoptIfFirst makes this build the deployment's current version when the
// deployment has none, so a first install (or `make dev`) works without an
// operator step. It never replaces a current version: promoting a new build
// is the release runbook's `set-current-version` or ramp. The server learns
// of the version from the worker's first polls, so this retries until then.
func adoptIfFirst(ctx context.Context, tc client.Client, v worker.WorkerDeploymentVersion, log *slog.Logger) {
	h := tc.WorkerDeploymentClient().GetHandle(v.DeploymentName)
	for {
		current, err := tryAdopt(ctx, h, v.BuildID)
		switch {
		case err == nil && current == v.BuildID:
			log.Info("this build is the deployment's current version", "deployment", v.DeploymentName, "buildId", v.BuildID)
			return
		case err == nil:
			log.Warn("this build is not the deployment's current version: it runs only workflows pinned to it "+
				"until promoted (docs/releases.md)", "deployment", v.DeploymentName, "buildId", v.BuildID, "current", current)
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

// tryAdopt returns the deployment's current build id, after making it
// buildID if there was none.
func tryAdopt(ctx context.Context, h client.WorkerDeploymentHandle, buildID string) (string, error) {
	desc, err := h.Describe(ctx, client.WorkerDeploymentDescribeOptions{})
	var notFound *serviceerror.NotFound
	if err != nil && !errors.As(err, &notFound) {
		return "", err
	}
	if cur := desc.Info.RoutingConfig.CurrentVersion; err == nil && cur != nil {
		return cur.BuildID, nil
	}
	_, err = h.SetCurrentVersion(ctx, client.WorkerDeploymentSetCurrentVersionOptions{
		BuildID:       buildID,
		ConflictToken: desc.ConflictToken,
	})
	return buildID, err
}
