package migration

import (
	"time"

	migact "github.com/imshift/imshift/activities/migration"
)

// State is where a migration is. The names are part of the operator
// contract (search attribute ImshiftState, status query).
type State string

const (
	StateValidating       State = "validating"
	StateProvisioning     State = "provisioning"
	StateBaking           State = "baking"
	StateAwaitingApproval State = "awaiting_approval"
	StatePaused           State = "paused"
	StateRollingBack      State = "rolling_back"
	StateRolledBack       State = "rolled_back"
	StateAborted          State = "aborted"
	StateDecommissioning  State = "decommissioning"
	StateCompleted        State = "completed"
	// StateFailed is never a run's state: it names the notification of a
	// run that ended with an error (the Temporal UI shows it as Failed).
	StateFailed State = "failed"
)

// Terminal states end the run.
func (s State) Terminal() bool { return s == StateAborted || s == StateCompleted }

// Analysis outcomes.
const (
	AnalysisPassed  = "passed"
	AnalysisFailed  = "failed"
	AnalysisErrored = "errored"
)

// Decommission stage names and their states.
const (
	StageLegacyPushOff       = "legacy_push_off"
	StageLegacyPresenceOff   = "legacy_presence_off"
	StagePresenceKeysDeleted = "presence_keys_deleted"

	StagePending = "pending"
	StageRunning = "running"
	StageDone    = "done"
)

// How many analyses, rejected signals and events the status keeps.
const (
	keepAnalyses = 10
	keepRejected = 20
	keepEvents   = 30
)

// Status is the answer of the status query (docs/migration.md §3) and the
// run's result. Step is an index into plan.steps (0-based,
// like the field names in validation errors). Percent is the routing in
// force; TargetPercent the current step's.
type Status struct {
	MigrationID     string  `json:"migrationId"`
	State           State   `json:"state"`
	DryRun          bool    `json:"dryRun"`
	Step            int     `json:"step"`
	Steps           int     `json:"steps"`
	Percent         float64 `json:"percent"`
	TargetPercent   float64 `json:"targetPercent"`
	LastHealthyStep int     `json:"lastHealthyStep"`
	FailedStep      int     `json:"failedStep"`
	MigratedUsers   int64   `json:"migratedUsers"`
	// CohortSizes[i] is the number of directory users on OpenIM at step i,
	// known once step i has been provisioned (-1 before).
	CohortSizes  []int64      `json:"cohortSizes"`
	AllowFound   int64        `json:"allowFound"`
	Routing      Routing      `json:"routing"`
	Provisioning Provisioning `json:"provisioning"`

	Failures          int              `json:"failures"`
	ConsecutiveErrors int              `json:"consecutiveErrors"`
	StepAnalyses      int              `json:"stepAnalyses"`
	Analyses          []AnalysisRecord `json:"analyses"`

	Pause           *Pause             `json:"pause,omitempty"`
	FailureReason   string             `json:"failureReason,omitempty"`
	AbortReason     string             `json:"abortReason,omitempty"`
	Aborting        bool               `json:"aborting,omitempty"`
	RejectedSignals []RejectedSignal   `json:"rejectedSignals"`
	Decommission    []DecommissionStep `json:"decommission"`
	DryRunReport    *DryRunReport      `json:"dryRunReport,omitempty"`
	Events          []Event            `json:"events"`

	StartedAt      time.Time  `json:"startedAt"`
	UpdatedAt      time.Time  `json:"updatedAt"`
	StepStartedAt  time.Time  `json:"stepStartedAt"`
	BakeUntil      *time.Time `json:"bakeUntil,omitempty"`
	NextAnalysisAt *time.Time `json:"nextAnalysisAt,omitempty"`
	NextAction     string     `json:"nextAction"`
	NextActionAt   *time.Time `json:"nextActionAt,omitempty"`
	// Runs counts this migration's runs (1 + continue-as-new hand-overs).
	Runs int `json:"runs"`
}

// Carried is the whole state a run hands to the next on continue-as-new:
// the operator's Status and the machine's own bookkeeping, which the status
// query does not show. Its JSON is the one recorded histories carry in the
// plan's `continued` field (Status's fields, flattened, and these).
type Carried struct {
	Status
	// ProvisionFrom is the bucket threshold the current step provisions
	// from: the previous step's, or 0 (allow list included).
	ProvisionFrom int `json:"provisionFrom"`
	// StepProvisioned says the current step's users are provisioned and
	// only its flip is left.
	StepProvisioned bool `json:"stepProvisioned"`
	// LastAnalysisPassed says the bake's latest analysis passed: a bake
	// ends only on one.
	LastAnalysisPassed bool `json:"lastAnalysisPassed"`
	// ProvisionResume is where the current step's provisioning goes on
	// (paged provisioning: the last call used its page budget).
	ProvisionResume *migact.ProvisionProgress `json:"provisionResume,omitempty"`
}

