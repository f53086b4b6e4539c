package campaign_test

import "github.com/imshift/imshift/workflows/campaign"

// e2eTuning uses pages of 50 so a few hundred devices make many pages, a
// full window and several continue-as-new runs.
var e2eTuning = campaign.Tuning{PageSize: 50, Window: 4, PlanPages: 4, PagesPerRun: 6}
