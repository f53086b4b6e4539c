package apnssim

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/imshift/imshift/testbed/simulator/delay"
)

// Payload limits from Apple's "Sending notification requests to APNs".
const (
	maxPayload     = 4096
	maxVoIPPayload = 5120
	maxCollapseID  = 64
	devicePrefix   = "/3/device/"
)

// Canonical header keys, so lookups skip canonicalisation.
const (
	hAuthorization = "Authorization"
	hTopic         = "Apns-Topic"
	hPushType      = "Apns-Push-Type"
	hPriority      = "Apns-Priority"
	hExpiration    = "Apns-Expiration"
	hCollapseID    = "Apns-Collapse-Id"
	hApnsID        = "Apns-Id"
)

// pushTypes are the apns-push-type values Apple documents.
var pushTypes = map[string]bool{
	"alert": true, "background": true, "location": true, "voip": true,
	"complication": true, "fileprovider": true, "mdm": true,
	"liveactivity": true, "pushtotalk": true, "widgets": true, "controls": true,
}

// bodyPool recycles request-body buffers: one read per request, no growth.
var bodyPool = sync.Pool{New: func() any { b := make([]byte, maxVoIPPayload+1); return &b }}

// push answers POST /3/device/{token}.
func (s *Server) push(w http.ResponseWriter, r *http.Request, token string) {
	if r.ProtoMajor != 2 {
		// APNs only speaks HTTP/2; Apple has no reason string for this, the
		// status says it.
		s.fail(w, token, http.StatusHTTPVersionNotSupported, "HTTP2Required")
		return
	}
	if r.Method != http.MethodPost {
		s.fail(w, token, http.StatusMethodNotAllowed, "MethodNotAllowed")
		return
	}
	s.sleep(r)
	status, reason := s.validate(r, token)
	if status != 0 {
		s.fail(w, token, status, reason)
		return
	}
	k, ok := parseToken(token)
	if !ok {
		s.fail(w, token, http.StatusBadRequest, "BadDeviceToken")
		return
	}
	if status, reason = readPayload(r); status != 0 {
		s.fail(w, token, status, reason)
		return
	}
	if f, faulted := s.st.decide(token, k); faulted {
		writeFault(w, f, s.now())
		return
	}
	w.Header()[hApnsID] = []string{apnsID(r)}
	w.WriteHeader(http.StatusOK)
}

// validate checks auth and headers in the order APNs reports them.
func (s *Server) validate(r *http.Request, token string) (int, string) {
	if token == "" {
		return http.StatusBadRequest, "MissingDeviceToken"
	}
	if reason := s.auth.check(first(r, hAuthorization), s.now()); reason != "" {
		return http.StatusForbidden, reason
	}
	for _, h := range [...]string{hTopic, hPushType, hPriority, hExpiration, hCollapseID, hApnsID} {
		if len(r.Header[h]) > 1 {
			return http.StatusBadRequest, "DuplicateHeaders"
		}
	}
	if reason := s.checkTopic(first(r, hTopic)); reason != "" {
		return http.StatusBadRequest, reason
	}
	return checkHeaders(r)
}

func (s *Server) checkTopic(topic string) string {
	switch {
	case topic == "":
		return "MissingTopic"
	case topic == s.opts.Topic:
		return ""
	case len(topic) > len(s.opts.Topic)+1 && topic[:len(s.opts.Topic)+1] == s.opts.Topic+".":
		// Apple derives voip, complication, liveactivity... topics from the
		// bundle id with a suffix.
		return ""
	}
	return "TopicDisallowed"
}

// checkHeaders validates the optional apns-* headers.
func checkHeaders(r *http.Request) (int, string) {
	if pt := first(r, hPushType); pt != "" && !pushTypes[pt] {
		return http.StatusBadRequest, "InvalidPushType"
	}
	switch first(r, hPriority) {
	case "", "1", "5", "10":
	default:
		return http.StatusBadRequest, "BadPriority"
	}
	if e := first(r, hExpiration); e != "" {
		if n, err := strconv.ParseInt(e, 10, 64); err != nil || n < 0 {
			return http.StatusBadRequest, "BadExpirationDate"
		}
	}
	if len(first(r, hCollapseID)) > maxCollapseID {
		return http.StatusBadRequest, "BadCollapseId"
	}
	if id := first(r, hApnsID); id != "" && !isUUID(id) {
		return http.StatusBadRequest, "BadMessageId"
	}
	return 0, ""
}

// readPayload reads the body and checks its size and that it is a JSON
// object. Apple documents no reason for malformed JSON; the simulator
// answers 400 BadPayload so senders see a message-level rejection.
func readPayload(r *http.Request) (int, string) {
	limit := maxPayload
	if first(r, hPushType) == "voip" {
		limit = maxVoIPPayload
	}
	bp := bodyPool.Get().(*[]byte)
	defer bodyPool.Put(bp)
	buf := (*bp)[:limit+1]
	n, err := io.ReadFull(r.Body, buf)
	switch {
	case err != nil && err != io.EOF && err != io.ErrUnexpectedEOF:
		return http.StatusBadRequest, "BadPayload"
	case n > limit:
		return http.StatusRequestEntityTooLarge, "PayloadTooLarge"
	case n == 0:
		return http.StatusBadRequest, "PayloadEmpty"
	case buf[0] != '{' || !json.Valid(buf[:n]):
		return http.StatusBadRequest, "BadPayload"
	}
	return 0, ""
}

func first(r *http.Request, key string) string {
	if v := r.Header[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// sleep applies the configured latency unless the client gives up first.
func (s *Server) sleep(r *http.Request) {
	delay.Wait(r.Context(), time.Duration(s.latency.Load()))
}

// fail writes an error answer and counts it.
func (s *Server) fail(w http.ResponseWriter, token string, status int, reason string) {
	s.st.record(token, status, reason)
	writeReason(w, status, reason, 0)
}

// writeFault answers with an injected fault; 410 carries the timestamp APNs
// sends with it.
func writeFault(w http.ResponseWriter, f Fault, now time.Time) {
	if f.RetryAfter > 0 {
		secs := int64((f.RetryAfter + time.Second - 1) / time.Second)
		w.Header()["Retry-After"] = []string{strconv.FormatInt(secs, 10)}
	}
	var ts int64
	if f.Status == http.StatusGone {
		ts = now.UnixMilli()
	}
	writeReason(w, f.Status, f.Reason, ts)
}

func writeReason(w http.ResponseWriter, status int, reason string, ts int64) {
	w.Header()["Content-Type"] = []string{"application/json"}
	w.WriteHeader(status)
	if ts != 0 {
		fmt.Fprintf(w, `{"reason":%q,"timestamp":%d}`, reason, ts)
		return
	}
	fmt.Fprintf(w, `{"reason":%q}`, reason)
}

// apnsID echoes the request's apns-id or makes a random version-4 UUID.
// math/rand suffices: the id must be unique, not unpredictable.
func apnsID(r *http.Request) string {
	if id := first(r, hApnsID); id != "" {
		return id
	}
	var b [16]byte
	a, c := rand.Uint64(), rand.Uint64()
	for i := range 8 {
		b[i], b[8+i] = byte(a>>(8*i)), byte(c>>(8*i))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%X-%X-%X-%X-%X", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// isUUID reports whether s is a canonical 8-4-4-4-12 hex UUID.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !isHex(c) {
				return false
			}
		}
	}
	return true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
