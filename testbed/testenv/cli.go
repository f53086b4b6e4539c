package testenv

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"
)

// TemporalCLI runs the pinned temporal CLI (bin/temporal) against the test
// server and returns its output; a failing command fails the test.
func TemporalCLI(ctx context.Context, t *testing.T, args ...string) string {
	t.Helper()
	args = append(args, "--address", TemporalAddress(t))
	out, err := exec.CommandContext(ctx, filepath.Join(ModuleRoot(), "bin", "temporal"), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("temporal %v: %v\n%s", args, err, out)
	}
	return string(out)
}
