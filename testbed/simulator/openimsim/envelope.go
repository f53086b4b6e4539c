package openimsim

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
)

// Error codes the simulator answers with (reference §1.5).
const (
	codeServerInternal    = 500
	codeArgs              = 1001
	codeNoPermission      = 1002
	codeRecordNotFound    = 1004
	codeRegisteredAlready = 1102
	codeTokenExpired      = 1501
	codeTokenMalformed    = 1503
	codeTokenNotValidYet  = 1504
	codeTokenUnknown      = 1505
	codeTokenKicked       = 1506
	codeTokenNotExist     = 1507
)

// codeNames are the errMsg names of the reference's code table, so injected
// faults carry the name a real server would send.
var codeNames = map[int]string{
	429:   "TooManyRequests",
	500:   "ServerInternalError",
	1001:  "ArgsError",
	1002:  "NoPermissionError",
	1003:  "DuplicateKeyError",
	1004:  "RecordNotFoundError",
	1101:  "UserIDNotFoundError",
	1102:  "RegisteredAlreadyError",
	1201:  "GroupIDNotFound",
	1202:  "GroupIDExisted",
	1203:  "NotInGroupYet",
	1204:  "DismissedAlready",
	1302:  "BlockedByPeer",
	1303:  "NotPeersFriend",
	1402:  "MutedInGroup",
	1403:  "MutedGroup",
	1501:  "TokenExpiredError",
	1502:  "TokenInvalidError",
	1503:  "TokenMalformedError",
	1504:  "TokenNotValidYetError",
	1505:  "TokenUnknownError",
	1506:  "TokenKickedError",
	1507:  "TokenNotExistError",
	1601:  "ConnOverMaxNumLimit",
	1602:  "ConnArgsErr",
	80000: "CallbackError",
	90004: "NetworkError",
	90007: "DataError",
}

// codeName falls back to CallbackError: codes outside the table are the ones a
// before-webhook passes through (5000-9999).
func codeName(code int) string {
	if name, ok := codeNames[code]; ok {
		return name
	}
	return "CallbackError"
}

// apiError is a business error: HTTP status (200 unless set) plus envelope.
type apiError struct {
	code   int
	dlt    string
	status int
}

func newErr(code int, format string, args ...any) *apiError {
	return &apiError{code: code, dlt: fmt.Sprintf(format, args...)}
}

func argsErr(dlt string) *apiError { return &apiError{code: codeArgs, dlt: dlt} }

func notAdmin(c caller) *apiError {
	return newErr(codeNoPermission, "user %s is not admin userID", c.userID)
}

// noData marks a reply whose RPC response has no exported fields: the
// envelope then has no "data" key at all (reference §1.4).
type noData struct{}

// envelope has no omitempty on the first three fields, like apiresp; Data is
// omitted only when the interface is nil, so a nil list still comes out null.
type envelope struct {
	ErrCode int    `json:"errCode"`
	ErrMsg  string `json:"errMsg"`
	ErrDlt  string `json:"errDlt"`
	Data    any    `json:"data,omitempty"`
}

func (s *Server) reply(w http.ResponseWriter, r *http.Request, data any, e *apiError) {
	if e != nil {
		status := e.status
		if status == 0 {
			status = http.StatusOK
		}
		writeJSON(w, r, status, envelope{ErrCode: e.code, ErrMsg: codeName(e.code), ErrDlt: e.dlt})
		return
	}
	if _, none := data.(noData); none {
		data = nil
	}
	writeJSON(w, r, http.StatusOK, envelope{Data: data})
}

// setCORS mirrors the server's CORS middleware, which also presets the
// content type (so even an empty 500 says application/json).
func setCORS(h http.Header) {
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Allow-Methods", "*")
	h.Set("Access-Control-Allow-Headers", "*")
	h.Set("Access-Control-Allow-Credentials", "false")
	h.Set("Content-Type", "application/json")
}

func writeNotFound(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(http.StatusNotFound)
	_, _ = w.Write([]byte("404 page not found"))
}

var gzipWriters = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
	return zw
}}

// writeJSON gzips when the client asked for it, as the API does with
// compressionLevel 0.
func writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	if !acceptsGzip(r.Header.Get("Accept-Encoding")) {
		w.WriteHeader(status)
		_, _ = w.Write(body)
		return
	}
	h.Set("Content-Encoding", "gzip")
	h.Set("Vary", "Accept-Encoding")
	w.WriteHeader(status)
	zw := gzipWriters.Get().(*gzip.Writer)
	zw.Reset(w)
	_, _ = zw.Write(body)
	_ = zw.Close()
	gzipWriters.Put(zw)
}

func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(name), "gzip") {
			return strings.ReplaceAll(params, " ", "") != "q=0"
		}
	}
	return false
}
