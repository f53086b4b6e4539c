package workflows

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"

	"github.com/imshift/imshift/internal/field"
)

// InputError names the field of an input that is wrong: "analysis.failurLimit:
// unknown field", "steps[0].percent: must be a number". It is imshift's one
// field-error type (internal/field), which the HTTP API, campaign inputs and
// SendPush requests report too.
type InputError = field.Error

// DecodeStrict decodes a JSON payload into v (a pointer to a struct), refusing
// what encoding/json lets through or reports without a field: fields v does not
// have (names match exactly), values of the wrong JSON type, fractional
// numbers for integers and trailing data. The error is an *InputError naming
// the field path. An empty payload or null leaves v at its zero value: an
// operator verb without input.
//
// Every start path (Temporal UI, temporal CLI, starter, schedules, API) ends
// in the workflow, so the workflow calling this first is what makes inputs
// strict everywhere; it takes its input as json.RawMessage, which decodes
// from the same payload as the typed input did, so recorded histories replay.
func DecodeStrict(payload []byte, v any) error {
	if len(bytes.TrimSpace(payload)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return &InputError{Field: "input", Problem: "is not JSON: " + syntaxText(err)}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return &InputError{Field: "input", Problem: "has data after the JSON value"}
	}
	if err := check(raw, reflect.TypeOf(v).Elem(), ""); err != nil {
		return err
	}
	if err := json.Unmarshal(payload, v); err != nil {
		return &InputError{Field: "input", Problem: err.Error()}
	}
	return nil
}

func syntaxText(err error) string {
	return strings.TrimPrefix(err.Error(), "json: ")
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// check walks a decoded value against the Go type it will be decoded into.
func check(raw any, t reflect.Type, path string) error {
	if raw == nil {
		return nil // null leaves the field at its zero value
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if pt := reflect.PointerTo(t); pt.Implements(jsonUnmarshaler) || pt.Implements(textUnmarshaler) {
		return checkSelfReading(raw, t, path)
	}
	switch t.Kind() {
	case reflect.Struct:
		return checkStruct(raw, t, path)
	case reflect.Slice, reflect.Array:
		return checkList(raw, t, path)
	case reflect.Map:
		obj, ok := raw.(map[string]any)
		if !ok {
			return fieldErr(path, "must be an object")
		}
		for _, k := range sortedKeys(obj) {
			if err := check(obj[k], t.Elem(), join(path, k)); err != nil {
				return err
			}
		}
		return nil
	case reflect.String:
		return expect(raw, isString, path, "must be a string")
	case reflect.Bool:
		return expect(raw, isBool, path, "must be true or false")
	case reflect.Float32, reflect.Float64:
		return expect(raw, isNumber, path, "must be a number")
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return checkInteger(raw, path)
	}
	return nil // interface{}: anything
}

// checkSelfReading decodes a value of a type that reads itself (time.Time,
// json.RawMessage) on its own, so its error carries the field path.
func checkSelfReading(raw any, t reflect.Type, path string) error {
	b, err := json.Marshal(raw)
	if err == nil {
		err = json.Unmarshal(b, reflect.New(t).Interface())
	}
	if err != nil {
		return fieldErr(path, "is not valid: "+syntaxText(err))
	}
	return nil
}

func checkStruct(raw any, t reflect.Type, path string) error {
	obj, ok := raw.(map[string]any)
	if !ok {
		return fieldErr(path, "must be an object")
	}
	fields := jsonFields(t)
	for _, k := range sortedKeys(obj) {
		ft, ok := fields[k]
		if !ok {
			return fieldErr(join(path, k), "unknown field")
		}
		if err := check(obj[k], ft, join(path, k)); err != nil {
			return err
		}
	}
	return nil
}

func checkList(raw any, t reflect.Type, path string) error {
	if t.Elem().Kind() == reflect.Uint8 && t.Kind() == reflect.Slice {
		return expect(raw, isString, path, "must be a base64 string")
	}
	list, ok := raw.([]any)
	if !ok {
		return fieldErr(path, "must be a list")
	}
	for i, e := range list {
		if err := check(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
			return err
		}
	}
	return nil
}

func checkInteger(raw any, path string) error {
	n, ok := raw.(json.Number)
	if !ok {
		return fieldErr(path, "must be a number")
	}
	if _, err := n.Int64(); err != nil {
		return fieldErr(path, fmt.Sprintf("must be a whole number (it is %s)", n))
	}
	return nil
}

// jsonFields maps the JSON names of t's fields (embedded structs flattened,
// as encoding/json does) to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	fields := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() && !f.Anonymous {
			continue
		}
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range jsonFields(ft) {
					if _, shadowed := fields[k]; !shadowed {
						fields[k] = v
					}
				}
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		fields[name] = f.Type
	}
	return fields
}

func expect(raw any, ok func(any) bool, path, problem string) error {
	if ok(raw) {
		return nil
	}
	return fieldErr(path, problem)
}

func isString(v any) bool { _, ok := v.(string); return ok }
func isBool(v any) bool   { _, ok := v.(bool); return ok }
func isNumber(v any) bool { _, ok := v.(json.Number); return ok }

func fieldErr(path, problem string) error {
	if path == "" {
		path = "input"
	}
	return &InputError{Field: path, Problem: problem}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// sortedKeys makes the first error reported the same on every run.
func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
