package faults_test

import (
	"testing"

	"github.com/imshift/imshift/testbed/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }
