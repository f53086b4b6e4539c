package migration

import (
	"testing"

	"github.com/imshift/imshift/internal/cohort"
)

func TestCohortSizesCountsWithoutSideEffects(t *testing.T) {
	f := newFixture(t)
	ids := append(numbered(500), uuidUser, "bad id")
	f.seedUsers(ids...)
	thresholds := []int{100, 1000, 5000, 10000}
	allow, deny := ids[0], ids[1]
	in := CohortSizesInput{MigrationID: "m1", Thresholds: thresholds, AllowUsers: []string{allow, "ghost"}, DenyUsers: []string{deny}}
	var res CohortSizesResult
	must(t, f.exec(f.env(), CohortSizesName, in, &res))
	want := make([]int64, len(thresholds))
	for _, id := range ids {
		for i, th := range thresholds {
			if id == allow || id != deny && cohort.Bucket(id) < th {
				want[i]++
			}
		}
	}
	for i := range want {
		if res.PerStep[i] != want[i] {
			t.Fatalf("per step %v, want %v", res.PerStep, want)
		}
	}
	if res.DirectoryUsers != int64(len(ids)) || res.AllowFound != 1 || res.DenyFound != 1 || res.MappedIDs != 1 || res.InvalidIDs != 1 {
		t.Fatalf("result %+v", res)
	}
	if f.sim.Counters().Requests["/user/account_check"] != 0 || f.count(`SELECT count(*) FROM imshift.migration_users`) != 0 {
		t.Fatal("a dry run touched OpenIM or recorded users")
	}
}
