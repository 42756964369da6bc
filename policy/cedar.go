package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"
)

// Cedar export.
//
// Entities: every user is a User entity whose attributes are the catalog
// attributes it carries, each a Set of String (single values become
// one-element sets), with its groups as Group parents. Every asset is an
// Asset entity with one attribute, tags: the Set of every tag on the table
// or any of its columns. Groups are Group entities.
//
// Policies: allow becomes permit and deny becomes forbid. Write includes
// read, so an allow-write permits both Action::"read" and Action::"write",
// and a deny-read forbids both (no reading means no writing); allow-read
// permits read and deny-write forbids write only. Cedar has no notion of
// masking, so a mask policy is exported as a permit on its own action,
// Action::"mask", annotated @effect("mask"): it never takes part in read
// or write decisions, and asking Cedar whether (user, Action::"mask",
// asset) is permitted answers whether the mask applies. Every policy
// carries @effect and, when set, @id, @name and @duration annotations;
// duration (temporary access) is enforced by Steward's grants, not Cedar.

// CedarPolicy renders one policy as Cedar text.
func CedarPolicy(p Policy) (string, error) {
	var actions, verb string
	switch {
	case p.Effect == Mask:
		verb, actions = "permit", `action == Action::"mask"`
	case p.Effect == Allow && p.Action == Read:
		verb, actions = "permit", `action == Action::"read"`
	case p.Effect == Allow && p.Action == Write:
		verb, actions = "permit", `action in [Action::"read", Action::"write"]`
	case p.Effect == Deny && p.Action == Read:
		verb, actions = "forbid", `action in [Action::"read", Action::"write"]`
	case p.Effect == Deny && p.Action == Write:
		verb, actions = "forbid", `action == Action::"write"`
	default:
		return "", fmt.Errorf("exporting policy %s to Cedar: effect %q with action %q is not allow|deny|mask with read|write", p.ID, p.Effect, p.Action)
	}
	subj, err := cedarSubjects(p.Subjects)
	if err != nil {
		return "", fmt.Errorf("exporting policy %s to Cedar: %w", p.ID, err)
	}
	obj := cedarObjects(p.Objects)

	var b strings.Builder
	if p.ID != "" { // a draft has no id until it is saved
		fmt.Fprintf(&b, "@id(%s)\n", cedarString(p.ID))
	}
	if p.Name != "" {
		fmt.Fprintf(&b, "@name(%s)\n", cedarString(p.Name))
	}
	fmt.Fprintf(&b, "@effect(%s)\n", cedarString(string(p.Effect)))
	if p.Duration > 0 {
		fmt.Fprintf(&b, "@duration(%s)\n", cedarString(p.Duration.String()))
	}
	fmt.Fprintf(&b, "%s (\n  principal is User,\n  %s,\n  resource is Asset\n)", verb, actions)
	var conds []string
	for _, c := range []string{subj, obj} {
		if c != "true" {
			conds = append(conds, c)
		}
	}
	if len(conds) > 0 {
		fmt.Fprintf(&b, "\nwhen {\n  %s\n}", strings.Join(conds, "\n  && "))
	}
	b.WriteString(";\n")
	return b.String(), nil
}

func cedarSubjects(subjects [][]Term) (string, error) {
	if len(subjects) == 0 {
		return "false", nil
	}
	var ors []string
	for _, clause := range subjects {
		if len(clause) == 0 {
			return "true", nil
		}
		var ands []string
		for _, t := range clause {
			s, err := cedarTerm(t)
			if err != nil {
				return "", err
			}
			ands = append(ands, s)
		}
		ors = append(ors, strings.Join(ands, " && "))
	}
	return group(ors), nil
}

func group(ors []string) string {
	if len(ors) == 1 {
		return "(" + ors[0] + ")"
	}
	return "((" + strings.Join(ors, ") || (") + "))"
}

func cedarTerm(t Term) (string, error) {
	var s string
	switch {
	case t.Group != "" && t.Attribute == "":
		s = fmt.Sprintf("principal in Group::%s", cedarString(t.Group))
	case t.Attribute != "" && t.Group == "":
		s = fmt.Sprintf("(principal has %s && %s.containsAny(%s))", cedarAttrName(t.Attribute), cedarAttr("principal", t.Attribute), cedarSet(t.Values))
	default:
		return "", errors.New("a term needs exactly one of attribute or group")
	}
	if t.Negate {
		return "!(" + s + ")", nil
	}
	return s, nil
}

