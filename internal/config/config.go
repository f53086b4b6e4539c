// Package config reads imshift's settings from the environment. The Temporal
// connection comes from the standard TEMPORAL_* variables and profiles
// (envconfig); everything else from IMSHIFT_* variables. A missing or
// malformed setting is reported as one line naming it, and secrets are never
// part of an error or a log line.
package config

import (
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
)

// Error names the setting that is wrong. Its text never holds the value.
type Error struct {
	Name    string
	Problem string
}

func (e *Error) Error() string { return fmt.Sprintf("setting %s: %s", e.Name, e.Problem) }

// env reads settings and keeps the first problem found, so a caller can read
// a whole group and check once.
type env struct {
	lookup func(string) (string, bool)
	err    error
}

func newEnv(lookup func(string) (string, bool)) *env {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	return &env{lookup: lookup}
}

func (e *env) fail(name, problem string) {
	if e.err == nil {
		e.err = &Error{Name: name, Problem: problem}
	}
}

func (e *env) raw(name, def string) string {
	v, ok := e.lookup(name)
	v = strings.TrimSpace(v)
	if !ok || v == "" {
		return def
	}
	return v
}

func (e *env) required(name string) string {
	v := e.raw(name, "")
	if v == "" {
		e.fail(name, "is missing")
	}
	return v
}

func (e *env) url(name, def string, required bool) string {
	v := e.raw(name, def)
	if v == "" {
		if required {
			e.fail(name, "is missing")
		}
		return ""
	}
	u, err := url.Parse(v)
	if err != nil || u.Scheme == "" || u.Host == "" {
		// The value may hold a password: say what is wrong, not what it is.
		e.fail(name, "is not a URL of the form scheme://host[:port]/...")
	}
	return v
}

func (e *env) file(name string, required bool) string {
	v := e.raw(name, "")
	if v == "" {
		if required {
			e.fail(name, "is missing")
		}
		return ""
	}
	if st, err := os.Stat(v); err != nil || st.IsDir() {
		e.fail(name, fmt.Sprintf("file %q cannot be read", v))
	}
	return v
}

func (e *env) int(name string, def int) int {
	v := e.raw(name, "")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		e.fail(name, fmt.Sprintf("%q is not a non-negative integer", v))
	}
	return n
}

func (e *env) duration(name string, def time.Duration) time.Duration {
	v := e.raw(name, "")
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		e.fail(name, fmt.Sprintf("%q is not a positive duration like 30s or 5m", v))
	}
	return d
}

func (e *env) list(name string) []string {
	var out []string
	for _, p := range strings.Split(e.raw(name, ""), ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Temporal returns client options from TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
// TEMPORAL_API_KEY, TEMPORAL_TLS_* and the TEMPORAL_PROFILE config file.
func Temporal() (client.Options, error) {
	opts, err := envconfig.LoadDefaultClientOptions()
	if err != nil {
		return opts, &Error{Name: "TEMPORAL_*", Problem: err.Error()}
	}
	return opts, nil
}

// TaskQueue is the queue the worker polls and the starter starts on.
func TaskQueue(lookup func(string) (string, bool)) string {
	return newEnv(lookup).raw("IMSHIFT_TASK_QUEUE", "imshift")
}
