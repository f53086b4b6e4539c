// Package e2e holds the end-to-end tests of the traffic migration: a real
// Temporal dev server, PostgreSQL and Redis, the OpenIM simulator behind a
// real HTTP server, the simulated legacy client population, and the worker
// (in process, or the real worker binary where a process has to die). The
// tests act as an operator would: they start TrafficMigration with a JSON
// plan and steer it with signals and the status query, through the SDK
// client and through the temporal CLI.
package e2e
