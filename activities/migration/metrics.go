package migration

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Parity and progress as Prometheus series, labelled by migration and step
// (1-based, as operators count steps). Gauges hold the latest analysis: a
// dashboard graphs parity over time from the scrapes.
var (
	analysisSampled = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Name: "imshift_migration_analysis_sampled_users",
		Help: "Users in the latest health analysis sample of a migration step.",
	}, []string{"migration", "step"})
	analysisOnline = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Name: "imshift_migration_analysis_online_users",
		Help: "Sampled users online in the latest analysis, by stack (legacy or openim).",
	}, []string{"migration", "step", "stack"})
	analysisRatio = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Name: "imshift_migration_analysis_online_ratio",
		Help: "Sampled users online ÷ sampled in the latest analysis, by stack (legacy or openim).",
	}, []string{"migration", "step", "stack"})
	analyses = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "imshift_migration_analyses_total",
		Help: "Health analyses computed (errored ones are not counted).",
	}, []string{"migration", "step"})
	provisioned = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "imshift_migration_provisioned_users_total",
		Help: "Users provisioned in OpenIM by outcome (registered, existed, error).",
	}, []string{"migration", "outcome"})
	routingPercent = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Name: "imshift_migration_routing_percent",
		Help: "Percent of users the routing sends to OpenIM, as the last flip set it.",
	}, []string{"migration"})
)

// observeAnalysis exports one analysis's counts and ratios; an empty sample
// has no ratios.
func observeAnalysis(migrationID string, step int, r AnalyzeResult) {
	s := strconv.Itoa(step + 1)
	analyses.WithLabelValues(migrationID, s).Inc()
	analysisSampled.WithLabelValues(migrationID, s).Set(float64(r.Sampled))
	for stack, n := range map[string]int{"legacy": r.LegacyOnline, "openim": r.OpenIMOnline} {
		analysisOnline.WithLabelValues(migrationID, s, stack).Set(float64(n))
		if r.Sampled > 0 {
			analysisRatio.WithLabelValues(migrationID, s, stack).Set(float64(n) / float64(r.Sampled))
		}
	}
}