// Routing is the routing row as the last flip left it.
type Routing struct {
	Revision              int64 `json:"revision"`
	BucketThreshold       int   `json:"bucketThreshold"`
	AllowListed           int   `json:"allowListed"`
	LegacyPushEnabled     bool  `json:"legacyPushEnabled"`
	LegacyPresenceEnabled bool  `json:"legacyPresenceEnabled"`
}

// Provisioning is the whole migration's provisioning outcome (from
// PostgreSQL after every step) and the last provisioning call's scan.
type Provisioning struct {
	migact.ProvisionCounts
	NotInDirectory int64         `json:"notInDirectory"`
	LastRun        *ProvisionRun `json:"lastRun,omitempty"`
}

// ProvisionRun is what one ProvisionStep call did.
type ProvisionRun struct {
	Step     int                    `json:"step"`
	At       time.Time              `json:"at"`
	Scanned  int64                  `json:"scanned"`
	Selected int64                  `json:"selected"`
	Skipped  int64                  `json:"skipped"`
	Done     migact.ProvisionCounts `json:"done"`
}

// AnalysisRecord is one health analysis with its numbers.
type AnalysisRecord struct {
	At                  time.Time `json:"at"`
	Step                int       `json:"step"`
	Percent             float64   `json:"percent"`
	Result              string    `json:"result"`
	Sampled             int       `json:"sampled"`
	LegacyOnline        int       `json:"legacyOnline"`
	OpenIMOnline        int       `json:"openimOnline"`
	OpenIMOnlineRatio   float64   `json:"openimOnlineRatio"`
	LegacyOnlineRatio   float64   `json:"legacyOnlineRatio"`
	Provisioned         int64     `json:"provisioned"`
	ProvisionErrors     int64     `json:"provisionErrors"`
	ProvisionErrorRatio float64   `json:"provisionErrorRatio"`
	Reasons             []string  `json:"reasons,omitempty"`
	Error               string    `json:"error,omitempty"`
}

// Pause says who paused and what resume returns to.
type Pause struct {
	Reason    string    `json:"reason"`
	At        time.Time `json:"at"`
	From      State     `json:"from"`
	Automatic bool      `json:"automatic"`
}

// RejectedSignal is an operator message that did not fit the state.
type RejectedSignal struct {
	At     time.Time `json:"at"`
	Name   string    `json:"name"`
	State  State     `json:"state"`
	Reason string    `json:"reason"`
}

// DecommissionStep is one stage of turning the legacy path off.
type DecommissionStep struct {
	Name      string     `json:"name"`
	State     string     `json:"state"`
	StartedAt *time.Time `json:"startedAt,omitempty"`
	DoneAt    *time.Time `json:"doneAt,omitempty"`
	Revision  int64      `json:"revision,omitempty"`
	Deleted   int64      `json:"deletedKeys,omitempty"`
}

// DryRunReport is what a dry run found.
type DryRunReport struct {
	DirectoryUsers int64        `json:"directoryUsers"`
	Steps          []DryRunStep `json:"steps"`
	AllowFound     int64        `json:"allowFound"`
	DenyFound      int64        `json:"denyFound"`
	MappedIDs      int64        `json:"mappedIds"`
	InvalidIDs     int64        `json:"invalidIds"`
}

// DryRunStep is one step's cohort in a dry run.
type DryRunStep struct {
	Percent         float64 `json:"percent"`
	BucketThreshold int     `json:"bucketThreshold"`
	Users           int64   `json:"users"`
	NewUsers        int64   `json:"newUsers"`
}

// Event is one state change, for the status and `starter migration watch`.
type Event struct {
	At      time.Time `json:"at"`
	State   State     `json:"state"`
	Step    int       `json:"step"`
	Percent float64   `json:"percent"`
	Note    string    `json:"note,omitempty"`
}

func keepLast[T any](s []T, n int) []T {
	if len(s) <= n {
		return s
	}
	return append(s[:0:0], s[len(s)-n:]...)
}
