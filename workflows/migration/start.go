package migration

import (
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/imshift/imshift/workflows"
)

// StartOptions starts a migration's workflow: id migration-<migrationId>,
// refused while a run of it is open (one run per migration at a time), and
// allowed again once it has closed; its search attributes are set from the
// start so the UI lists it at once.
func StartOptions(migrationID, taskQueue string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID:                       WorkflowID(migrationID),
		TaskQueue:                taskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		// Without it the client hands back the running run as if started.
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			workflows.KindKey.ValueSet("migration"),
			workflows.StateKey.ValueSet(string(StateValidating)),
			workflows.PercentKey.ValueSet(0),
			workflows.MigrationIDKey.ValueSet(migrationID),
		),
	}
}