func cedarObjects(objects []Clause) string {
	if len(objects) == 0 {
		return "false"
	}
	var ors []string
	for _, c := range objects {
		switch {
		case c.Asset != "":
			ors = append(ors, "resource == Asset::"+cedarString(c.Asset))
		case len(c.AllTags) == 0:
			ors = append(ors, "false")
		default:
			s := "resource.tags.containsAll(" + cedarSet(c.AllTags) + ")"
			if len(c.NoneTags) > 0 {
				s += " && !resource.tags.containsAny(" + cedarSet(c.NoneTags) + ")"
			}
			ors = append(ors, s)
		}
	}
	return group(ors)
}

var cedarIdent = regexp.MustCompile(`^[_a-zA-Z][_a-zA-Z0-9]*$`)

var cedarReserved = map[string]bool{"true": true, "false": true, "if": true, "then": true, "else": true, "in": true, "like": true, "has": true, "is": true, "__cedar": true}

func cedarAttrName(k string) string {
	if cedarIdent.MatchString(k) && !cedarReserved[k] {
		return k
	}
	return cedarString(k)
}

func cedarAttr(entity, k string) string {
	if cedarIdent.MatchString(k) && !cedarReserved[k] {
		return entity + "." + k
	}
	return entity + "[" + cedarString(k) + "]"
}

func cedarSet(vs []string) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = cedarString(v)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// cedarString quotes s as a Cedar string literal.
func cedarString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i, w := 0, 0; i < len(s); i += w {
		r, size := utf8.DecodeRuneInString(s[i:])
		w = size
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\u{fffd}`)
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u{%x}`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// CedarEntity is one entity in Cedar's JSON entity format.
type CedarEntity struct {
	UID     CedarUID       `json:"uid"`
	Attrs   map[string]any `json:"attrs"`
	Parents []CedarUID     `json:"parents"`
}

// CedarUID names a Cedar entity.
type CedarUID struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// CedarEntities returns the catalog as Cedar entities: groups, users, assets.
func CedarEntities(c *Catalog) []CedarEntity {
	out := make([]CedarEntity, 0, len(c.Groups)+len(c.Users)+len(c.Assets))
	for _, g := range keys(c.Groups) {
		out = append(out, CedarEntity{UID: CedarUID{"Group", g}, Attrs: map[string]any{}, Parents: []CedarUID{}})
	}
	for _, u := range c.Users {
		attrs := make(map[string]any, len(u.Attributes))
		for k, vs := range u.Attributes {
			attrs[k] = dedupSorted(vs)
		}
		parents := make([]CedarUID, 0, len(u.Groups))
		for _, g := range dedupSorted(u.Groups) {
			parents = append(parents, CedarUID{"Group", g})
		}
		out = append(out, CedarEntity{UID: CedarUID{"User", u.ID}, Attrs: attrs, Parents: parents})
	}
	for _, a := range c.Assets {
		out = append(out, CedarEntity{UID: CedarUID{"Asset", a.ID}, Attrs: map[string]any{"tags": allTags(a)}, Parents: []CedarUID{}})
	}
	return out
}

func dedupSorted(vs []string) []string {
	out := append([]string{}, vs...)
	sort.Strings(out)
	w := 0
	for i, v := range out {
		if i == 0 || v != out[w-1] {
			out[w] = v
			w++
		}
	}
	return out[:w]
}

// ExportCedar renders the policies as Cedar text and the catalog as Cedar entities JSON.
// The policies are validated against the catalog first.
func ExportCedar(c *Catalog, policies []Policy) (text string, entitiesJSON []byte, err error) {
	if c == nil {
		return "", nil, errors.New("exporting to Cedar: no catalog")
	}
	ix := NewIndex(c)
	var b strings.Builder
	var errs []error
	for i, p := range policies {
		if _, err := c.validatePolicy(p, ix); err != nil {
			errs = append(errs, err)
			continue
		}
		s, err := CedarPolicy(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(s)
	}
	if len(errs) > 0 {
		return "", nil, fmt.Errorf("exporting to Cedar: %w", errors.Join(errs...))
	}
	ents, err := json.MarshalIndent(CedarEntities(c), "", "  ")
	if err != nil {
		return "", nil, fmt.Errorf("exporting to Cedar: encoding entities: %w", err)
	}
	return b.String(), append(ents, '\n'), nil
}
