// Registering the search attributes on a namespace: run by worker setup, the
// benchmarks and the tests, idempotent.

package workflows

import (
	"context"
	"fmt"

	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
)

// RegisterSearchAttributes adds imshift's custom search attributes to the
// namespace, leaving the ones already there alone, so it is safe to repeat.
func RegisterSearchAttributes(ctx context.Context, c client.Client, namespace string) error {
	ops := c.OperatorService()
	have, err := ops.ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return fmt.Errorf("list search attributes: %w", err)
	}
	missing := SearchAttributes()
	for name := range have.GetCustomAttributes() {
		delete(missing, name)
	}
	if len(missing) == 0 {
		return nil
	}
	_, err = ops.AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace:        namespace,
		SearchAttributes: missing,
	})
	if err != nil {
		return fmt.Errorf("add search attributes: %w", err)
	}
	return nil
}
