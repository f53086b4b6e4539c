package migration

import (
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"
)

// publish refreshes what the status and the Temporal UI say about where the
// run stands: the next action, and the workflow's current details (the
// markdown the UI's workflow page shows without a query). Neither is a
// command: replay is unaffected.
func (m *migration) publish(ctx workflow.Context) {
	m.refreshNextAction()
	workflow.SetCurrentDetails(ctx, m.details())
}

// details is the current state as markdown: state, step i of n (1-based),
// percent, the bake or approval deadline, the last analysis with its figures.
func (m *migration) details() string {
	st := m.st
	var b strings.Builder
	fmt.Fprintf(&b, "**%s** · step %d of %d · routing at %v %% (revision %d)", st.State, st.Step+1, st.Steps,
		st.Percent, st.Routing.Revision)
	if st.TargetPercent != st.Percent && !st.State.Terminal() {
		fmt.Fprintf(&b, " · target %v %%", st.TargetPercent)
	}
	b.WriteString("\n\n")
	switch {
	case st.State == StateBaking && st.BakeUntil != nil:
		fmt.Fprintf(&b, "- bake until %s\n", clock(*st.BakeUntil))
	case st.State == StateAwaitingApproval:
		b.WriteString("- waiting for `promote` (analyses go on)\n")
	case st.State == StatePaused && st.Pause != nil:
		fmt.Fprintf(&b, "- paused since %s: %s\n", clock(st.Pause.At), orNone(st.Pause.Reason))
	case st.State == StateRolledBack:
		fmt.Fprintf(&b, "- rolled back: %s\n", st.FailureReason)
	}
	if st.NextAction != "" {
		fmt.Fprintf(&b, "- next: %s", st.NextAction)
		if st.NextActionAt != nil {
			fmt.Fprintf(&b, " at %s", clock(*st.NextActionAt))
		}
		b.WriteString("\n")
	}
	if n := len(st.Analyses); n > 0 {
		a := st.Analyses[n-1]
		fmt.Fprintf(&b, "- last analysis (step %d, %s): **%s**, OpenIM online %d/%d (%.3f), legacy online %d/%d (%.3f), provisioning errors %d/%d",
			a.Step+1, clock(a.At), a.Result, a.OpenIMOnline, a.Sampled, a.OpenIMOnlineRatio, a.LegacyOnline, a.Sampled,
			a.LegacyOnlineRatio, a.ProvisionErrors, a.Provisioned)
		if a.Error != "" {
			fmt.Fprintf(&b, "; error: %s", a.Error)
		}
		b.WriteString("\n")
	}
	p := st.Provisioning
	fmt.Fprintf(&b, "- provisioned: %d registered, %d already existed, %d errors, %d FCM tokens copied, %d devices OpenIM cannot push\n",
		p.Registered, p.AlreadyExisted, p.Errors, p.FCMTokensCopied, p.DevicesOpenIMCannotPush)
	return b.String()
}

// stepLabel names the current step for summaries: "step 2 (10 %)", 1-based.
func (m *migration) stepLabel() string {
	return fmt.Sprintf("step %d (%v %%)", m.st.Step+1, m.st.TargetPercent)
}

// waitLabel says what a bake's timer at `at` waits for.
func (m *migration) waitLabel(at time.Time) string {
	if m.st.BakeUntil != nil && at.Equal(*m.st.BakeUntil) {
		return "bake " + m.stepLabel()
	}
	return "next analysis of " + m.stepLabel()
}

func clock(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

func orNone(s string) string {
	if s == "" {
		return "(no reason given)"
	}
	return s
}

// Summary is the one-line StaticSummary a start path gives the run, for the
// Temporal UI's list: "migration openim-2027q1: 1 % → 10 % → 50 % → 100 %, decommission".
func Summary(p Plan) string {
	percents := make([]string, len(p.Steps))
	for i, s := range p.Steps {
		percents[i] = fmt.Sprintf("%v %%", s.Percent)
	}
	sum := fmt.Sprintf("migration %s: %s", p.MigrationID, strings.Join(percents, " → "))
	switch {
	case p.DryRun:
		sum += ", dry run"
	case p.Decommission:
		sum += ", decommission"
	}
	return sum
}
