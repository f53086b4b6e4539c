package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/imshift/imshift/internal/field"
)

// requestError is an answer to bad input: status, message and the field.
type requestError struct {
	status  int
	message string
	field   string
}

func (e *requestError) Error() string { return e.message }

// decode reads r's JSON body into v: JSON content type, at most MaxBody
// bytes (a larger declared length is refused before a byte is read), valid
// UTF-8, one object, no unknown fields. A problem comes back as a
// *requestError naming the field where there is one.
func decode(w http.ResponseWriter, r *http.Request, v any) *requestError {
	return decodeLimit(w, r, v, MaxBody)
}

// decodeLimit is decode with a body limit of its own.
func decodeLimit(w http.ResponseWriter, r *http.Request, v any, limit int64) *requestError {
	// No Content-Type is read as JSON (a bare client); another type is refused.
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return &requestError{http.StatusUnsupportedMediaType, "Content-Type must be application/json", ""}
		}
	}
	if r.ContentLength > limit {
		// Not reading it: the server closes the connection after the answer.
		w.Header().Set("Connection", "close")
		return tooLarge(limit)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		return readError(err, limit)
	}
	if !utf8.Valid(body) {
		return &requestError{http.StatusBadRequest, "is not valid UTF-8", invalidUTF8Field(body)}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return &requestError{http.StatusBadRequest, "the body must hold one JSON object and nothing after it", ""}
	}
	return nil
}

func tooLarge(limit int64) *requestError {
	return &requestError{http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is larger than %d bytes", limit), ""}
}

// readError is a body that could not be read: too large, or cut off by the
// server's read timeout (a stalled or trickling client).
func readError(err error, limit int64) *requestError {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return tooLarge(limit)
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return &requestError{http.StatusRequestTimeout, "the body did not arrive within the read timeout", ""}
	}
	return &requestError{http.StatusBadRequest, "the body could not be read", ""}
}

// invalidUTF8Field names the top-level field whose value holds invalid
// UTF-8 (encoding/json would silently turn it into U+FFFD), or "" when it
// is a key or the body is not an object.
func invalidUTF8Field(body []byte) string {
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &fields) != nil {
		return ""
	}
	names := make([]string, 0, len(fields))
	for name, raw := range fields {
		if !utf8.Valid(raw) {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return ""
	}
	slices.Sort(names)
	return names[0]
}

func decodeError(err error) *requestError {
	var (
		ute *json.UnmarshalTypeError
		se  *json.SyntaxError
	)
	switch {
	case errors.As(err, &ute):
		// Field is a path ("data.key"); the API names top-level fields.
		field, _, _ := strings.Cut(ute.Field, ".")
		return &requestError{http.StatusBadRequest, fmt.Sprintf("must be a JSON %s", jsonKind(ute.Type.Kind().String())), field}
	case errors.As(err, &se), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return &requestError{http.StatusBadRequest, "the body is not valid JSON", ""}
	}
	// encoding/json reports an unknown field only in its message.
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return &requestError{http.StatusBadRequest, "unknown field", strings.Trim(name, `"`)}
	}
	return &requestError{http.StatusBadRequest, "the body is not a valid request", ""}
}

func jsonKind(goKind string) string {
	switch goKind {
	case "map", "struct":
		return "object"
	case "slice":
		return "array"
	}
	return goKind
}

// fieldError turns a validation error into a 400, or reports false.
func fieldError(err error) (*requestError, bool) {
	var fe *field.Error
	if !errors.As(err, &fe) {
		return nil, false
	}
	return &requestError{http.StatusBadRequest, fe.Problem, fe.Field}, true
}

type errorBody struct {
	Error string `json:"error"`
	Field string `json:"field,omitempty"`
}

func writeError(w http.ResponseWriter, status int, message, field string) {
	writeJSON(w, status, errorBody{Error: message, Field: field})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
