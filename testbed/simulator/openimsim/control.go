package openimsim

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"
)

// controlPrefix is where the JSON control surface lives; the real API has no
// path starting with it. Every mutation answers {"ok":true}, a bad request
// 400 {"error":"..."}.
//
//	POST   /_sim/online       {"userID","platformID","online"}  SetOnline (platformID 1..11)
//	POST   /_sim/secret       {"secret"}                        RotateSecret
//	POST   /_sim/faults       Fault as JSON                     SetFault
//	DELETE /_sim/faults                                         ClearFaults
//	POST   /_sim/latency      {"ms"}                            SetLatency
//	POST   /_sim/clock        {"advanceMs"}                     AdvanceClock
//	POST   /_sim/webhooks     WebhookConfig as JSON             SetWebhooks
//	GET    /_sim/webhooks                                       WebhookCounters
//	POST   /_sim/reset                                          Reset
//	GET    /_sim/counters[?summary=1]                           Counters (summary: no per-user maps)
//	GET    /_sim/users/{userID}                                 User
//	DELETE /_sim/users/{userID}                                 DeleteUser ({"ok":existed})
const controlPrefix = "/_sim/"

func (s *Server) controlMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /_sim/online", s.ctlOnline)
	mux.HandleFunc("POST /_sim/secret", s.ctlSecret)
	mux.HandleFunc("POST /_sim/faults", s.ctlSetFault)
	mux.HandleFunc("DELETE /_sim/faults", func(w http.ResponseWriter, _ *http.Request) {
		s.ClearFaults()
		ctlOK(w, true)
	})
	mux.HandleFunc("POST /_sim/latency", s.ctlLatency)
	mux.HandleFunc("POST /_sim/webhooks", s.ctlWebhooks)
	mux.HandleFunc("GET /_sim/webhooks", func(w http.ResponseWriter, _ *http.Request) {
		ctlJSON(w, http.StatusOK, s.WebhookCounters())
	})
	mux.HandleFunc("POST /_sim/clock", s.ctlClock)
	mux.HandleFunc("POST /_sim/reset", func(w http.ResponseWriter, _ *http.Request) {
		s.Reset()
		ctlOK(w, true)
	})
	mux.HandleFunc("GET /_sim/counters", func(w http.ResponseWriter, r *http.Request) {
		summary := r.URL.Query().Get("summary")
		ctlJSON(w, http.StatusOK, s.counters(summary == "" || summary == "0" || summary == "false"))
	})
	mux.HandleFunc("GET /_sim/users/{userID}", func(w http.ResponseWriter, r *http.Request) {
		ctlJSON(w, http.StatusOK, s.User(r.PathValue("userID")))
	})
	mux.HandleFunc("DELETE /_sim/users/{userID}", func(w http.ResponseWriter, r *http.Request) {
		ctlOK(w, s.DeleteUser(r.PathValue("userID")))
	})
	return mux
}

func (s *Server) ctlOnline(w http.ResponseWriter, r *http.Request) {
	var req struct {
		UserID     string `json:"userID"`
		PlatformID int32  `json:"platformID"`
		Online     bool   `json:"online"`
	}
	if !ctlDecode(w, r, &req) {
		return
	}
	if req.UserID == "" || req.PlatformID < 1 || req.PlatformID > 11 {
		ctlError(w, errors.New("userID must be set and platformID within 1..11"))
		return
	}
	s.SetOnline(req.UserID, req.PlatformID, req.Online)
	ctlOK(w, true)
}

func (s *Server) ctlSecret(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Secret string `json:"secret"`
	}
	if !ctlDecode(w, r, &req) {
		return
	}
	if err := s.RotateSecret(req.Secret); err != nil {
		ctlError(w, err)
		return
	}
	ctlOK(w, true)
}

func (s *Server) ctlSetFault(w http.ResponseWriter, r *http.Request) {
	var f Fault
	if !ctlDecode(w, r, &f) {
		return
	}
	if err := s.SetFault(f); err != nil {
		ctlError(w, err)
		return
	}
	ctlOK(w, true)
}

func (s *Server) ctlWebhooks(w http.ResponseWriter, r *http.Request) {
	var cfg WebhookConfig
	if !ctlDecode(w, r, &cfg) {
		return
	}
	if err := s.SetWebhooks(cfg); err != nil {
		ctlError(w, err)
		return
	}
	ctlOK(w, true)
}

func (s *Server) ctlLatency(w http.ResponseWriter, r *http.Request) {
	var req struct {
		MS *int64 `json:"ms"`
	}
	if !ctlDecode(w, r, &req) {
		return
	}
	if req.MS == nil || *req.MS < 0 {
		ctlError(w, errors.New("ms must be given and >= 0"))
		return
	}
	s.SetLatency(time.Duration(*req.MS) * time.Millisecond)
	ctlOK(w, true)
}

func (s *Server) ctlClock(w http.ResponseWriter, r *http.Request) {
	var req struct {
		AdvanceMS *int64 `json:"advanceMs"`
	}
	if !ctlDecode(w, r, &req) {
		return
	}
	if req.AdvanceMS == nil {
		ctlError(w, errors.New("advanceMs must be given"))
		return
	}
	s.AdvanceClock(time.Duration(*req.AdvanceMS) * time.Millisecond)
	ctlOK(w, true)
}

func ctlDecode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		ctlError(w, err)
		return false
	}
	return true
}

func ctlOK(w http.ResponseWriter, ok bool) {
	ctlJSON(w, http.StatusOK, map[string]bool{"ok": ok})
}

func ctlError(w http.ResponseWriter, err error) {
	ctlJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
}

func ctlJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
