package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// readInput reads a workflow input from a JSON file ("-" is stdin).
// Unknown fields are refused: a misspelt "failurLimit" or "quietHour" must
// not silently mean zero.
func readInput[T any](path, what string) (T, error) {
	var v T
	var r io.Reader = os.Stdin
	if path != "-" {
		b, err := os.ReadFile(path)
		if err != nil {
			return v, err
		}
		r = bytes.NewReader(b)
	}
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return v, fmt.Errorf("%s: not a %s: %w", path, what, err)
	}
	return v, nil
}
