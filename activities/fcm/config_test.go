package fcm_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/imshift/imshift/activities/fcm"
	"github.com/imshift/imshift/testbed/simulator/fcmsim"
)

// TestNewSenderRefusesBadConfig: bad key files are refused without the
// error quoting any of the file's content.
func TestNewSenderRefusesBadConfig(t *testing.T) {
	key, err := fcmsim.ServiceAccountJSON("http://127.0.0.1:1/token", "")
	if err != nil {
		t.Fatal(err)
	}
	userCreds := `{"type":"authorized_user","client_secret":"very-secret-value","refresh_token":"r"}`
	cases := map[string]string{
		"missing file":    "",
		"not a key":       userCreds,
		"no project":      string(key),
		"not json at all": "very-secret-value",
	}
	for name, content := range cases {
		path := writeKey(t, []byte(content))
		if name == "missing file" {
			os.Remove(path)
		}
		_, err := fcm.NewSender(context.Background(), fcm.Config{CredentialsFile: path})
		if err == nil {
			t.Fatalf("%s: accepted", name)
		}
		if msg := err.Error(); strings.Contains(msg, "very-secret-value") || strings.Contains(msg, "PRIVATE KEY") {
			t.Fatalf("%s: error quotes the key file: %s", name, msg)
		}
	}
}
