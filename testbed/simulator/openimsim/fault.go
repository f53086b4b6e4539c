package openimsim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
)

// Fault makes matching API requests fail instead of being handled; nothing
// they asked for happens. A request matches when its path is Path ("" = any
// API path) and, if UserID is set, its body names that user (userID,
// account, userIDs, checkUserIDs or users[].userID).
//
// With Code set the answer is an envelope with that errCode and its errMsg
// name, at HTTPStatus (default 200): Code 90004 is a before-webhook that
// could not be reached, Code 429 with HTTPStatus 429 the rate limiter. With
// only HTTPStatus set the body is empty (500: a handler panic), or the plain
// 404 text.
//
// Every N fires on the Nth, 2Nth, ... matching request (0 or 1 = always).
// Remaining is how many times it fires before it is removed (0 = unlimited).
// Faults are checked in the order they were set; the first that fires
// answers, and later ones do not see that request.
type Fault struct {
	Path       string `json:"path"`
	UserID     string `json:"userID"`
	Code       int    `json:"code"`
	HTTPStatus int    `json:"httpStatus"`
	Every      int    `json:"every"`
	Remaining  int    `json:"remaining"`
}

type faultState struct {
	Fault
	seen int
}

// SetFault adds f, or replaces the fault with the same Path and UserID
// (its counters start again).
func (s *Server) SetFault(f Fault) error {
	if err := s.validFault(f); err != nil {
		return err
	}
	if f.Every <= 0 {
		f.Every = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	fs := &faultState{Fault: f}
	for i, old := range s.st.faults {
		if old.Path == f.Path && old.UserID == f.UserID {
			s.st.faults[i] = fs
			return nil
		}
	}
	s.st.faults = append(s.st.faults, fs)
	return nil
}

func (s *Server) validFault(f Fault) error {
	switch {
	case f.Path != "" && s.routes[f.Path] == nil:
		return fmt.Errorf("openimsim: fault path %q is not an API path", f.Path)
	case f.Code == 0 && f.HTTPStatus == 0:
		return errors.New("openimsim: a fault needs a code or an HTTP status")
	case f.HTTPStatus != 0 && (f.HTTPStatus < 100 || f.HTTPStatus > 599):
		return fmt.Errorf("openimsim: fault HTTP status %d is out of range", f.HTTPStatus)
	case f.Remaining < 0:
		return errors.New("openimsim: fault remaining must be >= 0")
	}
	return nil
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	s.st.faults = nil
	s.mu.Unlock()
}

// fault finds the fault that fires for this request, counting it.
func (s *Server) fault(path string, body []byte) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var named map[string]bool
	for i, fs := range s.st.faults {
		if fs.Path != "" && fs.Path != path {
			continue
		}
		if fs.UserID != "" {
			if named == nil {
				named = namedUsers(body)
			}
			if !named[fs.UserID] {
				continue
			}
		}
		fs.seen++
		if fs.seen%fs.Every != 0 {
			continue
		}
		f := fs.Fault
		if fs.Remaining > 0 {
			fs.Remaining--
			if fs.Remaining == 0 {
				s.st.faults = slices.Delete(s.st.faults, i, i+1)
			}
		}
		return f, true
	}
	return Fault{}, false
}

// namedUsers collects every user id a request body of any endpoint names.
func namedUsers(body []byte) map[string]bool {
	var probe struct {
		UserID       string   `json:"userID"`
		Account      string   `json:"account"`
		UserIDs      []string `json:"userIDs"`
		CheckUserIDs []string `json:"checkUserIDs"`
		Users        []*struct {
			UserID string `json:"userID"`
		} `json:"users"`
	}
	named := map[string]bool{}
	if json.Unmarshal(body, &probe) != nil {
		return named
	}
	for _, id := range append(append([]string{probe.UserID, probe.Account}, probe.UserIDs...), probe.CheckUserIDs...) {
		named[id] = true
	}
	for _, u := range probe.Users {
		if u != nil {
			named[u.UserID] = true
		}
	}
	delete(named, "")
	return named
}

func writeFault(w http.ResponseWriter, r *http.Request, f Fault) {
	status := f.HTTPStatus
	switch {
	case f.Code != 0:
		if status == 0 {
			status = http.StatusOK
		}
		writeJSON(w, r, status, envelope{ErrCode: f.Code, ErrMsg: codeName(f.Code), ErrDlt: "injected fault"})
	case status == http.StatusNotFound:
		writeNotFound(w)
	default:
		w.WriteHeader(status)
	}
}
