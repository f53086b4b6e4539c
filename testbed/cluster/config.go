package cluster

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"text/template"
)

// serverConfig is the server's static config: one node running every
// service on loopback, PostgreSQL persistence and SQL visibility. What the
// production topology differs in is the number of nodes and shards, not the
// shape.
var serverConfig = template.Must(template.New("config").Parse(`log:
  stdout: true
  level: warn
persistence:
  defaultStore: default
  visibilityStore: visibility
  numHistoryShards: 4
  datastores:
    default:
      sql:
        pluginName: postgres12
        databaseName: {{.Persistence}}
        connectAddr: "{{.PG.Host}}:{{.PG.Port}}"
        connectProtocol: tcp
        user: "{{.PG.User}}"
        password: "{{.PG.Password}}"
        maxConns: 20
        maxIdleConns: 20
        maxConnLifetime: 1h
    visibility:
      sql:
        pluginName: postgres12
        databaseName: {{.Visibility}}
        connectAddr: "{{.PG.Host}}:{{.PG.Port}}"
        connectProtocol: tcp
        user: "{{.PG.User}}"
        password: "{{.PG.Password}}"
        maxConns: 10
        maxIdleConns: 10
        maxConnLifetime: 1h
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: 127.0.0.1
services:
  frontend:
    rpc: {grpcPort: {{.Frontend}}, membershipPort: {{index .Ports 0}}, httpPort: {{index .Ports 1}}, bindOnLocalHost: true}
  history:
    rpc: {grpcPort: {{index .Ports 2}}, membershipPort: {{index .Ports 3}}, bindOnLocalHost: true}
  matching:
    rpc: {grpcPort: {{index .Ports 4}}, membershipPort: {{index .Ports 5}}, bindOnLocalHost: true}
  worker:
    rpc: {grpcPort: {{index .Ports 6}}, membershipPort: {{index .Ports 7}}, bindOnLocalHost: true}
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: "127.0.0.1:{{.Frontend}}"
dcRedirectionPolicy:
  policy: noop
archival:
  history: {state: disabled}
  visibility: {state: disabled}
namespaceDefaults:
  archival:
    history: {state: disabled}
    visibility: {state: disabled}
dynamicConfigClient:
  filepath: "{{.DynamicConfig}}"
  pollInterval: 10s
`))

// dynamicConfig: no calls home, and search attributes visible as soon as
// they are added (as the CLI's dev server does; the test registers them
// just before it starts workflows that set them).
const dynamicConfig = `frontend.enableServerVersionCheck:
  - value: false
system.forceSearchAttributesCacheRefreshOnRead:
  - value: true
`

// writeConfig writes config/development.yaml and the dynamic config under
// s.dir; ports are the 8 ports besides the frontend's.
func (s *Server) writeConfig(pg pgAddress, persistence, visibility string, ports []int) error {
	_, frontend, err := net.SplitHostPort(s.Addr)
	if err != nil {
		return err
	}
	dyn := filepath.Join(s.dir, "dynamicconfig.yaml")
	if err := os.WriteFile(dyn, []byte(dynamicConfig), 0o600); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(s.dir, "config"), 0o700); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(s.dir, "config", "development.yaml"))
	if err != nil {
		return err
	}
	defer f.Close()
	port, _ := strconv.Atoi(frontend)
	return serverConfig.Execute(f, map[string]any{
		"PG":          map[string]string{"Host": pg.host, "Port": pg.port, "User": pg.user, "Password": pg.password},
		"Persistence": persistence, "Visibility": visibility, "Frontend": port, "Ports": ports,
		"DynamicConfig": dyn,
	})
}
