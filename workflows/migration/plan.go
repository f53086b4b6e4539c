package migration

import (
	"fmt"
	"math"
	"regexp"
	"time"

	migact "github.com/imshift/imshift/activities/migration"
	"github.com/imshift/imshift/internal/cohort"
	"github.com/imshift/imshift/internal/field"
)

// Plan is the workflow input, as an operator writes it (docs/migration.md).
type Plan struct {
	MigrationID  string   `json:"migrationId"`
	Steps        []Step   `json:"steps"`
	AllowUsers   []string `json:"allowUsers"`
	DenyUsers    []string `json:"denyUsers"`
	Analysis     Analysis `json:"analysis"`
	OnFailure    string   `json:"onFailure"`
	Decommission bool     `json:"decommission"`
	DryRun       bool     `json:"dryRun"`
	// Continued is the state a run hands to the next on continue-as-new. The
	// workflow sets it; an operator's plan never does.
	Continued *Carried `json:"continued,omitempty"`
}

// Step is one rollout stage: route Percent of users to OpenIM, bake for
// Bake with health analysis, then wait for promote if Approval.
type Step struct {
	Percent  float64 `json:"percent"`
	Bake     string  `json:"bake"`
	Approval bool    `json:"approval"`
}

// Analysis configures the health checks run during every bake.
type Analysis struct {
	Interval               string  `json:"interval"`
	SampleSize             int     `json:"sampleSize"`
	MinOpenimOnlineRatio   float64 `json:"minOpenimOnlineRatio"`
	MaxLegacyOnlineRatio   float64 `json:"maxLegacyOnlineRatio"`
	MaxProvisionErrorRatio float64 `json:"maxProvisionErrorRatio"`
	FailureLimit           int     `json:"failureLimit"`
	ConsecutiveErrorLimit  int     `json:"consecutiveErrorLimit"`
}

// What onFailure may say; empty means rollback.
const (
	OnFailureRollback = "rollback"
	OnFailurePause    = "pause"
)

// Limits of a plan, so a typo cannot put a million ids into every activity
// input.
const (
	MaxSteps      = 100
	MaxListUsers  = 10000
	MaxSampleSize = 100000
)

var migrationIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// ErrInvalidPlan is the type of the non-retryable application error a run
// fails with when its plan is refused; the message names the field.
const ErrInvalidPlan = "InvalidPlan"

// Validate returns the first problem of p as a *field.Error naming its field,
// or nil. The workflow runs it before any side effect; the starter runs it
// before starting anything.
func Validate(p Plan) error {
	if p.Continued != nil {
		return field.Errorf("continued", "is set by the workflow itself on continue-as-new; leave it out")
	}
	if !migrationIDPattern.MatchString(p.MigrationID) {
		return field.Errorf("migrationId", "must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")
	}
	if err := validateSteps(p.Steps); err != nil {
		return err
	}
	for _, l := range []struct {
		name string
		ids  []string
	}{{"allowUsers", p.AllowUsers}, {"denyUsers", p.DenyUsers}} {
		if err := validateUsers(l.name, l.ids); err != nil {
			return err
		}
	}
	if err := validateAnalysis(p.Analysis); err != nil {
		return err
	}
	if p.OnFailure != "" && p.OnFailure != OnFailureRollback && p.OnFailure != OnFailurePause {
		return field.Errorf("onFailure", "must be %q or %q, not %q", OnFailureRollback, OnFailurePause, p.OnFailure)
	}
	if p.Decommission && p.Steps[len(p.Steps)-1].Percent != 100 {
		return field.Errorf("decommission", "needs the last step at 100 percent (it is %v)", p.Steps[len(p.Steps)-1].Percent)
	}
	return nil
}

