package policy

import (
	"sort"
	"strings"
)

// Impact is who and what a policy covers, as sorted ids.
type Impact struct {
	Users  []string `json:"users"`
	Assets []string `json:"assets"`
}

// Index answers impact queries with bitmaps over users and assets. Users and
// assets are numbered in id order, so walking a bitmap yields sorted ids.
// It is immutable once built and safe for concurrent use.
type Index struct {
	userIDs  []string
	userPos  map[string]uint32
	userCat  []int32 // position -> index in Catalog.Users
	allUsers bitset
	attr     map[string]map[string]bitset // attribute -> value -> users
	group    map[string]bitset            // group -> members

	assetIDs  []string
	assetPos  map[string]uint32
	assetCat  []int32             // position -> index in Catalog.Assets
	tagAssets map[string][]uint32 // tag -> sorted positions of assets carrying it (table or column)
}

// catalogIndex is what a loaded Catalog keeps besides its data.
type catalogIndex struct {
	ix       *Index
	bySlack  map[string]int32
	byEmail  map[string]int32
	warnings []Problem
}

// NewIndex builds the bitmap indexes for a catalog. A catalog from
// LoadCatalog, ParseCatalog or NewCatalog already has one, which is returned.
func NewIndex(c *Catalog) *Index {
	if c.idx != nil {
		return c.idx.ix
	}
	return buildIndex(c)
}

func buildCatalogIndex(c *Catalog) *catalogIndex {
	ci := &catalogIndex{ix: buildIndex(c), bySlack: map[string]int32{}, byEmail: map[string]int32{}}
	for i, u := range c.Users {
		if u.SlackID != "" {
			if _, dup := ci.bySlack[u.SlackID]; !dup {
				ci.bySlack[u.SlackID] = int32(i)
			}
		}
		if u.Email != "" {
			e := strings.ToLower(u.Email)
			if _, dup := ci.byEmail[e]; !dup {
				ci.byEmail[e] = int32(i)
			}
		}
	}
	return ci
}

// ordered numbers ids in sorted order, keeping the first of duplicates.
func ordered(n int, id func(int) string) (ids []string, pos map[string]uint32, cat []int32) {
	idx := make([]int32, 0, n)
	seen := make(map[string]struct{}, n)
	for i := 0; i < n; i++ {
		if _, dup := seen[id(i)]; dup {
			continue
		}
		seen[id(i)] = struct{}{}
		idx = append(idx, int32(i))
	}
	sort.Slice(idx, func(a, b int) bool { return id(int(idx[a])) < id(int(idx[b])) })
	ids = make([]string, len(idx))
	pos = make(map[string]uint32, len(idx))
	for p, i := range idx {
		ids[p] = id(int(i))
		pos[ids[p]] = uint32(p)
	}
	return ids, pos, idx
}

func buildIndex(c *Catalog) *Index {
	ix := &Index{attr: map[string]map[string]bitset{}, group: map[string]bitset{}, tagAssets: map[string][]uint32{}}
	ix.userIDs, ix.userPos, ix.userCat = ordered(len(c.Users), func(i int) string { return c.Users[i].ID })
	nu := len(ix.userIDs)
	ix.allUsers = newBitset(nu)
	ix.allUsers.fill(nu)
	for p, ci := range ix.userCat {
		u := &c.Users[ci]
		for _, g := range u.Groups {
			b := ix.group[g]
			if b == nil {
				b = newBitset(nu)
				ix.group[g] = b
			}
			b.set(uint32(p))
		}
		for k, vals := range u.Attributes {
			m := ix.attr[k]
			if m == nil {
				m = map[string]bitset{}
				ix.attr[k] = m
			}
			for _, v := range vals {
				b := m[v]
				if b == nil {
					b = newBitset(nu)
					m[v] = b
				}
				b.set(uint32(p))
			}
		}
	}

	ix.assetIDs, ix.assetPos, ix.assetCat = ordered(len(c.Assets), func(i int) string { return c.Assets[i].ID })
	last := map[string]uint32{} // tag -> last position+1 added, to add each asset once per tag
	add := func(t string, p uint32) {
		if last[t] == p+1 {
			return
		}
		last[t] = p + 1
		ix.tagAssets[t] = append(ix.tagAssets[t], p)
	}
	for p, ci := range ix.assetCat {
		a := &c.Assets[ci]
		for _, t := range a.Tags {
			add(t, uint32(p))
		}
		for _, tags := range a.Columns {
			for _, t := range tags {
				add(t, uint32(p))
			}
		}
	}
	return ix
}

// termUsers is the set of users a term matches before negation; nil is empty.
func (ix *Index) termUsers(t Term, scratch bitset) bitset {
	if t.Group != "" {
		return ix.group[t.Group]
	}
	vals := ix.attr[t.Attribute]
	if len(t.Values) == 1 {
		return vals[t.Values[0]]
	}
	for i := range scratch {
		scratch[i] = 0
	}
	for _, v := range t.Values {
		scratch.or(vals[v])
	}
	return scratch
}

// users is the set of users subjects select.
func (ix *Index) users(subjects [][]Term) bitset {
	n := len(ix.userIDs)
	res := newBitset(n)
	cl := newBitset(n)
	scratch := newBitset(n)
	for _, clause := range subjects {
		copy(cl, ix.allUsers)
		for _, t := range clause {
			s := ix.termUsers(t, scratch)
			if t.Negate {
				cl.andNot(s)
			} else {
				cl.and(s)
			}
		}
		res.or(cl)
	}
	return res
}

// clauseAssets returns the sorted positions of assets one clause selects.
func (ix *Index) clauseAssets(c Clause) []uint32 {
	if c.Asset != "" {
		if p, ok := ix.assetPos[c.Asset]; ok {
			return []uint32{p}
		}
		return nil
	}
	if len(c.AllTags) == 0 {
		return nil
	}
	lists := make([][]uint32, len(c.AllTags))
	for i, t := range c.AllTags {
		lists[i] = ix.tagAssets[t]
	}
	sort.Slice(lists, func(a, b int) bool { return len(lists[a]) < len(lists[b]) })
	out := append([]uint32(nil), lists[0]...)
	for _, l := range lists[1:] {
		if len(out) == 0 {
			break
		}
		out = intersectSorted(out, l)
	}
	for _, t := range c.NoneTags {
		if len(out) == 0 {
			break
		}
		out = subtractSorted(out, ix.tagAssets[t])
	}
	return out
}

// assets is the set of assets objects select.
func (ix *Index) assets(objects []Clause) bitset {
	res := newBitset(len(ix.assetIDs))
	for _, c := range objects {
		for _, p := range ix.clauseAssets(c) {
			res.set(p)
		}
	}
	return res
}

// Impact returns the users and assets p covers (ignores effect and action).
func (ix *Index) Impact(p Policy) Impact {
	u, a := ix.users(p.Subjects), ix.assets(p.Objects)
	return Impact{Users: ix.ids(u, ix.userIDs), Assets: ix.ids(a, ix.assetIDs)}
}

// ImpactCount returns how many users and assets p covers, without listing them.
func (ix *Index) ImpactCount(p Policy) (users, assets int) {
	return ix.users(p.Subjects).count(), ix.assets(p.Objects).count()
}

func (ix *Index) ids(b bitset, names []string) []string {
	out := make([]string, 0, b.count())
	b.each(func(i uint32) { out = append(out, names[i]) })
	return out
}
