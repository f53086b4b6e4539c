// Package report collects one row per fault test for `make faults`: when
// IMSHIFT_FAULTS_REPORT names a file, each row is appended to it as a JSON
// line once the test has ended (its outcome is then known); the row is
// always logged. testbed/faults/table prints the rows as one table.
package report

import (
	"encoding/json"
	"fmt"
	"os"
	"testing"
)

// Row is one fault and what it did to the work that was running. A count
// that does not apply is -1 (shown as "-").
type Row struct {
	Fault      string `json:"fault"`
	Running    string `json:"running"`
	Delivered  int    `json:"delivered"`
	Duplicated int    `json:"duplicated"`
	Lost       int    `json:"lost"`
	Registered int    `json:"registered"`
	Outcome    string `json:"outcome"`
}

// NA marks a count that does not apply to a fault.
const NA = -1

// Record reports r when the test ends, with outcome "ok" or "FAILED"
// (r.Outcome, when set, says what happened and is kept before it).
func Record(t testing.TB, r *Row) {
	t.Cleanup(func() {
		result := "ok"
		if t.Failed() {
			result = "FAILED"
		}
		if r.Outcome == "" {
			r.Outcome = result
		} else {
			r.Outcome = result + ": " + r.Outcome
		}
		t.Logf("fault %q while %s: delivered %d, duplicated %d, lost %d, registered %d: %s",
			r.Fault, r.Running, r.Delivered, r.Duplicated, r.Lost, r.Registered, r.Outcome)
		path := os.Getenv("IMSHIFT_FAULTS_REPORT")
		if path == "" {
			return
		}
		if err := appendRow(path, r); err != nil {
			t.Errorf("faults report: %v", err)
		}
	})
}

func appendRow(path string, r *Row) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(f, "%s\n", b)
	return err
}
