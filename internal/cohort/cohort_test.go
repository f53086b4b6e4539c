package cohort

import (
	"encoding/json"
	"fmt"
	"os"
	"testing"
)

type vector struct {
	UserID string `json:"userId"`
	Bucket int    `json:"bucket"`
}

// The vectors are the contract with the TypeScript backend: if this test
// fails, the hash changed and every routed user would move. Never regenerate
// them to make it pass.
func TestPublishedVectors(t *testing.T) {
	raw, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var vs []vector
	if err := json.Unmarshal(raw, &vs); err != nil {
		t.Fatal(err)
	}
	if len(vs) < 8 {
		t.Fatalf("only %d vectors", len(vs))
	}
	for _, v := range vs {
		if got := Bucket(v.UserID); got != v.Bucket {
			t.Errorf("Bucket(%q) = %d, want %d", v.UserID, got, v.Bucket)
		}
	}
}

func TestRaisingPercentOnlyAddsUsers(t *testing.T) {
	percents := []float64{0, 0.5, 1, 10, 50, 99.99, 100}
	for i := 0; i < 20000; i++ {
		id := fmt.Sprintf("user_%d", i)
		was := false
		for _, p := range percents {
			on := NewRule(p, nil, nil).OnOpenIM(id)
			if was && !on {
				t.Fatalf("%s left OpenIM when the percent rose to %v", id, p)
			}
			was = on
		}
		if !was {
			t.Fatalf("%s not on OpenIM at 100%%", id)
		}
	}
}

func TestAllowAndDeny(t *testing.T) {
	r := NewRule(100, []string{"staff_001"}, []string{"vip_1", "staff_001"})
	if r.OnOpenIM("vip_1") {
		t.Error("denied user routed at 100%")
	}
	if !r.OnOpenIM("staff_001") {
		t.Error("allowed user not routed (allow wins over deny)")
	}
	if !NewRule(0, []string{"staff_001"}, nil).OnOpenIM("staff_001") {
		t.Error("allowed user not routed at 0%")
	}
}

func TestSpreadIsRoughlyUniform(t *testing.T) {
	in := 0
	for i := 0; i < 100000; i++ {
		if Bucket(fmt.Sprintf("u%d", i)) < Threshold(10) {
			in++
		}
	}
	if in < 9000 || in > 11000 {
		t.Fatalf("10%% cohort holds %d of 100000 users", in)
	}
}
