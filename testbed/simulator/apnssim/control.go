package apnssim

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"
)

const controlPrefix = "/_sim/"

// faultRequest is the JSON body of POST /_sim/faults/token and
// /_sim/faults/rate, and one rule of /_sim/faults/rates
// ({"rules":[{"every_nth":5,"phase":0,"status":429,...},...]}). RetryAfter
// is a Go duration string ("1s").
type faultRequest struct {
	Token      string `json:"token"`
	EveryNth   int    `json:"every_nth"`
	Phase      int    `json:"phase"`
	Status     int    `json:"status"`
	Reason     string `json:"reason"`
	Remaining  int    `json:"remaining"`
	RetryAfter string `json:"retry_after"`
}

// durationRequest is the JSON body of POST /_sim/latency and /_sim/clock.
type durationRequest struct {
	Latency string `json:"latency"`
	Skew    string `json:"skew"`
}

// tokenCounts is the answer of GET /_sim/counters?token=...
type tokenCounts struct {
	Delivered int `json:"delivered"`
	Attempts  int `json:"attempts"`
}

// control serves the simulator's own JSON API; it works over HTTP/1.1 too.
func (s *Server) control(w http.ResponseWriter, r *http.Request, route string) {
	var err error
	switch {
	case route == "counters" && r.Method == http.MethodGet:
		s.getCounters(w, r)
		return
	case route == "deliveries-per-second" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, s.DeliveriesPerSecond())
		return
	case r.Method != http.MethodPost:
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "method not allowed"})
		return
	case route == "faults/token":
		err = s.postTokenFault(r)
	case route == "faults/rate":
		err = s.postRateFault(r)
	case route == "faults/rates":
		err = s.postRateFaults(r)
	case route == "latency":
		err = s.postDuration(r, func(d durationRequest) string { return d.Latency }, s.SetLatency)
	case route == "clock":
		err = s.postDuration(r, func(d durationRequest) string { return d.Skew }, s.SetClockSkew)
	case route == "reset":
		s.Reset()
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "unknown control route"})
		return
	}
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) getCounters(w http.ResponseWriter, r *http.Request) {
	if token := r.URL.Query().Get("token"); token != "" {
		d, a := s.st.counts(token)
		writeJSON(w, http.StatusOK, tokenCounts{Delivered: d, Attempts: a})
		return
	}
	writeJSON(w, http.StatusOK, s.Counters())
}

func (s *Server) postTokenFault(r *http.Request) error {
	fr, f, err := decodeFault(r)
	if err != nil {
		return err
	}
	return s.SetTokenFault(fr.Token, f)
}

func (s *Server) postRateFault(r *http.Request) error {
	fr, f, err := decodeFault(r)
	if err != nil {
		return err
	}
	s.SetRateFault(f, fr.EveryNth)
	return nil
}

func (s *Server) postRateFaults(r *http.Request) error {
	var req struct {
		Rules []faultRequest `json:"rules"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		return errors.New("body must be {\"rules\": [faults]}")
	}
	rules := make([]RateRule, len(req.Rules))
	for i, fr := range req.Rules {
		f, err := faultOf(fr)
		if err != nil {
			return err
		}
		rules[i] = RateRule{EveryNth: fr.EveryNth, Phase: fr.Phase, Fault: f}
	}
	return s.SetRateFaults(rules)
}

func decodeFault(r *http.Request) (faultRequest, Fault, error) {
	var fr faultRequest
	if err := json.NewDecoder(r.Body).Decode(&fr); err != nil {
		return fr, Fault{}, errors.New("body must be a JSON fault")
	}
	f, err := faultOf(fr)
	return fr, f, err
}

func faultOf(fr faultRequest) (Fault, error) {
	f := Fault{Status: fr.Status, Reason: fr.Reason, Remaining: fr.Remaining}
	if fr.Status != 0 && (fr.Status < 400 || fr.Status > 599) {
		return f, errors.New("status must be 4xx or 5xx (0 clears)")
	}
	if fr.RetryAfter != "" {
		d, err := time.ParseDuration(fr.RetryAfter)
		if err != nil {
			return f, errors.New("retry_after must be a Go duration")
		}
		f.RetryAfter = d
	}
	return f, nil
}

func (s *Server) postDuration(r *http.Request, pick func(durationRequest) string, set func(time.Duration)) error {
	var dr durationRequest
	if err := json.NewDecoder(r.Body).Decode(&dr); err != nil {
		return errors.New("body must be JSON")
	}
	d, err := time.ParseDuration(pick(dr))
	if err != nil {
		return errors.New("duration must be a Go duration such as \"20ms\"")
	}
	set(d)
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
