package campaign_test

import (
	"testing"

	"github.com/imshift/imshift/testbed/testenv"
)

// TestMain stops the Temporal dev server the package's tests start.
func TestMain(m *testing.M) { testenv.Main(m) }
