package policy

import (
	"fmt"
	"strings"
	"time"
)

// PolicyError lists everything wrong with a policy, so the person (or the
// copilot) can fix it in one pass.
type PolicyError struct {
	PolicyID string
	Problems []string
}

func (e *PolicyError) Error() string {
	name := "policy"
	if e.PolicyID != "" {
		name = "policy " + e.PolicyID
	}
	if len(e.Problems) == 1 {
		return name + ": " + e.Problems[0]
	}
	return name + ": " + strings.Join(e.Problems, "; ")
}

// ValidatePolicy checks p against the catalog: known keys, values, groups,
// tags and assets; effect and action; objects that do not cover every asset.
func (c *Catalog) ValidatePolicy(p Policy) error {
	_, err := c.validatePolicy(p, NewIndex(c))
	return err
}

// validatePolicy also returns the policy's asset set, which the evaluator
// reuses rather than computing it twice.
func (c *Catalog) validatePolicy(p Policy, ix *Index) (bitset, error) {
	var probs []string
	add := func(format string, args ...any) { probs = append(probs, fmt.Sprintf(format, args...)) }
	switch p.Effect {
	case Allow, Deny, Mask:
	case "":
		add("effect is missing (allow, deny or mask)")
	default:
		add("effect %q is not one of allow, deny, mask", p.Effect)
	}
	switch p.Action {
	case Read, Write:
	case "":
		add("action is missing (read or write)")
	default:
		add("action %q is not one of read, write", p.Action)
	}
	if p.Duration < 0 {
		add("duration %s is negative", time.Duration(p.Duration))
	}
	for i, clause := range p.Subjects {
		for j, t := range clause {
			where := fmt.Sprintf("subjects[%d][%d]", i, j)
			switch {
			case t.Attribute != "" && t.Group != "":
				add("%s: a term has either an attribute or a group, not both (attribute %q, group %q)", where, t.Attribute, t.Group)
			case t.Group != "":
				if len(t.Values) > 0 {
					add("%s: group %q takes no values", where, t.Group)
				}
				if _, ok := c.Groups[t.Group]; !ok {
					add("%s: unknown group %q%s", where, t.Group, suggest(t.Group, keys(c.Groups)))
				}
			case t.Attribute != "":
				attr, ok := c.Attributes[t.Attribute]
				if !ok {
					add("%s: unknown attribute %q%s", where, t.Attribute, suggest(t.Attribute, keys(c.Attributes)))
					break
				}
				if len(t.Values) == 0 {
					add("%s: attribute %q needs at least one value", where, t.Attribute)
				}
				for _, v := range t.Values {
					if _, ok := attr.Values[v]; !ok {
						add("%s: unknown value %q for attribute %s%s", where, v, t.Attribute, suggest(v, keys(attr.Values)))
					}
				}
			default:
				add("%s: a term needs an attribute (with values) or a group", where)
			}
		}
	}
	for i, cl := range p.Objects {
		where := fmt.Sprintf("objects[%d]", i)
		switch {
		case cl.Asset != "" && len(cl.AllTags) > 0:
			add("%s: a clause names either an asset or all_tags, not both", where)
		case cl.Asset != "":
			if len(cl.NoneTags) > 0 {
				add("%s: none_tags only applies with all_tags, not with asset %q", where, cl.Asset)
			}
			if _, ok := c.Asset(cl.Asset); !ok {
				add("%s: unknown asset %q", where, cl.Asset)
			}
		case len(cl.AllTags) == 0:
			add("%s: a clause needs an asset or at least one tag in all_tags", where)
		}
		for _, t := range cl.AllTags {
			if _, ok := c.Tags[t]; !ok {
				add("%s: unknown tag %q%s", where, t, suggest(t, keys(c.Tags)))
			}
		}
		for _, t := range cl.NoneTags {
			if _, ok := c.Tags[t]; !ok {
				add("%s: unknown tag %q in none_tags%s", where, t, suggest(t, keys(c.Tags)))
			}
		}
	}
	if len(probs) > 0 {
		return nil, &PolicyError{PolicyID: p.ID, Problems: probs}
	}
	assets := ix.assets(p.Objects)
	if n := len(ix.assetIDs); n > 0 && assets.count() == n {
		return nil, &PolicyError{PolicyID: p.ID, Problems: []string{fmt.Sprintf(
			"objects cover every asset in the catalog (%d of %d); a policy must name a narrower set of data", n, n)}}
	}
	return assets, nil
}
