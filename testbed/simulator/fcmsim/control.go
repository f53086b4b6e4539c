package fcmsim

import (
	"encoding/json"
	"io"
	"net/http"
	"time"
)

// Control API, all JSON:
//
//	GET  /_sim/counters                 -> Counters
//	GET  /_sim/counters?token=T         -> Counters plus {"token":T,"delivered":n}
//	GET  /_sim/deliveries-per-second    -> persecond.Series of successful sends
//	POST /_sim/reset
//	POST /_sim/latency          {"latency":"20ms"}
//	POST /_sim/token-fault      {"token":"T","fault":{"status":"UNREGISTERED","remaining":0,"retry_after":"30s"}}
//	POST /_sim/rate-fault       {"every_nth":10,"fault":{"status":"QUOTA_EXCEEDED","retry_after":"5s"}}
//	POST /_sim/rate-faults      {"rules":[{"every_nth":5,"phase":0,"fault":{...}},{"every_nth":5,"phase":1,"fault":{...}}]}
//	POST /_sim/service-accounts <service-account key file>
//
// Errors answer 400 {"error":"..."}; successes 204 or 200 with a body.

type countersWithToken struct {
	Counters
	Token     string `json:"token"`
	Delivered int    `json:"delivered"`
}

type tokenFaultRequest struct {
	Token string `json:"token"`
	Fault Fault  `json:"fault"`
}

type rateFaultRequest struct {
	EveryNth int   `json:"every_nth"`
	Fault    Fault `json:"fault"`
}

type latencyRequest struct {
	Latency string `json:"latency"`
}

type controlError struct {
	Error string `json:"error"`
}

func (s *Server) serveControl(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet {
		switch r.URL.Path {
		case "/_sim/counters":
			s.serveCounters(w, r)
			return
		case "/_sim/deliveries-per-second":
			writeJSON(w, http.StatusOK, s.DeliveriesPerSecond())
			return
		}
	}
	if r.Method != http.MethodPost {
		writeJSON(w, http.StatusMethodNotAllowed, controlError{"POST required"})
		return
	}
	var err error
	switch r.URL.Path {
	case "/_sim/reset":
		s.Reset()
	case "/_sim/latency":
		err = s.controlLatency(r.Body)
	case "/_sim/token-fault":
		var req tokenFaultRequest
		if err = decodeStrict(r.Body, &req); err == nil {
			err = s.SetTokenFault(req.Token, req.Fault)
		}
	case "/_sim/rate-fault":
		var req rateFaultRequest
		if err = decodeStrict(r.Body, &req); err == nil {
			err = s.SetRateFault(req.Fault, req.EveryNth)
		}
	case "/_sim/rate-faults":
		var req struct {
			Rules []RateRule `json:"rules"`
		}
		if err = decodeStrict(r.Body, &req); err == nil {
			err = s.SetRateFaults(req.Rules)
		}
	case "/_sim/service-accounts":
		err = s.controlRegister(r.Body)
	default:
		writeJSON(w, http.StatusNotFound, controlError{"unknown control path"})
		return
	}
	if err != nil {
		writeJSON(w, http.StatusBadRequest, controlError{err.Error()})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) serveCounters(w http.ResponseWriter, r *http.Request) {
	c := s.Counters()
	if tok := r.URL.Query().Get("token"); tok != "" {
		writeJSON(w, http.StatusOK, countersWithToken{c, tok, s.Delivered(tok)})
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (s *Server) controlLatency(body io.Reader) error {
	var req latencyRequest
	if err := decodeStrict(body, &req); err != nil {
		return err
	}
	d, err := time.ParseDuration(req.Latency)
	if err != nil {
		return err
	}
	s.SetLatency(d)
	return nil
}

func (s *Server) controlRegister(body io.Reader) error {
	b, err := io.ReadAll(io.LimitReader(body, 1<<20))
	if err != nil {
		return err
	}
	return s.RegisterServiceAccount(b)
}

func decodeStrict(body io.Reader, v any) error {
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
