// Package testenv gives integration tests the real parts they run against:
// a throwaway PostgreSQL database with imshift's migrations applied, a Redis
// database of their own, and a Temporal dev server (the pinned CLI as a
// separate process). Nothing here is a fake.
//
// Settings (all optional):
//
//	IMSHIFT_TEST_DATABASE_URL  admin connection used to create databases
//	                           (default postgres://postgres@127.0.0.1:5432/postgres)
//	IMSHIFT_TEST_REDIS_URL     (default redis://127.0.0.1:6379/0)
//	IMSHIFT_TEST_TEMPORAL_ADDRESS  a running dev server (make test starts one);
//	                           when empty, bin/temporal is started for the package
package testenv

import (
	"errors"
	"os"
	"path/filepath"
)

func getenv(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// ModuleRoot is the directory holding go.mod, found from the test's working
// directory (its package directory).
func ModuleRoot() string {
	dir, err := FindModuleRoot()
	if err != nil {
		panic("testenv: " + err.Error())
	}
	return dir
}

// FindModuleRoot is the directory holding go.mod, from the working directory
// up; the benchmarks call it (they report the error instead of panicking).
func FindModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
}
