package fcmsim

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"testing"
)

// TestMillionTokens: a million distinct tokens are counted exactly and the
// counters endpoint stays small because it carries no per-token data.
func TestMillionTokens(t *testing.T) {
	s := New(Options{})
	st := s.stats()
	const n = 1_000_000
	for i := range n {
		st.tokens.add(fmt.Sprintf("tok-%07d", i))
	}
	st.tokens.add("tok-0000042")
	if got := s.Delivered("tok-0000042"); got != 2 {
		t.Fatalf("delivered %d, want 2", got)
	}
	if got := s.Delivered("tok-0999999"); got != 1 {
		t.Fatalf("delivered %d, want 1", got)
	}
	if got := s.Delivered("never"); got != 0 {
		t.Fatalf("delivered %d, want 0", got)
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest("GET", "/_sim/counters", nil))
	if w.Body.Len() > 512 {
		t.Fatalf("counters body is %d bytes", w.Body.Len())
	}
	var c Counters
	if err := json.Unmarshal(w.Body.Bytes(), &c); err != nil || c.Tokens != n {
		t.Fatalf("counters %+v, err %v", c, err)
	}
}
