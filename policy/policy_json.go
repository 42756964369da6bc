package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// String is the Go duration text, "" for standing access.
func (d Duration) String() string {
	if d == 0 {
		return ""
	}
	return time.Duration(d).String()
}

// MarshalJSON writes "" for standing access and a Go duration string otherwise.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON accepts "", null or 0 (standing access) and Go duration
// strings such as "720h" or "1h30m". Negative durations are rejected.
func (d *Duration) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*d = 0
		return nil
	}
	if len(b) > 0 && b[0] != '"' {
		if bytes.Equal(b, []byte("0")) {
			*d = 0
			return nil
		}
		return fmt.Errorf("duration must be a string such as \"720h\" (30 days) or \"\" for standing access, not %s", b)
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration: %w", err)
	}
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// ParseDuration reads a Go duration string; "" is standing access (0).
func ParseDuration(s string) (Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("duration %q is not a Go duration such as \"720h\" or \"12h30m\"", s)
	}
	if v < 0 {
		return 0, fmt.Errorf("duration %q is negative", s)
	}
	return Duration(v), nil
}

// MarshalJSON writes subjects and objects as lists, never null: [[]] stays
// [[]] (everyone) and no subjects is [] (nobody), so consumers in any
// language can iterate them without a null check.
func (p Policy) MarshalJSON() ([]byte, error) {
	type plain Policy
	q := plain(p)
	q.Subjects = make([][]Term, len(p.Subjects))
	for i, cl := range p.Subjects {
		if cl == nil {
			cl = []Term{}
		}
		q.Subjects[i] = cl
	}
	if q.Objects == nil {
		q.Objects = []Clause{}
	}
	return json.Marshal(q)
}

// policyFields are the JSON names a policy may carry, for error messages.
var policyFields = []string{"id", "name", "sentence", "effect", "action", "subjects", "objects", "duration", "created_by", "created_at", "version"}

