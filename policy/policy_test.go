package policy

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPolicyJSONShape(t *testing.T) {
	cases := []struct {
		name string
		p    Policy
		want string
	}{
		{"everyone, standing", Policy{Effect: Allow, Action: Read, Subjects: [][]Term{{}}, Objects: []Clause{{AllTags: []string{"PII"}}}},
			`{"effect":"allow","action":"read","subjects":[[]],"objects":[{"all_tags":["PII"]}],"duration":""}`},
		{"nil clause is everyone too", Policy{Effect: Allow, Action: Read, Subjects: [][]Term{nil}, Objects: nil},
			`{"effect":"allow","action":"read","subjects":[[]],"objects":[],"duration":""}`},
		{"nobody", Policy{Effect: Deny, Action: Write},
			`{"effect":"deny","action":"write","subjects":[],"objects":[],"duration":""}`},
		{"terms and duration", Policy{ID: "p1", Effect: Allow, Action: Read,
			Subjects: [][]Term{{{Attribute: "job_title", Values: []string{"A"}}, {Group: "g", Negate: true}}},
			Objects:  []Clause{{Asset: "t1"}}, Duration: Duration(30 * 24 * time.Hour)},
			`{"id":"p1","effect":"allow","action":"read","subjects":[[{"attribute":"job_title","values":["A"],"negate":false},{"group":"g","negate":true}]],"objects":[{"asset":"t1"}],"duration":"720h0m0s"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.Marshal(tc.p)
			require.NoError(t, err)
			assert.JSONEq(t, tc.want, string(b))
			// Through a pointer too.
			b2, err := json.Marshal(&tc.p)
			require.NoError(t, err)
			assert.Equal(t, string(b), string(b2))
			back, err := DecodePolicy(b)
			require.NoError(t, err)
			b3, _ := json.Marshal(back)
			assert.Equal(t, string(b), string(b3))
		})
	}
}

func TestDurationJSON(t *testing.T) {
	for in, want := range map[string]time.Duration{`""`: 0, `null`: 0, `0`: 0, `"720h"`: 720 * time.Hour, `"1h30m"`: 90 * time.Minute, `"12h0m0s"`: 12 * time.Hour} {
		var d Duration
		require.NoError(t, json.Unmarshal([]byte(in), &d), in)
		assert.Equal(t, Duration(want), d, in)
	}
	for _, in := range []string{`"-1h"`, `"30 days"`, `3600`, `true`, `"1x"`} {
		var d Duration
		assert.Error(t, json.Unmarshal([]byte(in), &d), in)
	}
}

func TestDecodePolicyErrors(t *testing.T) {
	cases := map[string]struct{ in, want string }{
		"unknown field":    {`{"effect":"allow","action":"read","subjects":[[]],"objects":[],"subject":[]}`, `unknown field "subject"`},
		"unknown in term":  {`{"effect":"allow","action":"read","subjects":[[{"atribute":"x"}]],"objects":[]}`, `unknown field "atribute"`},
		"missing subjects": {`{"effect":"allow","action":"read","objects":[]}`, `subjects is missing`},
		"null objects":     {`{"effect":"allow","action":"read","subjects":[],"objects":null}`, `objects is missing`},
		"bad effect":       {`{"effect":"permit","action":"read","subjects":[],"objects":[]}`, `effect "permit" is not one of allow, deny, mask`},
		"bad action":       {`{"effect":"allow","action":"delete","subjects":[],"objects":[]}`, `action "delete" is not one of read, write`},
		"missing action":   {`{"effect":"allow","subjects":[],"objects":[]}`, `action is missing`},
		"negative":         {`{"effect":"allow","action":"read","subjects":[],"objects":[],"duration":"-5m"}`, `negative`},
		"wrong type":       {`{"effect":"allow","action":"read","subjects":[{"group":"g"}],"objects":[]}`, `field subjects`},
		"syntax":           {"{\"effect\":\"allow\",\n\"action\" \"read\"}", `line 2`},
		"trailing":         {`{"effect":"allow","action":"read","subjects":[],"objects":[]} {}`, `unexpected data after`},
		"duplicate key":    {`{"effect":"deny","effect":"allow","action":"read","subjects":[],"objects":[]}`, `key "effect" appears twice`},
		"empty":            {``, `empty input`},
		"null clause":      {`{"effect":"allow","action":"read","subjects":[null],"objects":[]}`, `subjects[0] is null`},
		"not an object":    {`[1]`, `expected a policy object`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := DecodePolicy([]byte(tc.in))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestDecodePolicies(t *testing.T) {
	js := `[{"id":"a","effect":"allow","action":"read","subjects":[[]],"objects":[{"asset":"t"}]},
	        {"id":"b","effect":"deny","action":"write","subjects":[],"objects":[]}]`
	ps, err := DecodePolicies([]byte(js))
	require.NoError(t, err)
	require.Len(t, ps, 2)
	assert.Equal(t, "b", ps[1].ID)

	y := `
- id: a
  effect: allow
  action: read
  subjects: [[{attribute: job_title, values: [Buyer]}]]
  objects: [{all_tags: [PII], none_tags: [PCI]}]
  duration: 12h
- id: b
  effect: mask
  action: read
  subjects: [[]]
  objects: [{all_tags: [PII]}]
`
	ps, err = DecodePolicies([]byte(y))
	require.NoError(t, err)
	require.Len(t, ps, 2)
	assert.Equal(t, Duration(12*time.Hour), ps[0].Duration)
	assert.Equal(t, []string{"PCI"}, ps[0].Objects[0].NoneTags)
	assert.Equal(t, [][]Term{{}}, ps[1].Subjects)

	_, err = DecodePolicies([]byte("- id: a\n  effect: allow\n  action: read\n  subjects: []\n  objects: []\n  colour: red\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `policy #1`)
	assert.Contains(t, err.Error(), `unknown field "colour"`)

	one, err := DecodePolicies([]byte(`{"effect":"allow","action":"read","subjects":[],"objects":[]}`))
	require.NoError(t, err)
	assert.Len(t, one, 1)
	none, err := DecodePolicies([]byte(`[]`))
	require.NoError(t, err)
	assert.Empty(t, none)
	_, err = DecodePolicies([]byte("  "))
	assert.Error(t, err)
}
