package migration

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/imshift/imshift/internal/field"
)

func TestValidateNamesTheField(t *testing.T) {
	cases := []struct {
		name   string
		change func(p *Plan)
		want   string
	}{
		{"id", func(p *Plan) { p.MigrationID = "" }, "migrationId: must be"},
		{"id chars", func(p *Plan) { p.MigrationID = "a b" }, "migrationId: must be"},
		{"no steps", func(p *Plan) { p.Steps = nil }, "steps: must hold at least one step"},
		{"zero", func(p *Plan) { p.Steps[0].Percent = 0 }, "steps[0].percent: must be greater than 0 and at most 100 (it is 0)"},
		{"over 100", func(p *Plan) { p.Steps[3].Percent = 101 }, "steps[3].percent: must be greater than 0 and at most 100 (it is 101)"},
		{"NaN", func(p *Plan) { p.Steps[1].Percent = math.NaN() }, "steps[1].percent: must be greater than 0"},
		{"below a bucket", func(p *Plan) { p.Steps[0].Percent = 0.004 }, "steps[0].percent: must be at least 0.01"},
		{"not increasing", func(p *Plan) { p.Steps[2].Percent = 10 }, "steps[2].percent: must be greater than steps[1].percent (10)"},
		{"same bucket", func(p *Plan) { p.Steps[1].Percent = 1.001 }, "steps[1].percent: moves no bucket beyond steps[0].percent (1)"},
		{"bake", func(p *Plan) { p.Steps[1].Bake = "2 hours" }, `steps[1].bake: "2 hours" is not a duration`},
		{"negative bake", func(p *Plan) { p.Steps[1].Bake = "-1h" }, `steps[1].bake: must be positive`},
		{"allow id", func(p *Plan) { p.AllowUsers = []string{"ok", ""} }, "allowUsers[1]: user id is empty"},
		{"deny id", func(p *Plan) { p.DenyUsers = []string{"has space"} }, "denyUsers[0]: user id contains spaces"},
		{"interval", func(p *Plan) { p.Analysis.Interval = "" }, `analysis.interval: "" is not a duration`},
		{"interval zero", func(p *Plan) { p.Analysis.Interval = "0s" }, `analysis.interval: must be positive`},
		{"sample", func(p *Plan) { p.Analysis.SampleSize = 0 }, "analysis.sampleSize: must be between 1 and 100000 (it is 0)"},
		{"min ratio", func(p *Plan) { p.Analysis.MinOpenimOnlineRatio = 1.5 }, "analysis.minOpenimOnlineRatio: must be a ratio between 0 and 1 (it is 1.5)"},
		{"legacy ratio", func(p *Plan) { p.Analysis.MaxLegacyOnlineRatio = -0.1 }, "analysis.maxLegacyOnlineRatio: must be a ratio"},
		{"error ratio", func(p *Plan) { p.Analysis.MaxProvisionErrorRatio = 2 }, "analysis.maxProvisionErrorRatio: must be a ratio"},
		{"failure limit", func(p *Plan) { p.Analysis.FailureLimit = -1 }, "analysis.failureLimit: must be 0 or more (it is -1)"},
		{"error limit", func(p *Plan) { p.Analysis.ConsecutiveErrorLimit = -2 }, "analysis.consecutiveErrorLimit: must be 0 or more (it is -2)"},
		{"onFailure", func(p *Plan) { p.OnFailure = "panic" }, `onFailure: must be "rollback" or "pause", not "panic"`},
		{"decommission", func(p *Plan) { p.Steps = p.Steps[:2] }, "decommission: needs the last step at 100 percent (it is 10)"},
		{"continued", func(p *Plan) { p.Continued = &Carried{} }, "continued: is set by the workflow itself"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := basePlan()
			c.change(&p)
			err := Validate(p)
			var pe *field.Error
			if !errors.As(err, &pe) || !strings.HasPrefix(err.Error(), c.want) {
				t.Fatalf("got %v, want prefix %q", err, c.want)
			}
		})
	}
	ok := basePlan()
	ok.OnFailure = ""
	ok.Steps[0].Bake = ""
	ok.Steps[0].Percent = 0.01
	ok.AllowUsers = []string{"6f1c2d3e-0000-4000-8000-000000000001", "José"}
	if err := Validate(ok); err != nil {
		t.Fatalf("valid plan refused: %v", err)
	}
}

// The issue's example input is a valid plan, field for field.
func TestIssueExamplePlan(t *testing.T) {
	raw, err := os.ReadFile("testdata/plan.json")
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	var p Plan
	if err := dec.Decode(&p); err != nil {
		t.Fatal(err)
	}
	if err := Validate(p); err != nil {
		t.Fatal(err)
	}
	if p.MigrationID != "openim-2027q1" || len(p.Steps) != 4 || !p.Steps[2].Approval || p.Steps[1].Bake != "2h" ||
		p.Analysis.ConsecutiveErrorLimit != 4 || p.Analysis.MaxProvisionErrorRatio != 0.001 || p.onFailure() != OnFailureRollback {
		t.Fatalf("decoded %+v", p)
	}
}
