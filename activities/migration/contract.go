// Package migration holds the TrafficMigration workflow's activities, grouped
// by the system they talk to: routing.go (the routing table in PostgreSQL and
// its announcements), directory.go and provision.go (the user directory, the
// id map and OpenIM provisioning with FCM token copy), analysis.go (legacy
// presence in Redis against OpenIM online status) and presence.go (the
// decommission clean-up of legacy presence keys).
//
// Every activity is idempotent: a flip sets values (it never adds to them), a
// provisioning run skips the users PostgreSQL records as done and resumes from
// its heartbeat cursor, and the key clean-up resumes its SCAN cursor. Only
// counts and cursors cross into workflow history, never user lists of a
// cohort, device tokens or personal data.
package migration

import "time"

// Activity names, as registered on the worker and called by the workflow.
const (
	FlipRoutingName        = "MigrationFlipRouting"
	ProvisionStepName      = "MigrationProvisionStep"
	AnalyzeName            = "MigrationAnalyze"
	CohortSizesName        = "MigrationCohortSizes"
	DeletePresenceKeysName = "MigrationDeletePresenceKeys"
	ReadRoutingName        = "MigrationReadRouting"
)

// Announcement channels: the PostgreSQL NOTIFY channel and the Redis pub/sub
// channel every routing change is announced on.
const (
	NotifyChannel  = "imshift_routing"
	PublishChannel = "imshift:routing"
)

// FlipInput is the whole routing row to set for a migration.
type FlipInput struct {
	MigrationID           string   `json:"migrationId"`
	Percent               float64  `json:"percent"`
	AllowUsers            []string `json:"allowUsers"`
	DenyUsers             []string `json:"denyUsers"`
	LegacyPushEnabled     bool     `json:"legacyPushEnabled"`
	LegacyPresenceEnabled bool     `json:"legacyPresenceEnabled"`
}

// FlipResult is the routing revision in force after the flip. Changed is
// false when the row already held these values (a retried flip); the
// announcement is sent again in that case too.
type FlipResult struct {
	Revision        int64 `json:"revision"`
	BucketThreshold int   `json:"bucketThreshold"`
	Changed         bool  `json:"changed"`
}

// RoutingRow is a migration's routing row as it stands (Found false: none).
type RoutingRow struct {
	Found                 bool      `json:"found"`
	Percent               float64   `json:"percent"`
	BucketThreshold       int       `json:"bucketThreshold"`
	Revision              int64     `json:"revision"`
	AllowListed           int       `json:"allowListed"`
	LegacyPushEnabled     bool      `json:"legacyPushEnabled"`
	LegacyPresenceEnabled bool      `json:"legacyPresenceEnabled"`
	UpdatedAt             time.Time `json:"updatedAt"`
}

// Announcement is the JSON payload of NOTIFY imshift_routing and of
// PUBLISH imshift:routing. Gateways re-read the routing row on receipt.
type Announcement struct {
	MigrationID           string  `json:"migrationId"`
	Revision              int64   `json:"revision"`
	Percent               float64 `json:"percent"`
	BucketThreshold       int     `json:"bucketThreshold"`
	LegacyPushEnabled     bool    `json:"legacyPushEnabled"`
	LegacyPresenceEnabled bool    `json:"legacyPresenceEnabled"`
}

// Cohort names a slice of the user population: directory users whose bucket
// is in [FromThreshold, ToThreshold), plus the allow list when IncludeAllow,
// minus the deny list (the allow list wins over the deny list, as in
// cohort.Rule).
type Cohort struct {
	MigrationID   string   `json:"migrationId"`
	FromThreshold int      `json:"fromThreshold"`
	ToThreshold   int      `json:"toThreshold"`
	IncludeAllow  bool     `json:"includeAllow"`
	AllowUsers    []string `json:"allowUsers"`
	DenyUsers     []string `json:"denyUsers"`
}

// ProvisionInput asks to provision a step's new users in OpenIM and copy
// their FCM tokens. With a PageBudget the call returns at the first page end
// after that long (ProvisionResult.More), and the next call goes on from
// Resume, the progress it returned: the workflow sees the step's counts
// rise call by call. Without one (runs recorded before) a call does the
// whole step.
type ProvisionInput struct {
	Cohort
	Step       int                `json:"step"`
	Resume     *ProvisionProgress `json:"resume,omitempty"`
	PageBudget time.Duration      `json:"pageBudget,omitempty"`
}

