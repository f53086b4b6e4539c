package main

import (
	"context"
	"fmt"
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
)

// current reads a workflow's state as T: a running workflow is queried with
// query, a closed one's result is its final state, so reading needs no
// worker once it is over. The status is UNSPECIFIED when the workflow could
// not be described; for a closed workflow that did not complete, err is the
// error its result carries.
func current[T any](ctx context.Context, tc client.Client, id, query string) (T, enumspb.WorkflowExecutionStatus, error) {
	var v T
	d, err := tc.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		return v, enumspb.WORKFLOW_EXECUTION_STATUS_UNSPECIFIED, err
	}
	status := d.GetWorkflowExecutionInfo().GetStatus()
	if status == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		q, err := tc.QueryWorkflow(ctx, id, "", query)
		if err != nil {
			return v, status, fmt.Errorf("%w: %w", errQuery, err)
		}
		return v, status, q.Get(&v)
	}
	return v, status, tc.GetWorkflow(ctx, id, "").Get(ctx, &v)
}

// statusName is "failed" for WORKFLOW_EXECUTION_STATUS_FAILED.
func statusName(s enumspb.WorkflowExecutionStatus) string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "WORKFLOW_EXECUTION_STATUS_"))
}
