package legacy

import (
	"encoding/json"
	"net/http"
)

// Handler serves the population's state for the demo:
//
//	GET  /stats          Stats as JSON
//	POST /success-rate   {"rate": 0.8}  SetSuccessRate
func (p *Population) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, p.Stats())
	})
	mux.HandleFunc("POST /success-rate", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Rate *float64 `json:"rate"`
		}
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<10))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil || req.Rate == nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": `body must be {"rate": number}`})
			return
		}
		if err := p.SetSuccessRate(*req.Rate); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	})
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
