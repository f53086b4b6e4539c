package e2e

import (
	"os"
	"path/filepath"

	"github.com/imshift/imshift/testbed/simulator/apnssim"
	"github.com/imshift/imshift/testbed/simulator/fcmsim"
	"github.com/imshift/imshift/testbed/simulator/openimsim"
	"github.com/imshift/imshift/testbed/testenv"
)

// workerEnv is the worker's environment: this stack's database, Redis,
// OpenIM simulator and task queue, plus FCM and APNs settings the worker
// needs to start (nothing here sends a push).
func (s *stack) workerEnv() []string {
	s.t.Helper()
	dir := s.t.TempDir()
	account, err := fcmsim.ServiceAccountJSON("http://127.0.0.1:1/token", "imshift-e2e")
	if err != nil {
		s.t.Fatal(err)
	}
	p8, _, err := apnssim.GenerateKey()
	if err != nil {
		s.t.Fatal(err)
	}
	fcmFile, apnsFile := filepath.Join(dir, "fcm.json"), filepath.Join(dir, "apns.p8")
	for name, data := range map[string][]byte{fcmFile: account, apnsFile: p8} {
		if err := os.WriteFile(name, data, 0o600); err != nil {
			s.t.Fatal(err)
		}
	}
	return append(os.Environ(),
		"TEMPORAL_ADDRESS="+testenv.TemporalAddress(s.t),
		"TEMPORAL_NAMESPACE=default",
		"IMSHIFT_DATABASE_URL="+s.dbURL,
		"IMSHIFT_REDIS_URL="+s.redisURL,
		"IMSHIFT_TASK_QUEUE="+s.taskQueue,
		"IMSHIFT_HTTP_ADDR=127.0.0.1:0",
		"IMSHIFT_METRICS_ADDR=127.0.0.2:0",
		"IMSHIFT_USER_DIRECTORY=imshift.demo_users",
		"IMSHIFT_API_TOKENS=e2e-token-0123456789",
		"IMSHIFT_OPENIM_API_URL="+s.simURL,
		"IMSHIFT_OPENIM_ADMIN_USER_ID="+openimsim.DefaultAdminUserID,
		"IMSHIFT_OPENIM_SECRET="+openimsim.DefaultSecret,
		"IMSHIFT_FCM_CREDENTIALS_FILE="+fcmFile,
		"IMSHIFT_FCM_PROJECT_ID=imshift-e2e",
		"IMSHIFT_FCM_ENDPOINT=http://127.0.0.1:1",
		"IMSHIFT_APNS_KEY_FILE="+apnsFile,
		"IMSHIFT_APNS_KEY_ID=E2EKEY0001",
		"IMSHIFT_APNS_TEAM_ID=E2ETEAM001",
		"IMSHIFT_APNS_TOPIC=com.example.chat",
		"IMSHIFT_APNS_ENDPOINT=https://127.0.0.1:1",
	)
}

// runWorker starts the worker command built at bin; the test's cleanup
// ends it.
func (s *stack) runWorker(bin string, env []string) *testenv.Process {
	s.t.Helper()
	return testenv.StartProcess(s.t, "worker", env, bin)
}
