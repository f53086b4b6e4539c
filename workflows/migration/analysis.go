package migration

import (
	"fmt"

	"go.temporal.io/sdk/workflow"

	migact "github.com/imshift/imshift/activities/migration"
)

func (m *migration) startAnalysis(ctx workflow.Context) {
	in := migact.AnalyzeInput{Cohort: m.cohort(), SampleSize: m.plan.Analysis.SampleSize, Step: m.st.Step}
	m.start(ctx, analyzeOptions, true, migact.AnalyzeName, "analyse "+m.stepLabel(), in, m.analysed)
}

// analysed records an analysis and applies the failure budgets: more than
// failureLimit failed analyses in a step, or more than consecutiveErrorLimit
// errored ones in a row, trigger onFailure.
func (m *migration) analysed(ctx workflow.Context, f workflow.Future) {
	var res migact.AnalyzeResult
	err := f.Get(ctx, &res)
	now := workflow.Now(ctx)
	rec := evaluate(m.plan.Analysis, res, err, m.st.Provisioning.ProvisionCounts)
	rec.At, rec.Step, rec.Percent = now, m.st.Step, m.st.Percent
	st := m.st
	st.Analyses = keepLast(append(st.Analyses, rec), keepAnalyses)
	st.StepAnalyses++
	st.LastAnalysisPassed = rec.Result == AnalysisPassed
	next := now.Add(m.plan.Analysis.interval())
	st.NextAnalysisAt = &next
	st.UpdatedAt = now
	switch rec.Result {
	case AnalysisErrored:
		st.ConsecutiveErrors++
		if st.ConsecutiveErrors > m.plan.Analysis.ConsecutiveErrorLimit {
			m.fail(ctx, fmt.Sprintf("%d analyses in a row errored (consecutiveErrorLimit %d): %s",
				st.ConsecutiveErrors, m.plan.Analysis.ConsecutiveErrorLimit, rec.Error))
		}
	case AnalysisFailed:
		st.ConsecutiveErrors = 0
		st.Failures++
		if st.Failures > m.plan.Analysis.FailureLimit {
			m.fail(ctx, fmt.Sprintf("%d analyses failed (failureLimit %d): %s",
				st.Failures, m.plan.Analysis.FailureLimit, rec.Reasons[0]))
		}
	default:
		st.ConsecutiveErrors = 0
	}
}

// evaluate turns an analysis' numbers into a result. Ratios are over the
// sample; an empty sample (nobody provisioned yet) checks only provisioning.
func evaluate(a Analysis, res migact.AnalyzeResult, err error, prov migact.ProvisionCounts) AnalysisRecord {
	rec := AnalysisRecord{Result: AnalysisPassed}
	rec.ProvisionErrorRatio, rec.Provisioned = errorRatio(prov)
	rec.ProvisionErrors = prov.Errors
	if err != nil {
		rec.Result, rec.Error = AnalysisErrored, errText(err)
		return rec
	}
	rec.Sampled, rec.LegacyOnline, rec.OpenIMOnline = res.Sampled, res.LegacyOnline, res.OpenIMOnline
	if res.Sampled > 0 {
		rec.OpenIMOnlineRatio = float64(res.OpenIMOnline) / float64(res.Sampled)
		rec.LegacyOnlineRatio = float64(res.LegacyOnline) / float64(res.Sampled)
		if rec.OpenIMOnlineRatio < a.MinOpenimOnlineRatio {
			rec.Reasons = append(rec.Reasons, fmt.Sprintf("openimOnline %d/%d = %.4f is below minOpenimOnlineRatio %v",
				res.OpenIMOnline, res.Sampled, rec.OpenIMOnlineRatio, a.MinOpenimOnlineRatio))
		}
		if rec.LegacyOnlineRatio > a.MaxLegacyOnlineRatio {
			rec.Reasons = append(rec.Reasons, fmt.Sprintf("legacyOnline %d/%d = %.4f is above maxLegacyOnlineRatio %v",
				res.LegacyOnline, res.Sampled, rec.LegacyOnlineRatio, a.MaxLegacyOnlineRatio))
		}
	}
	if rec.ProvisionErrorRatio > a.MaxProvisionErrorRatio {
		rec.Reasons = append(rec.Reasons, fmt.Sprintf("provisionErrors %d/%d = %.4f is above maxProvisionErrorRatio %v",
			prov.Errors, rec.Provisioned, rec.ProvisionErrorRatio, a.MaxProvisionErrorRatio))
	}
	if len(rec.Reasons) > 0 {
		rec.Result = AnalysisFailed
	}
	return rec
}

// errorRatio is provisioning errors over users provisioned (all outcomes).
func errorRatio(c migact.ProvisionCounts) (float64, int64) {
	total := c.Registered + c.AlreadyExisted + c.Errors
	if total == 0 {
		return 0, 0
	}
	return float64(c.Errors) / float64(total), total
}
