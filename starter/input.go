package main

import (
	"fmt"
	"io"
	"os"

	"github.com/imshift/imshift/workflows"
)

// readInput reads a workflow input from a JSON file ("-" is stdin) with the
// decoder the workflows use: a misspelt "failurLimit" or "quietHour", or a
// "percent": "10", is refused naming the field path, as the workflow would.
func readInput[T any](path, what string) (T, error) {
	var v T
	var b []byte
	var err error
	if path == "-" {
		b, err = io.ReadAll(os.Stdin)
	} else {
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return v, err
	}
	if err := workflows.DecodeStrict(b, &v); err != nil {
		return v, fmt.Errorf("%s: not a %s: %w", path, what, err)
	}
	return v, nil
}