// ProvisionCounts are per-user outcomes. In ProvisionResult.Totals they are
// the whole migration's, read from PostgreSQL; elsewhere a call's own.
type ProvisionCounts struct {
	Registered              int64 `json:"registered"`
	AlreadyExisted          int64 `json:"alreadyExisted"`
	Errors                  int64 `json:"errors"`
	FCMTokensCopied         int64 `json:"fcmTokensCopied"`
	DevicesOpenIMCannotPush int64 `json:"devicesOpenIMCannotPush"`
}

// ProvisionProgress is the heartbeat of ProvisionStep: where the directory
// scan is and what the call has done so far. A retried attempt starts from it.
type ProvisionProgress struct {
	AllowDone      bool            `json:"allowDone"`
	Cursor         string          `json:"cursor"`
	Scanned        int64           `json:"scanned"`
	Selected       int64           `json:"selected"`
	Skipped        int64           `json:"skipped"`
	CohortSize     int64           `json:"cohortSize"`
	AllowFound     int64           `json:"allowFound"`
	NotInDirectory int64           `json:"notInDirectory"`
	Done           ProvisionCounts `json:"done"`
}

// ProvisionResult summarises a ProvisionStep call (counts from the step's
// first call on, when calls go on from Resume). CohortSize is the number
// of directory users on OpenIM at ToThreshold (allow list included, deny list
// excluded); AllowFound is how many allow-listed users the directory holds.
type ProvisionResult struct {
	ProvisionProgress
	Totals ProvisionCounts `json:"totals"`
	// More says the page budget ran out before the directory's end.
	More bool `json:"more,omitempty"`
}

// AnalyzeInput asks for one health sample of a step's cohort: up to
// SampleSize provisioned users, the step's new slice first, then the allow
// list, then earlier slices, each by ascending bucket.
type AnalyzeInput struct {
	Cohort
	SampleSize int `json:"sampleSize"`
	// Step (0-based) labels the analysis's metrics.
	Step int `json:"step"`
}

// AnalyzeResult is how many sampled users are online on each side.
type AnalyzeResult struct {
	Sampled      int `json:"sampled"`
	LegacyOnline int `json:"legacyOnline"`
	OpenIMOnline int `json:"openimOnline"`
}

// CohortSizesInput asks how many directory users each step would move (a
// dry run): one threshold per step.
type CohortSizesInput struct {
	MigrationID string   `json:"migrationId"`
	Thresholds  []int    `json:"thresholds"`
	AllowUsers  []string `json:"allowUsers"`
	DenyUsers   []string `json:"denyUsers"`
}

// CohortSizesResult is the dry run's report. PerStep[i] counts the directory
// users on OpenIM at Thresholds[i]. MappedIDs counts users whose id OpenIM
// would refuse as is (they get an escaped OpenIM id), InvalidIDs users whose
// id cannot be provisioned at all.
type CohortSizesResult struct {
	DirectoryUsers int64   `json:"directoryUsers"`
	PerStep        []int64 `json:"perStep"`
	// Devices of the users each step adds (index i: users first on OpenIM
	// at step i): FCM tokens provisioning will copy (the newest live one
	// per platform), live APNs devices OpenIM cannot push to, and users
	// whose live devices are all APNs.
	NewFCMTokens     []int64 `json:"newFcmTokens,omitempty"`
	NewAPNsDevices   []int64 `json:"newApnsDevices,omitempty"`
	NewAPNsOnlyUsers []int64 `json:"newApnsOnlyUsers,omitempty"`
	AllowFound       int64   `json:"allowFound"`
	DenyFound        int64   `json:"denyFound"`
	MappedIDs        int64   `json:"mappedIds"`
	InvalidIDs       int64   `json:"invalidIds"`
	Cursor           string  `json:"cursor"`
}

// DeletePresenceInput asks to delete the legacy presence keys (presence:*).
type DeletePresenceInput struct {
	MigrationID string `json:"migrationId"`
}

// DeletePresenceProgress is the heartbeat and result of DeletePresenceKeys.
type DeletePresenceProgress struct {
	Cursor  uint64 `json:"cursor"`
	Scanned int64  `json:"scanned"`
	Deleted int64  `json:"deleted"`
	Done    bool   `json:"done"`
}
