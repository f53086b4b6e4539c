package migration

import (
	"fmt"
	"time"

	migact "github.com/imshift/imshift/activities/migration"
)

// Forecast is what `starter migration plan` says before a start: per step
// who moves, what provisioning copies and cannot copy, how long it takes,
// and the shortest time the whole plan can take (docs/migration.md §1).
type Forecast struct {
	MigrationID    string `json:"migrationId"`
	DirectoryUsers int64  `json:"directoryUsers"`
	MappedIDs      int64  `json:"mappedIds"`
	InvalidIDs     int64  `json:"invalidIds"`
	AllowFound     int64  `json:"allowFound"`
	DenyFound      int64  `json:"denyFound"`
	// Rate is the provisioning rate the times assume, and where it is from.
	Rate       float64        `json:"usersPerSecond"`
	RateSource string         `json:"rateSource"`
	Steps      []ForecastStep `json:"steps"`
	// ShortestSeconds is provisioning plus bakes; Approvals say how many
	// waits for a person come on top.
	ShortestSeconds float64  `json:"shortestSeconds"`
	Approvals       int      `json:"approvals"`
	Warnings        []string `json:"warnings"`
}

// ForecastStep is one step (Step 1-based).
type ForecastStep struct {
	Step                int     `json:"step"`
	Percent             float64 `json:"percent"`
	Users               int64   `json:"users"`
	NewUsers            int64   `json:"newUsers"`
	FCMTokens           int64   `json:"fcmTokens"`
	APNsDevices         int64   `json:"apnsDevices"`
	APNsOnlyUsers       int64   `json:"apnsOnlyUsers"`
	ProvisioningSeconds float64 `json:"provisioningSeconds"`
	BakeSeconds         float64 `json:"bakeSeconds"`
	Analyses            int     `json:"analyses"`
	Approval            bool    `json:"approval"`
}

// APNsOnlyWarnShare is the share of a step's new users reachable only
// through APNs above which the forecast warns: OpenIM's FCM pusher cannot
// reach them, so they get no offline push until their app registers again.
const APNsOnlyWarnShare = 0.2

// NewForecast builds the forecast of a valid plan from the dry run's counts
// at rate users per second.
func NewForecast(p Plan, res migact.CohortSizesResult, rate float64, rateSource string) Forecast {
	r := dryRunReport(p, p.thresholds(), res)
	f := Forecast{MigrationID: p.MigrationID, DirectoryUsers: r.DirectoryUsers, MappedIDs: r.MappedIDs,
		InvalidIDs: r.InvalidIDs, AllowFound: r.AllowFound, DenyFound: r.DenyFound,
		Rate: rate, RateSource: rateSource, Warnings: []string{}}
	for i, s := range r.Steps {
		st := ForecastStep{Step: i + 1, Percent: s.Percent, Users: s.Users, NewUsers: s.NewUsers,
			FCMTokens: at(res.NewFCMTokens, i), APNsDevices: at(res.NewAPNsDevices, i), APNsOnlyUsers: at(res.NewAPNsOnlyUsers, i),
			BakeSeconds: p.Steps[i].bake().Seconds(), Analyses: analysesIn(p.Steps[i].bake(), p.Analysis.interval()),
			Approval: p.Steps[i].Approval}
		if rate > 0 {
			st.ProvisioningSeconds = float64(s.NewUsers) / rate
		}
		f.ShortestSeconds += st.ProvisioningSeconds + st.BakeSeconds
		if st.Approval {
			f.Approvals++
		}
		f.Warnings = append(f.Warnings, st.warnings(p.Analysis.SampleSize)...)
		f.Steps = append(f.Steps, st)
	}
	return f
}

func (s ForecastStep) warnings(sampleSize int) []string {
	var w []string
	switch n := int64(sampleSize); {
	case s.Users < n:
		w = append(w, fmt.Sprintf("step %d has %d users on OpenIM, fewer than sampleSize %d: its analyses judge %d users", s.Step, s.Users, sampleSize, s.Users))
	case s.NewUsers < n:
		w = append(w, fmt.Sprintf("step %d adds %d users, fewer than sampleSize %d: its analyses sample earlier steps' users too", s.Step, s.NewUsers, sampleSize))
	}
	if s.NewUsers > 0 && float64(s.APNsOnlyUsers) > APNsOnlyWarnShare*float64(s.NewUsers) {
		w = append(w, fmt.Sprintf("step %d: %d of its %d new users have only APNs devices (%d devices), which OpenIM cannot push",
			s.Step, s.APNsOnlyUsers, s.NewUsers, s.APNsDevices))
	}
	return w
}

// analysesIn is how many analyses a bake of d runs at least: one per
// interval, one at the end of a bake shorter than the interval, none for 0.
func analysesIn(d, interval time.Duration) int {
	if d <= 0 {
		return 0
	}
	return max(int(d/interval), 1)
}

func at(s []int64, i int) int64 {
	if i < len(s) {
		return s[i]
	}
	return 0
}

// ForecastInput is the dry run's input for plan p.
func ForecastInput(p Plan) migact.CohortSizesInput {
	return migact.CohortSizesInput{MigrationID: p.MigrationID, Thresholds: p.thresholds(),
		AllowUsers: p.AllowUsers, DenyUsers: p.DenyUsers}
}
