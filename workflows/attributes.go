// Package workflows holds what every imshift workflow shares: the custom
// search attributes the Temporal UI filters on. The workflows themselves live
// in the subpackages migration and push.
//
// Search attributes carry no personal data: no user ids, tokens or message
// text, only kinds, states, percents and operator-chosen ids.
package workflows

import (
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
)

var (
	// KindKey is "migration", "campaign", "push" or "notification".
	KindKey = temporal.NewSearchAttributeKeyKeyword("ImshiftKind")
	// StateKey is the workflow's state, e.g. "paused" or "awaiting_approval".
	StateKey = temporal.NewSearchAttributeKeyKeyword("ImshiftState")
	// PercentKey is a migration's current rollout percent.
	PercentKey = temporal.NewSearchAttributeKeyInt64("ImshiftPercent")
	// MigrationIDKey is the operator's migrationId.
	MigrationIDKey = temporal.NewSearchAttributeKeyKeyword("ImshiftMigrationId")
	// CampaignIDKey is the campaign manager's campaignId.
	CampaignIDKey = temporal.NewSearchAttributeKeyKeyword("ImshiftCampaignId")
)

// SearchAttributes is every custom attribute with its type, for registering
// them on a namespace.
func SearchAttributes() map[string]enumspb.IndexedValueType {
	return map[string]enumspb.IndexedValueType{
		KindKey.GetName():        enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		StateKey.GetName():       enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		PercentKey.GetName():     enumspb.INDEXED_VALUE_TYPE_INT,
		MigrationIDKey.GetName(): enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		CampaignIDKey.GetName():  enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	}
}
