package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imshift/imshift/internal/registry"
	"github.com/imshift/imshift/testbed/testenv"
)

const (
	apnsTok = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"
	fcmTok  = "fcm-token-000001:APA91b"
)

// importInto runs the import command's code against a fresh registry.
func importInto(t *testing.T, f importFlags) (*registry.Store, string, string, error) {
	t.Helper()
	pool, url := testenv.Database(t)
	t.Setenv("IMSHIFT_DATABASE_URL", url)
	var out, errs bytes.Buffer
	err := runImport(context.Background(), f, &out, &errs)
	return registry.New(pool), out.String(), errs.String(), err
}

func TestImportCSV(t *testing.T) {
	csv := strings.Join([]string{
		"token,provider,platform,user_id,locale,time_zone", // any column order
		apnsTok + ",apns,ios,alice,de-DE,Europe/Berlin",
		fcmTok + ",fcm,android,bob,,",
		fcmTok + ",fcm,android,mallory,,", // same token again: the first row wins
		"short,fcm,android,carol,,",       // bad token
		"0011,apns,android,dave,,",        // apns on android
		"fcm-token-000002:APA91b,fcm,web,erin,en,Mars/Base",
		"fcm-token-000003:APA91b,fcm,web,frank,en,UTC",
	}, "\n") + "\n"
	path := filepath.Join(t.TempDir(), "devices.csv")
	if err := os.WriteFile(path, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	store, out, report, err := importInto(t, importFlags{csvFile: path, batch: 2})
	if err == nil || !strings.Contains(err.Error(), "3 rows rejected") {
		t.Fatalf("err = %v", err)
	}
	if out != "devices: 7 read, 3 imported, 1 already registered, 3 rejected\n" {
		t.Fatalf("summary %q", out)
	}
	for _, want := range []string{"line 5: token:", "line 6: provider:", "line 7: timeZone:"} {
		if !strings.Contains(report, want) {
			t.Fatalf("report lacks %q:\n%s", want, report)
		}
	}
	if strings.Contains(report, "short") || strings.Contains(report, "0011") {
		t.Fatalf("report quotes values:\n%s", report)
	}
	assertOwners(t, store, map[string]string{apnsTok: "alice", fcmTok: "bob", "fcm-token-000003:APA91b": "frank"})
}

func assertOwners(t *testing.T, store *registry.Store, want map[string]string) {
	t.Helper()
	page, err := store.Page(context.Background(), registry.Filter{All: true}, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, d := range page {
		got[d.Token] = d.UserID
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("registry holds %v, want %v", got, want)
	}
}

func TestImportCSVNeedsTheRequiredColumns(t *testing.T) {
	path := filepath.Join(t.TempDir(), "devices.csv")
	if err := os.WriteFile(path, []byte("user_id,token\nalice,"+fcmTok+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := importInto(t, importFlags{csvFile: path, batch: 10}); err == nil || !strings.Contains(err.Error(), `no column "platform"`) {
		t.Fatalf("err = %v", err)
	}
}

func TestImportSQL(t *testing.T) {
	legacy, legacyURL := testenv.Database(t)
	ctx := context.Background()
	_, err := legacy.Exec(ctx, `
		CREATE SCHEMA legacy;
		CREATE TABLE legacy.tokens (user_id bigint, platform text, provider text, token text,
			app_id text, locale text, time_zone text, updated_at timestamptz);
		INSERT INTO legacy.tokens VALUES
			(1, 'ios', 'apns', '`+apnsTok+`', 'com.example.chat', 'de', NULL, now()),
			(2, 'android', 'fcm', '`+fcmTok+`', NULL, NULL, NULL, now() - interval '1 day'),
			(3, 'android', 'fcm', '`+fcmTok+`', NULL, NULL, NULL, now())`)
	if err != nil {
		t.Fatal(err)
	}
	store, out, report, err := importInto(t, importFlags{
		sourceURL: legacyURL, batch: 1000,
		query: "SELECT user_id, platform, provider, token, app_id, locale, time_zone FROM legacy.tokens ORDER BY updated_at DESC",
	})
	if err != nil || report != "" {
		t.Fatalf("err = %v, report %q", err, report)
	}
	if out != "devices: 3 read, 2 imported, 1 already registered, 0 rejected\n" {
		t.Fatalf("summary %q", out)
	}
	assertOwners(t, store, map[string]string{apnsTok: "1", fcmTok: "3"})
}
