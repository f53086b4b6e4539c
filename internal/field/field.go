// Package field holds imshift's one error type for bad input: the HTTP
// API, campaign inputs, migration plans and every workflow input report a
// problem as a *field.Error naming the field by its path ("userId",
// "analysis.failureLimit", "steps[0].percent") and saying what is wrong.
// It lives this low so internal/, activities/, workflows/ and worker/ share
// it.
package field

import "fmt"

// Error is a problem with one field of an input.
type Error struct {
	Field   string `json:"field"`
	Problem string `json:"problem"`
}

func (e *Error) Error() string { return e.Field + ": " + e.Problem }

// Errorf is an Error on path with a formatted problem.
func Errorf(path, format string, args ...any) *Error {
	return &Error{Field: path, Problem: fmt.Sprintf(format, args...)}
}
