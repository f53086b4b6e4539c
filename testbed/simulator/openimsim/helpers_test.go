package openimsim_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/imshift/imshift/testbed/simulator/openimsim"
)

// harness is a simulator behind a real HTTP server and a raw client that
// sends exactly what a test says.
type harness struct {
	t   *testing.T
	sim *openimsim.Server
	url string
	hc  *http.Client
}

var opSeq atomic.Int64

func newHarness(t *testing.T, opts openimsim.Options) *harness {
	t.Helper()
	sim := openimsim.New(opts)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return &harness{t: t, sim: sim, url: srv.URL, hc: srv.Client()}
}

// reply is a decoded API answer; Data is nil when the key was absent.
type reply struct {
	Status  int
	ErrCode int
	ErrMsg  string
	ErrDlt  string
	Data    json.RawMessage
	HasData bool
	Keys    map[string]json.RawMessage
	Raw     []byte
}

// post sends body (a string is sent verbatim) with an operationID and, when
// token is not empty, a token header.
func (h *harness) post(path, token string, body any) reply {
	h.t.Helper()
	hdr := http.Header{"OperationID": {"op" + strconv.FormatInt(opSeq.Add(1), 10)}}
	if token != "" {
		hdr.Set("token", token)
	}
	return h.send(http.MethodPost, path, hdr, body)
}

func (h *harness) send(method, path string, hdr http.Header, body any) reply {
	h.t.Helper()
	var raw []byte
	switch b := body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			h.t.Fatal(err)
		}
	}
	req, err := http.NewRequest(method, h.url+path, bytes.NewReader(raw))
	if err != nil {
		h.t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	resp, err := h.hc.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	r := reply{Status: resp.StatusCode, Raw: out}
	if json.Unmarshal(out, &r.Keys) == nil {
		_ = json.Unmarshal(r.Keys["errCode"], &r.ErrCode)
		_ = json.Unmarshal(r.Keys["errMsg"], &r.ErrMsg)
		_ = json.Unmarshal(r.Keys["errDlt"], &r.ErrDlt)
		r.Data, r.HasData = r.Keys["data"]
	}
	return r
}

func (h *harness) adminToken() string {
	h.t.Helper()
	r := h.post("/auth/get_admin_token", "", map[string]string{"secret": openimsim.DefaultSecret, "userID": openimsim.DefaultAdminUserID})
	var data struct{ Token string }
	h.decodeData(r, &data)
	return data.Token
}

func (h *harness) userToken(admin, userID string, platformID int32) string {
	h.t.Helper()
	r := h.post("/auth/get_user_token", admin, map[string]any{"userID": userID, "platformID": platformID})
	var data struct{ Token string }
	h.decodeData(r, &data)
	return data.Token
}

func (h *harness) register(admin string, ids ...string) reply {
	h.t.Helper()
	users := make([]map[string]string, len(ids))
	for i, id := range ids {
		users[i] = map[string]string{"userID": id, "nickname": "n_" + id}
	}
	return h.post("/user/user_register", admin, map[string]any{"users": users})
}

// decodeData fails the test unless r is a success with data.
func (h *harness) decodeData(r reply, v any) {
	h.t.Helper()
	if r.Status != http.StatusOK || r.ErrCode != 0 || !r.HasData {
		h.t.Fatalf("want success with data, got HTTP %d: %s", r.Status, r.Raw)
	}
	if err := json.Unmarshal(r.Data, v); err != nil {
		h.t.Fatalf("data %s: %v", r.Data, err)
	}
}

// wantErr checks an envelope error at HTTP 200.
func wantErr(t *testing.T, r reply, code int, msg, dlt string) {
	t.Helper()
	if r.Status != http.StatusOK || r.ErrCode != code || r.ErrMsg != msg || (dlt != "" && r.ErrDlt != dlt) {
		t.Fatalf("want HTTP 200 errCode %d %s %q, got HTTP %d: %s", code, msg, dlt, r.Status, r.Raw)
	}
	if r.HasData {
		t.Fatalf("an error envelope has no data key: %s", r.Raw)
	}
}

func wantOK(t *testing.T, r reply) {
	t.Helper()
	if r.Status != http.StatusOK || r.ErrCode != 0 {
		t.Fatalf("want success, got HTTP %d: %s", r.Status, r.Raw)
	}
}
