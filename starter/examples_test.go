package main

import (
	"path/filepath"
	"testing"

	"github.com/imshift/imshift/internal/testenv"
	"github.com/imshift/imshift/workflows/migration"
	"github.com/imshift/imshift/workflows/push"
)

// The inputs make dev prints commands for must stay valid.
func TestExampleInputsAreValid(t *testing.T) {
	dir := filepath.Join(testenv.ModuleRoot(), "examples")
	plan, err := readInput[migration.Plan](filepath.Join(dir, "migration-demo.json"), "migration plan")
	if err != nil {
		t.Fatal(err)
	}
	if err := migration.Validate(plan); err != nil {
		t.Errorf("examples/migration-demo.json: %v", err)
	}
	c, err := readInput[push.Campaign](filepath.Join(dir, "campaign-demo.json"), "campaign")
	if err != nil {
		t.Fatal(err)
	}
	if err := push.ValidateCampaign(c); err != nil {
		t.Errorf("examples/campaign-demo.json: %v", err)
	}
}
