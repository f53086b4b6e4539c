package fcmsim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/imshift/imshift/testbed/simulator/delay"
)

const (
	maxPayload  = 4096
	maxTokenLen = 4096
)

// sendRequest is the part of the messages:send body the simulator checks.
// Platform blocks (android, apns, webpush) are skipped, not decoded: no
// platform is delivered to, and decoding them would cost the simulator a
// good share of its CPU at load.
type sendRequest struct {
	ValidateOnly bool         `json:"validate_only"`
	Message      *wireMessage `json:"message"`
}

type wireMessage struct {
	Token        string            `json:"token"`
	Topic        string            `json:"topic"`
	Condition    string            `json:"condition"`
	Data         map[string]string `json:"data"`
	Notification *wireNotification `json:"notification"`
}

type wireNotification struct {
	Title string `json:"title"`
	Body  string `json:"body"`
	Image string `json:"image"`
}

func (s *Server) serveSend(w http.ResponseWriter, r *http.Request, project string) {
	st := s.stats()
	st.requests.Add(1)
	if !s.wait(r) {
		return
	}
	if e, ok := s.checkCaller(r, project); !ok {
		s.fail(w, st, e, 0)
		return
	}
	var req sendRequest
	if err := decodeBody(r, &req); err != nil || req.Message == nil {
		s.fail(w, st, badMessage("message", "Invalid JSON payload received."), 0)
		return
	}
	m := req.Message
	if e, ok := validate(m); !ok {
		s.fail(w, st, e, 0)
		return
	}
	if f, ok := s.faults.next(m.Token); ok {
		s.fail(w, st, faultErrors[f.Status], f.RetryAfter)
		return
	}
	s.succeed(w, st, project, m, req.ValidateOnly)
}

// maxBody bounds a send request; FCM's own limit is far below it.
const maxBody = 1 << 20

var bodyPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// decodeBody reads the body into a pooled buffer and unmarshals it in one
// pass; json.Decoder would grow and copy its own buffer on every request.
func decodeBody(r *http.Request, v any) error {
	buf := bodyPool.Get().(*bytes.Buffer)
	defer bodyPool.Put(buf)
	buf.Reset()
	if _, err := buf.ReadFrom(io.LimitReader(r.Body, maxBody)); err != nil {
		return err
	}
	return json.Unmarshal(buf.Bytes(), v)
}

// wait holds the answer for the configured latency; false when the client
// went away meanwhile.
func (s *Server) wait(r *http.Request) bool {
	return delay.Wait(r.Context(), time.Duration(s.latency.Load()))
}

// checkCaller authenticates the bearer token, then checks the project the
// way Google orders it: 401, then 403 for another account's project, then
// 404 for a project this simulator does not host.
func (s *Server) checkCaller(r *http.Request, project string) (apiError, bool) {
	acc := s.auth.bearer(r)
	if acc == nil {
		return faultErrors[Unauthenticated], false
	}
	if acc.projectID != project {
		return apiError{403, "PERMISSION_DENIED", "Permission 'cloudmessaging.messages.create' denied on resource " +
			"'//cloudresourcemanager.googleapis.com/projects/" + project + "' (or it may not exist).", "", ""}, false
	}
	if project != s.projectID {
		return apiError{404, "NOT_FOUND", "Requested entity was not found.", "", ""}, false
	}
	return apiError{}, true
}

// validate applies FCM's checks: one target, a well-formed token, no
// reserved data keys, the payload limit, and the dead- token rule.
func validate(m *wireMessage) (apiError, bool) {
	targets := 0
	for _, t := range []string{m.Token, m.Topic, m.Condition} {
		if t != "" {
			targets++
		}
	}
	if targets != 1 {
		return badMessage("message", "Exactly one of token, topic or condition must be set."), false
	}
	if m.Token != "" && !wellFormedToken(m.Token) {
		return faultErrors[InvalidArgument], false
	}
	for k := range m.Data {
		if reservedDataKey(k) {
			return badMessage("message.data", "Invalid data payload key: "+k), false
		}
	}
	if payloadSize(m) > maxPayload {
		return badMessage("message", "Message is too big"), false
	}
	if strings.HasPrefix(m.Token, "dead-") {
		return faultErrors[Unregistered], false
	}
	return apiError{}, true
}

func wellFormedToken(t string) bool {
	if len(t) > maxTokenLen {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '_' || c == ':' || c == '.' || c == '-'
		if !ok {
			return false
		}
	}
	return true
}

// reservedDataKey mirrors FCM's reserved words for data keys.
func reservedDataKey(k string) bool {
	switch k {
	case "from", "notification", "message_type":
		return true
	}
	return strings.HasPrefix(k, "google") || strings.HasPrefix(k, "gcm")
}

func payloadSize(m *wireMessage) int {
	n := 0
	for k, v := range m.Data {
		n += len(k) + len(v)
	}
	if m.Notification != nil {
		n += len(m.Notification.Title) + len(m.Notification.Body)
	}
	return n
}

func (s *Server) fail(w http.ResponseWriter, st *stats, e apiError, retryAfter time.Duration) {
	st.addError(e.key())
	e.write(w, retryAfter)
}

// succeed counts and answers a good send. validate_only answers with FCM's
// fixed fake id and delivers nothing.
func (s *Server) succeed(w http.ResponseWriter, st *stats, project string, m *wireMessage, validateOnly bool) {
	name := "projects/" + project + "/messages/"
	if validateOnly {
		st.validated.Add(1)
		name += "fake_message_id"
	} else {
		st.sent.Add(1)
		st.perSecond.Add(time.Now())
		if m.Token != "" {
			st.tokens.add(m.Token)
		}
		name += "0:" + strconv.FormatUint(s.msgSeq.Add(1), 10)
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.Write([]byte(`{"name":"` + name + `"}`))
}
