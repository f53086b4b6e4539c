package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/imshift/imshift/workflows/migration"
)

// Events, analyses and rejections arrive in separate lists; the stream
// merges them by time, prints each once, and numbers steps from 1.
func TestWatchStreamIsOneTimeOrderedList(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 14, 0, 0, 0, time.UTC)
	st := migration.Status{
		Events: []migration.Event{
			{At: t0, State: migration.StateProvisioning, Step: 0, Note: "started"},
			{At: t0.Add(3 * time.Second), State: migration.StateBaking, Step: 0, Percent: 1, Note: "routing at 1%"},
		},
		Analyses:        []migration.AnalysisRecord{{At: t0.Add(2 * time.Second), Result: "passed", Step: 0, Sampled: 10}},
		RejectedSignals: []migration.RejectedSignal{{At: t0.Add(time.Second), Name: "resume", State: migration.StateProvisioning, Reason: "not paused"}},
	}
	var out bytes.Buffer
	w := &watcher{screen: screen{out: &out}}
	if err := w.print(st); err != nil {
		t.Fatal(err)
	}
	if err := w.print(st); err != nil { // nothing new: nothing printed
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	want := []string{"provisioning      step 1", "rejected resume", "analysis passed  step 1", "baking            step 1"}
	if len(lines) != len(want) {
		t.Fatalf("%d lines:\n%s", len(lines), out.String())
	}
	for i, l := range lines {
		if !strings.Contains(l, want[i]) || strings.Contains(l, "\r") {
			t.Fatalf("line %d %q, want %q", i+1, l, want[i])
		}
	}

	out.Reset()
	w = &watcher{screen: screen{out: &out}, json: true}
	if err := w.print(st); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var it struct {
			At   time.Time       `json:"at"`
			Kind string          `json:"kind"`
			Data json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal([]byte(l), &it); err != nil || len(it.Data) < 3 {
			t.Fatalf("--json line %q: %v", l, err)
		}
		kinds = append(kinds, it.Kind)
	}
	if got := strings.Join(kinds, " "); got != "event rejected analysis event" {
		t.Fatalf("--json kinds %q", got)
	}
}

// On a terminal the countdown line is redrawn in place and cleared before
// a new line; the line counts down to the bake's end and the next analysis.
func TestWatchCountdownLine(t *testing.T) {
	now := time.Date(2026, 12, 1, 14, 0, 0, 0, time.UTC)
	bake, next := now.Add(4*time.Minute+12*time.Second+300*time.Millisecond), now.Add(8*time.Second)
	st := migration.Status{MigrationID: "demo", State: migration.StateBaking, Step: 1, Steps: 4, TargetPercent: 10,
		BakeUntil: &bake, NextAnalysisAt: &next}
	got := countdownLine(st, now)
	if want := "baking step 2 of 4 (10 %): bake ends in 4m12s (14:04:12 UTC); next analysis in 8s (14:00:08 UTC)"; got != want {
		t.Fatalf("countdown %q, want %q", got, want)
	}
	st.State, st.BakeUntil = migration.StateAwaitingApproval, nil
	if got := countdownLine(st, now.Add(time.Minute)); !strings.Contains(got, "waiting for promote at step 2 of 4") || !strings.HasSuffix(got, "next analysis now") {
		t.Fatalf("approval countdown %q", got)
	}
	var out bytes.Buffer
	w := &watcher{screen: screen{out: &out, live: true}}
	w.redraw("a")
	w.redraw("b")
	w.say("event")
	if got := out.String(); got != "a\r\033[Kb\r\033[Kevent\n" {
		t.Fatalf("terminal output %q", got)
	}
}

// Off a terminal (here a pipe, as when the output is piped or redirected)
// a state line is printed once per change and nothing is redrawn.
func TestScreenOffTerminalPrintsALinePerChange(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	s := newScreen(w, false)
	for _, line := range []string{"a", "a", "b"} {
		s.update(line)
	}
	s.redraw("countdown")
	s.say("note")
	s.keep()
	w.Close()
	got, err := io.ReadAll(r)
	if err != nil || string(got) != "a\nb\nnote\n" {
		t.Fatalf("piped output %q: %v", got, err)
	}
}