func validateSteps(steps []Step) error {
	if len(steps) == 0 {
		return field.Errorf("steps", "must hold at least one step")
	}
	if len(steps) > MaxSteps {
		return field.Errorf("steps", "must hold at most %d steps", MaxSteps)
	}
	for i, s := range steps {
		at := fmt.Sprintf("steps[%d]", i)
		switch {
		case math.IsNaN(s.Percent) || s.Percent <= 0 || s.Percent > 100:
			return field.Errorf(at+".percent", "must be greater than 0 and at most 100 (it is %v)", s.Percent)
		case cohort.Threshold(s.Percent) == 0:
			return field.Errorf(at+".percent", "must be at least 0.01 (one bucket)")
		case i > 0 && s.Percent <= steps[i-1].Percent:
			return field.Errorf(at+".percent", "must be greater than steps[%d].percent (%v)", i-1, steps[i-1].Percent)
		case i > 0 && cohort.Threshold(s.Percent) == cohort.Threshold(steps[i-1].Percent):
			return field.Errorf(at+".percent", "moves no bucket beyond steps[%d].percent (%v); percents count in steps of 0.01", i-1, steps[i-1].Percent)
		}
		if _, err := parseDuration(s.Bake, true); err != nil {
			return field.Errorf(at+".bake", "%v", err)
		}
	}
	return nil
}

func validateUsers(list string, ids []string) error {
	if len(ids) > MaxListUsers {
		return field.Errorf(list, "must hold at most %d users", MaxListUsers)
	}
	for i, id := range ids {
		if err := migact.CheckLegacyUserID(id); err != nil {
			return field.Errorf(fmt.Sprintf("%s[%d]", list, i), "user id %v", err)
		}
	}
	return nil
}

func validateAnalysis(a Analysis) error {
	if _, err := parseDuration(a.Interval, false); err != nil {
		return field.Errorf("analysis.interval", "%v", err)
	}
	if a.SampleSize < 1 || a.SampleSize > MaxSampleSize {
		return field.Errorf("analysis.sampleSize", "must be between 1 and %d (it is %d)", MaxSampleSize, a.SampleSize)
	}
	for _, r := range []struct {
		name  string
		value float64
	}{
		{"minOpenimOnlineRatio", a.MinOpenimOnlineRatio},
		{"maxLegacyOnlineRatio", a.MaxLegacyOnlineRatio},
		{"maxProvisionErrorRatio", a.MaxProvisionErrorRatio},
	} {
		if math.IsNaN(r.value) || r.value < 0 || r.value > 1 {
			return field.Errorf("analysis."+r.name, "must be a ratio between 0 and 1 (it is %v)", r.value)
		}
	}
	if a.FailureLimit < 0 {
		return field.Errorf("analysis.failureLimit", "must be 0 or more (it is %d)", a.FailureLimit)
	}
	if a.ConsecutiveErrorLimit < 0 {
		return field.Errorf("analysis.consecutiveErrorLimit", "must be 0 or more (it is %d)", a.ConsecutiveErrorLimit)
	}
	return nil
}

// parseDuration reads a Go duration ("90s", "5m", "2h"). An empty bake is
// no bake; an interval must be positive.
func parseDuration(s string, zeroOK bool) (time.Duration, error) {
	if s == "" && zeroOK {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		return 0, fmt.Errorf("%q is not a duration like 30m or 2h", s)
	case d < 0 || d == 0 && !zeroOK:
		return 0, fmt.Errorf("must be positive (it is %q)", s)
	}
	return d, nil
}

// bake and interval read durations Validate has accepted.
func (s Step) bake() time.Duration {
	d, _ := parseDuration(s.Bake, true)
	return d
}

func (a Analysis) interval() time.Duration {
	d, _ := parseDuration(a.Interval, false)
	return d
}

func (p Plan) onFailure() string {
	if p.OnFailure == "" {
		return OnFailureRollback
	}
	return p.OnFailure
}

func (p Plan) thresholds() []int {
	t := make([]int, len(p.Steps))
	for i, s := range p.Steps {
		t[i] = cohort.Threshold(s.Percent)
	}
	return t
}
