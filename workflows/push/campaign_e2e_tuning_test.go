package push_test

import "github.com/imshift/imshift/workflows/push"

// e2eTuning uses pages of 50 so a few hundred devices make many pages, a
// full window and several continue-as-new runs.
var e2eTuning = push.Tuning{PageSize: 50, Window: 4, PlanPages: 4, PagesPerRun: 6}
