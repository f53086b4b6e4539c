package main

import (
	"path/filepath"
	"testing"

	"github.com/imshift/imshift/testbed/testenv"
	"github.com/imshift/imshift/workflows/campaign"
	"github.com/imshift/imshift/workflows/migration"
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
	c, err := readInput[campaign.Campaign](filepath.Join(dir, "campaign-demo.json"), "campaign")
	if err != nil {
		t.Fatal(err)
	}
	if err := campaign.ValidateCampaign(c); err != nil {
		t.Errorf("examples/campaign-demo.json: %v", err)
	}
}
