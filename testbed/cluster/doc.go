// Package cluster is the production-topology test (make test-cluster,
// docs/production.md): a Temporal server built from go.temporal.io/server
// at the release the pinned CLI embeds, on the machine's PostgreSQL
// (persistence and SQL visibility, schemas set up by temporal-sql-tool),
// three worker processes and the simulator command. The test itself is
// behind the build tag "cluster" so that `go test ./...` (make test) does
// not need the server build; the harness here compiles and is vetted with
// the rest of the module.
package cluster
