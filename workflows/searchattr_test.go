package workflows_test

import (
	"context"
	"testing"

	"go.temporal.io/api/operatorservice/v1"

	"github.com/imshift/imshift/testbed/testenv"
	"github.com/imshift/imshift/workflows"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestRegisterSearchAttributesTwice(t *testing.T) {
	c := testenv.Temporal(t) // registers once
	ctx := context.Background()
	if err := workflows.RegisterSearchAttributes(ctx, c, "default"); err != nil {
		t.Fatalf("second registration: %v", err)
	}
	got, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	for name, typ := range workflows.SearchAttributes() {
		if got.GetCustomAttributes()[name] != typ {
			t.Errorf("%s: registered as %v, want %v", name, got.GetCustomAttributes()[name], typ)
		}
	}
}
