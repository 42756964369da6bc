package policy

import "slices"

// MatchesUser reports whether u is selected by subjects (OR of ANDs).
// [[]] selects everyone; [] selects nobody.
func MatchesUser(u User, subjects [][]Term) bool {
	for _, clause := range subjects {
		if clauseMatchesUser(u, clause) {
			return true
		}
	}
	return false
}

func clauseMatchesUser(u User, clause []Term) bool {
	for _, t := range clause {
		if !TermMatchesUser(u, t) {
			return false
		}
	}
	return true
}

// TermMatchesUser reports whether one term (after negation) matches u.
func TermMatchesUser(u User, t Term) bool {
	var hit bool
	if t.Group != "" {
		hit = slices.Contains(u.Groups, t.Group)
	} else {
		for _, v := range u.Attributes[t.Attribute] {
			if slices.Contains(t.Values, v) {
				hit = true
				break
			}
		}
	}
	return hit != t.Negate
}

// MatchesAsset reports whether an asset with these tags (table and columns) and id
// is selected by objects.
func MatchesAsset(assetID string, tags []string, objects []Clause) bool {
	for _, c := range objects {
		if ClauseMatchesAsset(assetID, tags, c) {
			return true
		}
	}
	return false
}

// ClauseMatchesAsset reports whether one clause selects the asset. A tag
// clause needs at least one tag in AllTags: an empty clause selects nothing
// rather than everything.
func ClauseMatchesAsset(assetID string, tags []string, c Clause) bool {
	if c.Asset != "" {
		return c.Asset == assetID
	}
	if len(c.AllTags) == 0 {
		return false
	}
	for _, t := range c.AllTags {
		if !slices.Contains(tags, t) {
			return false
		}
	}
	for _, t := range c.NoneTags {
		if slices.Contains(tags, t) {
			return false
		}
	}
	return true
}
