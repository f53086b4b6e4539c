package openimsim_test

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/imshift/imshift/testbed/simulator/openimsim"
)

func TestOptionsUnknownPathAndMethod(t *testing.T) {
	h := newHarness(t, openimsim.Options{})
	r := h.send(http.MethodOptions, "/user/user_register", nil, nil)
	if r.Status != http.StatusOK || string(r.Raw) != `"Options Request!"` {
		t.Fatalf("OPTIONS: HTTP %d %s", r.Status, r.Raw)
	}
	for _, c := range []struct{ method, path string }{
		{http.MethodPost, "/user/no_such_thing"},
		{http.MethodGet, "/user/user_register"},
	} {
		req, _ := http.NewRequest(c.method, h.url+c.path, nil)
		resp, err := h.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound || string(body) != "404 page not found" ||
			resp.Header.Get("Content-Type") != "text/plain" {
			t.Fatalf("%s %s: HTTP %d %q %q", c.method, c.path, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
	}
	if n := h.sim.Counters().Requests["/user/user_register"]; n != 0 {
		t.Fatalf("a GET is not an API request, counted %d", n)
	}
}

func TestHeadersAreRequired(t *testing.T) {
	h := newHarness(t, openimsim.Options{})
	r := h.send(http.MethodPost, "/user/account_check", http.Header{"Token": {h.adminToken()}}, `{"checkUserIDs":["a"]}`)
	wantErr(t, r, 1001, "ArgsError", "header must have operationID")
	wantErr(t, h.post("/user/account_check", "", `{"checkUserIDs":["a"]}`), 1001, "ArgsError", "header must have token")
	wantErr(t, h.post("/user/account_check", "not-a-jwt", `{"checkUserIDs":["a"]}`), 1503, "TokenMalformedError", "")
}

func TestAdminTokenCheckOrderAndClaims(t *testing.T) {
	h := newHarness(t, openimsim.Options{AdminUserIDs: []string{"imAdmin", "ops"}})
	get := func(secret, user string) reply {
		return h.post("/auth/get_admin_token", "", map[string]string{"secret": secret, "userID": user})
	}
	wantErr(t, get("wrong", "stranger"), 1002, "NoPermissionError", "secret invalid")
	wantErr(t, get("openIM123", "stranger"), 1001, "ArgsError", "")
	h.sim.DeleteUser("ops")
	wantErr(t, get("openIM123", "ops"), 1004, "RecordNotFoundError", "")

	var data struct {
		Token             string `json:"token"`
		ExpireTimeSeconds int64  `json:"expireTimeSeconds"`
	}
	h.decodeData(get("openIM123", "imAdmin"), &data)
	if data.ExpireTimeSeconds != 7776000 {
		t.Fatalf("expireTimeSeconds = %d, want the 90-day TTL", data.ExpireTimeSeconds)
	}
	var cl struct {
		UserID     string
		PlatformID int
		jwt.RegisteredClaims
	}
	tok, err := jwt.ParseWithClaims(data.Token, &cl, func(*jwt.Token) (any, error) { return []byte("openIM123"), nil })
	if err != nil || tok.Method.Alg() != "HS256" {
		t.Fatalf("token does not verify as HS256 with the secret: %v", err)
	}
	if cl.UserID != "imAdmin" || cl.PlatformID != 10 || cl.ExpiresAt.Sub(cl.IssuedAt.Time) != 90*24*time.Hour {
		t.Fatalf("claims %+v", cl)
	}
}

func TestEnvelopeShapes(t *testing.T) {
	h := newHarness(t, openimsim.Options{})
	admin := h.adminToken()
	r := h.register(admin, "u1")
	wantOK(t, r)
	if r.HasData || len(r.Keys) != 3 || r.ErrMsg != "" || r.ErrDlt != "" {
		t.Fatalf("a no-data reply has exactly errCode, errMsg, errDlt: %s", r.Raw)
	}
	r = h.post("/user/get_users_info", admin, map[string][]string{"userIDs": {"ghost"}})
	if string(r.Data) != `{"usersInfo":null}` {
		t.Fatalf("unknown ids are left out and an empty list is null: %s", r.Raw)
	}
	r = h.post("/user/get_users_info", admin, map[string][]string{"userIDs": {"u1", "ghost", "u1"}})
	var info struct{ UsersInfo []map[string]any }
	h.decodeData(r, &info)
	want := []string{"userID", "nickname", "faceURL", "ex", "createTime", "appMangerLevel", "globalRecvMsgOpt"}
	if len(info.UsersInfo) != 1 || len(info.UsersInfo[0]) != len(want) {
		t.Fatalf("usersInfo: %s", r.Data)
	}
	for _, k := range want {
		if _, ok := info.UsersInfo[0][k]; !ok {
			t.Fatalf("field %s missing: %s", k, r.Data)
		}
	}
	r = h.post("/user/get_users_online_status", admin, `{"userIDs":[]}`)
	if !r.HasData || string(r.Data) != "null" {
		t.Fatalf("an empty list reply is data null: %s", r.Raw)
	}
}

func TestUserRegisterRules(t *testing.T) {
	h := newHarness(t, openimsim.Options{})
	admin := h.adminToken()
	wantOK(t, h.register(admin, "taken"))
	for _, c := range []struct {
		name, body string
		code       int
		dlt        string
	}{
		{"no users key", `{}`, 1001, "users are empty"},
		{"empty list", `{"users":[]}`, 1001, "users is empty"},
		{"hyphen", `{"users":[{"userID":"a-b","nickname":"x"}]}`, 1001, "userID is legal"},
		{"colon", `{"users":[{"userID":"a:b","nickname":"x"}]}`, 1001, "userID is legal"},
		{"legality before nickname", `{"users":[{"userID":"ok","nickname":""},{"userID":"a b","nickname":"x"}]}`, 1001, "userID is legal"},
		{"no nickname", `{"users":[{"userID":"ok","nickname":""}]}`, 1001, "user name is empty"},
		{"repeated", `{"users":[{"userID":"r","nickname":"x"},{"userID":"r","nickname":"y"}]}`, 1001, "userID repeated"},
		{"empty id", `{"users":[{"userID":"","nickname":"x"}]}`, 1001, "userID is empty"},
		{"not json", `{"users":`, 1001, ""},
		{"one exists", `{"users":[{"userID":"fresh","nickname":"x"},{"userID":"taken","nickname":"y"}]}`, 1102, "userID registered already"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := h.post("/user/user_register", admin, c.body)
			wantErr(t, r, c.code, map[int]string{1001: "ArgsError", 1102: "RegisteredAlreadyError"}[c.code], c.dlt)
		})
	}
	if h.sim.Registered("fresh") || h.sim.Users() != 1 {
		t.Fatalf("a refused batch inserts nothing: fresh=%v users=%d", h.sim.Registered("fresh"), h.sim.Users())
	}
	wantOK(t, h.register(admin, "Ünïcode_名前_123"))
}

func TestAdminOnlyEndpointsRefuseUserTokens(t *testing.T) {
	h := newHarness(t, openimsim.Options{})
	admin := h.adminToken()
	wantOK(t, h.register(admin, "u1"))
	user := h.userToken(admin, "u1", 2)
	for path, body := range map[string]string{
		"/user/user_register":           `{"users":[{"userID":"u2","nickname":"x"}]}`,
		"/user/account_check":           `{"checkUserIDs":["u1"]}`,
		"/user/get_users_online_status": `{"userIDs":["u1"]}`,
		"/auth/force_logout":            `{"userID":"u1","platformID":2}`,
		"/auth/get_user_token":          `{"userID":"u1","platformID":3}`,
	} {
		wantErr(t, h.post(path, user, body), 1002, "NoPermissionError", "user u1 is not admin userID")
	}
	// Any token may read users, presence and write FCM tokens.
	wantOK(t, h.post("/user/get_users_info", user, `{"userIDs":["u1"]}`))
	wantOK(t, h.post("/user/get_users_status", user, `{"userIDs":["u1"]}`))
	wantOK(t, h.post("/third/fcm_update_token", user, `{"account":"u1","platformID":2,"fcmToken":"f","expireTime":0}`))
}

func TestAccountCheck(t *testing.T) {
	h := newHarness(t, openimsim.Options{})
	admin := h.adminToken()
	wantOK(t, h.register(admin, "a"))
	r := h.post("/user/account_check", admin, `{"checkUserIDs":["a","b"]}`)
	if string(r.Data) != `{"results":[{"userID":"a","accountStatus":1},{"userID":"b","accountStatus":0}]}` {
		t.Fatalf("account_check: %s", r.Raw)
	}
	wantErr(t, h.post("/user/account_check", admin, `{"checkUserIDs":["a","a"]}`), 1001, "ArgsError", "userID repeated")
	wantErr(t, h.post("/user/account_check", admin, `{}`), 1001, "ArgsError", "CheckUserIDs is empty")
}

func TestGetUserTokenRules(t *testing.T) {
	h := newHarness(t, openimsim.Options{})
	admin := h.adminToken()
	wantOK(t, h.post("/user/user_register", admin, `{"users":[{"userID":"u1","nickname":"x"},{"userID":"bot","nickname":"b","appMangerLevel":3}]}`))
	get := func(user string, platform int) reply {
		return h.post("/auth/get_user_token", admin, map[string]any{"userID": user, "platformID": platform})
	}
	wantErr(t, get("u1", 10), 1002, "NoPermissionError", "")
	wantErr(t, get("ghost", 2), 1004, "RecordNotFoundError", "")
	wantErr(t, get("imAdmin", 2), 1002, "NoPermissionError", "")
	wantErr(t, get("bot", 2), 1001, "ArgsError", "")

	first := h.userToken(admin, "u1", 2)
	wantOK(t, h.post("/user/get_users_info", first, `{"userIDs":["u1"]}`))
	h.sim.AdvanceClock(time.Second) // same second, same claims: the same JWT
	second := h.userToken(admin, "u1", 2)
	other := h.userToken(admin, "u1", 5)
	wantErr(t, h.post("/user/get_users_info", first, `{"userIDs":["u1"]}`), 1506, "TokenKickedError", "")
	wantOK(t, h.post("/user/get_users_info", second, `{"userIDs":["u1"]}`))

	wantOK(t, h.post("/auth/force_logout", admin, `{"userID":"u1","platformID":2}`))
	wantErr(t, h.post("/user/get_users_info", second, `{"userIDs":["u1"]}`), 1506, "TokenKickedError", "")
	wantOK(t, h.post("/user/get_users_info", other, `{"userIDs":["u1"]}`))

	var parsed struct {
		UserID            string `json:"userID"`
		PlatformID        int32  `json:"platformID"`
		ExpireTimeSeconds int64  `json:"expireTimeSeconds"`
	}
	h.decodeData(h.post("/auth/parse_token", "", map[string]string{"token": other}), &parsed)
	if parsed.UserID != "u1" || parsed.PlatformID != 5 || parsed.ExpireTimeSeconds < time.Now().Add(89*24*time.Hour).Unix() {
		t.Fatalf("parse_token answers the absolute exp: %+v", parsed)
	}
	wantErr(t, h.post("/auth/parse_token", "", map[string]string{"token": first}), 1506, "TokenKickedError", "")
	h.decodeData(h.post("/auth/parse_token", "", map[string]string{"token": admin}), &parsed)
	if parsed.UserID != "imAdmin" || parsed.PlatformID != 10 {
		t.Fatalf("an admin token parses without a token-table entry: %+v", parsed)
	}

	h.sim.Reset() // Redis wiped: user tokens are gone, admin tokens still verify
	wantErr(t, h.post("/user/get_users_info", other, `{"userIDs":["u1"]}`), 1507, "TokenNotExistError", "")
	wantOK(t, h.post("/user/get_users_info", admin, `{"userIDs":["u1"]}`))
}

func TestTokenTimeAndSecret(t *testing.T) {
	h := newHarness(t, openimsim.Options{TokenTTL: time.Hour})
	admin := h.adminToken()
	check := func() reply { return h.post("/user/account_check", admin, `{"checkUserIDs":["x"]}`) }
	wantOK(t, check())
	h.sim.AdvanceClock(-10 * time.Minute) // before nbf (iat - 5 min)
	wantErr(t, check(), 1504, "TokenNotValidYetError", "")
	h.sim.AdvanceClock(10*time.Minute + time.Hour + time.Second)
	wantErr(t, check(), 1501, "TokenExpiredError", "")

	fresh := h.adminToken()
	if err := h.sim.RotateSecret("rotated"); err != nil {
		t.Fatal(err)
	}
	wantErr(t, h.post("/user/account_check", fresh, `{"checkUserIDs":["x"]}`), 1505, "TokenUnknownError", "")
	wantErr(t, h.post("/auth/get_admin_token", "", `{"secret":"openIM123","userID":"imAdmin"}`), 1002, "NoPermissionError", "secret invalid")
	wantOK(t, h.post("/auth/get_admin_token", "", `{"secret":"rotated","userID":"imAdmin"}`))
	if h.sim.RotateSecret("") == nil {
		t.Fatal("an empty secret is refused")
	}
}

func TestPresence(t *testing.T) {
	h := newHarness(t, openimsim.Options{})
	admin := h.adminToken()
	h.sim.SetOnline("u1", 5, true)
	h.sim.SetOnline("u1", 2, true)
	h.sim.SetOnline("u3", 3, true)
	h.sim.SetOnline("u3", 3, false)

	r := h.post("/user/get_users_status", admin, `{"userIDs":["u1","u2","u3"]}`)
	want := `{"statusList":[{"userID":"u1","status":1,"platformIDs":[2,5]},{"userID":"u2","status":0,"platformIDs":[]},{"userID":"u3","status":0,"platformIDs":[]}]}`
	if string(r.Data) != want {
		t.Fatalf("get_users_status:\n got %s\nwant %s", r.Data, want)
	}
	wantErr(t, h.post("/user/get_users_status", admin, `{"userIDs":[]}`), 1001, "ArgsError", "UserIDs is empty")

	var online []struct {
		UserID               string
		Status               int32
		DetailPlatformStatus []struct {
			PlatformID   int32
			ConnID       string
			IsBackground bool
			Token        string
		}
	}
	r = h.post("/user/get_users_online_status", admin, `{"userIDs":["u1","u2"]}`)
	h.decodeData(r, &online)
	if len(online) != 2 || online[0].Status != 1 || len(online[0].DetailPlatformStatus) != 2 ||
		online[1].Status != 0 || online[1].DetailPlatformStatus != nil || !strings.Contains(string(r.Data), `"detailPlatformStatus":null`) {
		t.Fatalf("get_users_online_status: %s", r.Data)
	}
	// The reported token is the login's: valid for that user and platform.
	web := online[0].DetailPlatformStatus[1]
	if web.PlatformID != 5 || web.ConnID == "" {
		t.Fatalf("detail %+v", web)
	}
	wantOK(t, h.post("/user/get_users_info", web.Token, `{"userIDs":["u1"]}`))

	wantOK(t, h.post("/auth/force_logout", admin, `{"userID":"u1","platformID":5}`))
	if got := h.sim.User("u1").OnlinePlatformIDs; len(got) != 1 || got[0] != 2 {
		t.Fatalf("force_logout takes one platform offline, left %v", got)
	}
	wantErr(t, h.post("/user/get_users_info", web.Token, `{"userIDs":["u1"]}`), 1506, "TokenKickedError", "")
	for _, body := range []string{`{"userID":"u1","platformID":11}`, `{"userID":"u1","platformID":0}`} {
		wantErr(t, h.post("/auth/force_logout", admin, body), 1001, "ArgsError", "platformID is invalidate")
	}
	wantErr(t, h.post("/auth/force_logout", admin, `{"platformID":1}`), 1001, "ArgsError", "userID is empty")

	r = h.post("/user/get_users_online_status", admin, `{"userIDs":"u1"}`)
	if r.Status != http.StatusBadRequest || r.ErrCode != 500 || r.ErrMsg != "ServerInternalError" {
		t.Fatalf("an unbindable body is HTTP 400 with errCode 500: HTTP %d %s", r.Status, r.Raw)
	}
}

func TestFCMUpdateToken(t *testing.T) {
	h := newHarness(t, openimsim.Options{})
	admin := h.adminToken()
	for _, c := range []struct{ body, dlt string }{
		{`{"account":"u1","platformID":11,"fcmToken":"t"}`, "platformID is invalidate"},
		{`{"account":"u1","platformID":0,"fcmToken":"t"}`, "platformID is invalidate"},
		{`{"account":"u1","platformID":2,"fcmToken":""}`, "FcmToken is empty"},
		{`{"account":"","platformID":2,"fcmToken":"t"}`, "account is empty"},
	} {
		wantErr(t, h.post("/third/fcm_update_token", admin, c.body), 1001, "ArgsError", c.dlt)
	}
	r := h.post("/third/fcm_update_token", admin, `{"account":"u1","platformID":2,"fcmToken":"old","expireTime":0}`)
	wantOK(t, r)
	if r.HasData {
		t.Fatalf("fcm_update_token has no data: %s", r.Raw)
	}
	wantOK(t, h.post("/third/fcm_update_token", admin, `{"account":"u1","platformID":2,"fcmToken":"new","expireTime":60}`))
	wantOK(t, h.post("/third/fcm_update_token", admin, `{"account":"u1","platformID":1,"fcmToken":"ios","expireTime":0}`))
	if tok, ok := h.sim.FCMToken("u1", 2); !ok || tok != "new" {
		t.Fatalf("a new token replaces the old one: %q %v", tok, ok)
	}
	c := h.sim.Counters()
	if c.FCMTokens != 2 || c.FCMUpdates["u1:2"] != 2 || c.FCMUpdates["u1:1"] != 1 {
		t.Fatalf("counters %+v", c)
	}
	h.sim.AdvanceClock(61 * time.Second)
	if _, ok := h.sim.FCMToken("u1", 2); ok {
		t.Fatal("expireTime is a TTL in seconds")
	}
	if tok, ok := h.sim.FCMToken("u1", 1); !ok || tok != "ios" {
		t.Fatal("expireTime 0 never expires")
	}
}

func TestGzipWhenAsked(t *testing.T) {
	h := newHarness(t, openimsim.Options{})
	// A transport that neither asks for gzip nor undoes it on its own.
	hc := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	get := func(acceptEncoding string) (*http.Response, []byte) {
		req, _ := http.NewRequest(http.MethodPost, h.url+"/auth/get_admin_token", strings.NewReader(`{"secret":"openIM123","userID":"imAdmin"}`))
		req.Header.Set("operationID", "gz")
		if acceptEncoding != "" {
			req.Header.Set("Accept-Encoding", acceptEncoding)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, body
	}
	resp, body := get("deflate, gzip")
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding %q", resp.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	var env struct {
		ErrCode int
		Data    struct{ Token string }
	}
	if err := json.NewDecoder(zr).Decode(&env); err != nil || env.ErrCode != 0 || env.Data.Token == "" {
		t.Fatalf("gzipped envelope: %v %+v", err, env)
	}
	for _, ae := range []string{"", "gzip;q=0", "br"} {
		resp, body = get(ae)
		if resp.Header.Get("Content-Encoding") != "" || !json.Valid(body) {
			t.Fatalf("Accept-Encoding %q: Content-Encoding %q, body %q", ae, resp.Header.Get("Content-Encoding"), body)
		}
	}
}
