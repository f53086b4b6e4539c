package workflows

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

type testInner struct {
	FailureLimit int     `json:"failureLimit"`
	Ratio        float64 `json:"ratio"`
}

type testEmbedded struct {
	Registered int64 `json:"registered"`
}

type testInput struct {
	ID    string `json:"id"`
	Steps []struct {
		Percent float64 `json:"percent"`
	} `json:"steps"`
	Analysis testInner         `json:"analysis"`
	Ptr      *testInner        `json:"ptr"`
	Data     map[string]string `json:"data"`
	At       time.Time         `json:"at"`
	Raw      json.RawMessage   `json:"raw"`
	On       bool              `json:"on"`
	testEmbedded
}

// TestDecodeStrictNamesTheField: every kind of mistake is refused with the
// field path, the way the issue spells it.
func TestDecodeStrictNamesTheField(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"analysis":{"failurLimit":3}}`, "analysis.failurLimit: unknown field"},
		{`{"steps":[{"percent":"10"}]}`, "steps[0].percent: must be a number"},
		{`{"steps":[{"percent":1},{"percent":2,"bake":"1m"}]}`, "steps[1].bake: unknown field"},
		{`{"analysis":{"failureLimit":1.5}}`, "analysis.failureLimit: must be a whole number (it is 1.5)"},
		{`{"ptr":{"ratio":true}}`, "ptr.ratio: must be a number"},
		{`{"data":{"k":1}}`, "data.k: must be a string"},
		{`{"id":7}`, "id: must be a string"},
		{`{"on":"yes"}`, "on: must be true or false"},
		{`{"steps":{}}`, "steps: must be a list"},
		{`{"analysis":[]}`, "analysis: must be an object"},
		{`{"at":"yesterday"}`, `at: is not valid: parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006"`},
		{`[1]`, "input: must be an object"},
		{`{"id":"a"} {}`, "input: has data after the JSON value"},
		{`{"id":`, "input: is not JSON: unexpected EOF"},
		{`{"ID":"a"}`, "ID: unknown field"},
	} {
		var v testInput
		err := DecodeStrict([]byte(c.in), &v)
		var ie *InputError
		if !errors.As(err, &ie) || err.Error() != c.want {
			t.Errorf("%s: got %v, want %q", c.in, err, c.want)
		}
	}
}

func TestDecodeStrictAccepts(t *testing.T) {
	in := `{"id":"a","steps":[{"percent":1.5}],"analysis":{"failureLimit":3,"ratio":0.5},"ptr":null,
	"data":{"k":"v"},"at":"2026-12-01T10:00:00Z","raw":{"any":[1,"x"]},"on":true,"registered":4}`
	var v testInput
	if err := DecodeStrict([]byte(in), &v); err != nil {
		t.Fatal(err)
	}
	if v.ID != "a" || v.Steps[0].Percent != 1.5 || v.Analysis.FailureLimit != 3 || v.Registered != 4 ||
		string(v.Raw) != `{"any":[1,"x"]}` || !v.On || v.At.Hour() != 10 {
		t.Fatalf("decoded %+v", v)
	}
	for _, empty := range []string{"", " ", "null"} {
		var z testInput
		if err := DecodeStrict([]byte(empty), &z); err != nil || z.ID != "" {
			t.Errorf("%q: %v %+v", empty, err, z)
		}
	}
}