// DecodePolicy reads one policy from JSON, rejecting unknown fields.
// Subjects and objects must be present (use [[]] for every user); effect,
// action and duration must be well formed. Catalog checks are
// Catalog.ValidatePolicy's job.
func DecodePolicy(data []byte) (Policy, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return Policy{}, errors.New("decoding policy: empty input")
	}
	if err := checkDuplicateKeys(data); err != nil {
		return Policy{}, fmt.Errorf("decoding policy: %w", err)
	}
	var shadow struct {
		Policy
		Subjects *[][]Term `json:"subjects"`
		Objects  *[]Clause `json:"objects"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&shadow); err != nil {
		return Policy{}, fmt.Errorf("decoding policy: %s", jsonProblem(data, err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return Policy{}, errors.New("decoding policy: unexpected data after the policy object")
	}
	p := shadow.Policy
	var probs []string
	if shadow.Subjects == nil {
		probs = append(probs, `subjects is missing: use [[]] for every user or a list of term lists`)
	} else {
		p.Subjects = *shadow.Subjects
		for i, cl := range p.Subjects {
			// [] is a clause that matches everyone; a null there is far more
			// likely a bug upstream than a wish to grant everyone.
			if cl == nil {
				probs = append(probs, fmt.Sprintf("subjects[%d] is null: write [] for a clause that matches every user", i))
			}
		}
	}
	if shadow.Objects == nil {
		probs = append(probs, `objects is missing: give a list of clauses such as [{"all_tags": ["PII"]}]`)
	} else {
		p.Objects = *shadow.Objects
	}
	switch p.Effect {
	case Allow, Deny, Mask:
	case "":
		probs = append(probs, "effect is missing (allow, deny or mask)")
	default:
		probs = append(probs, fmt.Sprintf("effect %q is not one of allow, deny, mask", p.Effect))
	}
	switch p.Action {
	case Read, Write:
	case "":
		probs = append(probs, "action is missing (read or write)")
	default:
		probs = append(probs, fmt.Sprintf("action %q is not one of read, write", p.Action))
	}
	if len(probs) > 0 {
		return Policy{}, &PolicyError{PolicyID: p.ID, Problems: probs}
	}
	return p, nil
}

// jsonProblem turns encoding/json errors into messages that name the field
// or the position.
func jsonProblem(data []byte, err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		l, c := lineCol(data, syn.Offset)
		return fmt.Sprintf("invalid JSON at line %d, column %d: %s", l, c, syn.Error())
	case errors.As(err, &typ):
		f := typ.Field
		if f == "" {
			return fmt.Sprintf("expected a policy object, found a JSON %s", typ.Value)
		}
		return fmt.Sprintf("field %s: expected %s, found a JSON %s", f, friendlyType(typ.Type.String()), typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return "the JSON ends too early"
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if strings.HasPrefix(msg, "unknown field") {
		msg += " (known fields: " + strings.Join(policyFields, ", ") + "; terms: attribute, values, group, negate; clauses: all_tags, none_tags, asset)"
	}
	return msg
}

func friendlyType(t string) string {
	switch t {
	case "[][]policy.Term":
		return "a list of term lists such as [[{\"group\": \"fraud-squad\"}]]"
	case "[]policy.Term":
		return "a list of terms"
	case "[]policy.Clause":
		return "a list of clauses"
	case "policy.Term":
		return "a term object"
	case "policy.Clause":
		return "a clause object"
	case "[]string":
		return "a list of strings"
	case "policy.Effect", "policy.Action", "string":
		return "a string"
	case "bool":
		return "true or false"
	case "int":
		return "an integer"
	case "time.Time":
		return "an RFC 3339 time"
	}
	return t
}

func lineCol(data []byte, off int64) (int, int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	before := data[:off]
	l := bytes.Count(before, []byte{'\n'}) + 1
	c := int(off) - bytes.LastIndexByte(before, '\n')
	return l, c
}

// checkDuplicateKeys rejects objects that repeat a key: encoding/json would
// silently keep the last one, so {"effect":"deny","effect":"allow"} would
// read as an allow.
func checkDuplicateKeys(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	type frame struct {
		obj  bool
		keys map[string]bool
		key  bool // next token in an object is a key
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return nil // syntax errors are reported by the real decode, with position
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.obj && top.key {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				if len(stack) > 0 && stack[len(stack)-1].obj {
					stack[len(stack)-1].key = true
				}
				continue
			}
			k, _ := tok.(string)
			if top.keys[k] {
				return fmt.Errorf("key %q appears twice in one object", k)
			}
			top.keys[k] = true
			top.key = false
			continue
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{':
				stack = append(stack, &frame{obj: true, keys: map[string]bool{}, key: true})
				continue
			case '[':
				stack = append(stack, &frame{})
				continue
			case ']', '}':
				stack = stack[:len(stack)-1]
			}
		}
		if len(stack) > 0 && stack[len(stack)-1].obj {
			stack[len(stack)-1].key = true
		}
	}
}

// DecodePolicies reads a JSON array (or YAML list) of policies. A single
// policy object is accepted as a list of one. Errors name the policy by
// position and id.
func DecodePolicies(data []byte) ([]Policy, error) {
	t := bytes.TrimSpace(data)
	if len(t) == 0 {
		return nil, errors.New("decoding policies: empty input (use [] for no policies)")
	}
	var items [][]byte
	switch t[0] {
	case '[':
		var raws []json.RawMessage
		if err := json.Unmarshal(t, &raws); err != nil {
			return nil, fmt.Errorf("decoding policies: %s", jsonProblem(t, err))
		}
		for _, r := range raws {
			items = append(items, r)
		}
	case '{':
		items = [][]byte{t}
	default:
		var v any
		if err := yaml.Unmarshal(data, &v); err != nil {
			return nil, fmt.Errorf("decoding policies: not a JSON array or YAML list: %s", strings.TrimPrefix(err.Error(), "yaml: "))
		}
		var list []any
		switch x := v.(type) {
		case []any:
			list = x
		case map[string]any:
			list = []any{x}
		case nil:
			return nil, errors.New("decoding policies: empty input (use [] for no policies)")
		default:
			return nil, fmt.Errorf("decoding policies: expected a list of policies, found %T", v)
		}
		for i, item := range list {
			b, err := json.Marshal(item)
			if err != nil {
				return nil, fmt.Errorf("decoding policies: policy #%d: keys must be strings: %v", i+1, err)
			}
			items = append(items, b)
		}
	}
	out := make([]Policy, 0, len(items))
	for i, b := range items {
		p, err := DecodePolicy(b)
		if err != nil {
			return nil, fmt.Errorf("policy #%d: %w", i+1, err)
		}
		out = append(out, p)
	}
	return out, nil
}

// SortedPolicies returns the policies ordered by id, for stable output.
func SortedPolicies(ps []Policy) []Policy {
	out := append([]Policy(nil), ps...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}
