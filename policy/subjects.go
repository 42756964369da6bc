package policy

import (
	"math/bits"
	"slices"
)

// A user's features are the attribute values and groups that some policy's
// subjects mention, numbered from 2, and kept per user as a small bitmap
// (a row). Two features are reserved so that fixed-size checks need no
// special cases: every user has featEveryone and nobody has featNoOne.
const (
	featEveryone = 0
	featNoOne    = 1
	firstFeature = 2
)

// compiledTerm is a subject term over features: the user has one of feats,
// or, negated, none of them. pass is the share of users it lets through,
// which orders a clause's terms so that the first usually decides.
type compiledTerm struct {
	feats []uint32
	neg   bool
	pass  float64
}

// compiledSubjects are every policy's subjects over features, with the
// users of each feature.
type compiledSubjects struct {
	users    []bitset           // feature -> the users who have it
	policies [][][]compiledTerm // policy -> clause -> terms, most selective first
}

func compileSubjects(ix *Index, policies []Policy) *compiledSubjects {
	cs := &compiledSubjects{users: []bitset{ix.allUsers, nil}, policies: make([][][]compiledTerm, len(policies))}
	attrFeat := map[string]map[string]uint32{}
	groupFeat := map[string]uint32{}
	count := []int{len(ix.userIDs), 0}
	feature := func(users bitset) uint32 {
		cs.users = append(cs.users, users)
		count = append(count, users.count())
		return uint32(len(cs.users) - 1)
	}
	nUsers := max(1, len(ix.userIDs))
	for i, p := range policies {
		clauses := make([][]compiledTerm, len(p.Subjects))
		for c, cl := range p.Subjects {
			terms := make([]compiledTerm, len(cl))
			for k, t := range cl {
				var fs []uint32
				if t.Group != "" {
					f, ok := groupFeat[t.Group]
					if !ok {
						f = feature(ix.group[t.Group])
						groupFeat[t.Group] = f
					}
					fs = []uint32{f}
				} else {
					m := attrFeat[t.Attribute]
					if m == nil {
						m = map[string]uint32{}
						attrFeat[t.Attribute] = m
					}
					for _, v := range t.Values {
						f, ok := m[v]
						if !ok {
							f = feature(ix.attr[t.Attribute][v])
							m[v] = f
						}
						fs = append(fs, f)
					}
				}
				n := 0
				for _, f := range fs {
					n += count[f]
				}
				pass := min(1, float64(n)/float64(nUsers))
				if t.Negate {
					pass = 1 - pass
				}
				terms[k] = compiledTerm{feats: fs, neg: t.Negate, pass: pass}
			}
			slices.SortStableFunc(terms, func(a, b compiledTerm) int {
				switch {
				case a.pass < b.pass:
					return -1
				case a.pass > b.pass:
					return 1
				}
				return 0
			})
			clauses[c] = terms
		}
		cs.policies[i] = clauses
	}
	return cs
}

// rowWords is the length of a user's feature row in 64-bit words.
func (cs *compiledSubjects) rowWords() int { return (len(cs.users) + 63) / 64 }

// rows returns every user's feature row, user position u's at
// [u*rowWords : (u+1)*rowWords].
func (cs *compiledSubjects) rows(nUsers int) []uint64 {
	w := cs.rowWords()
	out := make([]uint64, nUsers*w)
	for u := range nUsers {
		out[u*w] |= 1 << featEveryone
	}
	for f := firstFeature; f < len(cs.users); f++ {
		word, bit := f>>6, uint64(1)<<(f&63)
		for wi, x := range cs.users[f] {
			for x != 0 {
				u := wi*64 + bits.TrailingZeros64(x)
				out[u*w+word] |= bit
				x &= x - 1
			}
		}
	}
	return out
}

// subjectProgram decides any policy's subjects exactly. Each policy is a
// run of words in prog:
//
//	nClauses, then per clause: the index where the next clause starts,
//	then per term: nFeatures<<1|negate, features...
//
// It is the fallback for policies too large for a subjectCheck, and what
// Explain and MaskedColumns use.
type subjectProgram struct {
	off  []uint32 // policy -> start of its code in prog
	prog []uint32
}

func newSubjectProgram(cs *compiledSubjects) *subjectProgram {
	sp := &subjectProgram{off: make([]uint32, len(cs.policies)+1)}
	for i, clauses := range cs.policies {
		sp.off[i] = uint32(len(sp.prog))
		sp.prog = append(sp.prog, uint32(len(clauses)))
		for _, cl := range clauses {
			next := len(sp.prog)
			sp.prog = append(sp.prog, 0)
			for _, t := range cl {
				h := uint32(len(t.feats)) << 1
				if t.neg {
					h |= 1
				}
				sp.prog = append(sp.prog, h)
				sp.prog = append(sp.prog, t.feats...)
			}
			sp.prog[next] = uint32(len(sp.prog))
		}
	}
	sp.off[len(cs.policies)] = uint32(len(sp.prog))
	return sp
}

// selects reports whether policy p's subjects (an OR of ANDs of terms)
// select the user whose feature row is row.
func (sp *subjectProgram) selects(p uint32, row []uint64) bool {
	i := sp.off[p]
	nc := sp.prog[i]
	i++
clauses:
	for range nc {
		next := sp.prog[i]
		i++
		for i < next {
			h := sp.prog[i]
			fs := sp.prog[i+1 : i+1+h>>1]
			i += 1 + h>>1
			hit := uint32(0)
			for _, f := range fs {
				if row[f>>6]&(1<<(f&63)) != 0 {
					hit = 1
					break
				}
			}
			if hit == h&1 {
				i = next
				continue clauses
			}
		}
		return true
	}
	return false
}

func (sp *subjectProgram) bytes() int { return 4*len(sp.off) + 4*len(sp.prog) }

// featureWord is the width of a feature or policy number in the fast
// checks: uint16 when every number fits, which halves what a decision
// reads, and uint32 otherwise.
type featureWord interface{ ~uint16 | ~uint32 }

// subjectCheck decides a small policy's subjects with a fixed amount of
// branch-free work: up to checkLits features, grouped into up to
// checkTerms terms (term k holds the features in its mask term[k], and is
// flipped when bit k of neg is set), grouped into up to two clauses (clause
// c needs every term in clause[c]). A policy that does not fit keeps its
// most selective terms, which still every selected user passes; exact
// tells whether the check is the whole answer.
type subjectCheck[W featureWord] struct {
	lits   [checkLits]W
	term   [checkTerms]uint8
	neg    uint8
	clause [2]uint8
	exact  bool
}

const (
	checkLits  = 8
	checkTerms = 4
)

// subjectScreen is a cheaper necessary condition still: a selected user has
// one of these features. It holds the most selective positive term of each
// clause when they fit, and featEveryone when they do not.
type subjectScreen[W featureWord] [4]W

func newSubjectCheck[W featureWord](clauses [][]compiledTerm) (subjectCheck[W], subjectScreen[W]) {
	var c subjectCheck[W]
	for k := range c.lits {
		c.lits[k] = featNoOne
	}
	screen := subjectScreen[W]{featEveryone, featNoOne, featNoOne, featNoOne}
	switch {
	case len(clauses) == 0:
		// Nobody: both clauses need term 3, whose mask is empty.
		c.clause = [2]uint8{1 << 3, 1 << 3}
		c.exact = true
		return c, subjectScreen[W]{featNoOne, featNoOne, featNoOne, featNoOne}
	case len(clauses) > 2:
		return c, screen // both clause masks empty: everyone passes, not exact
	}
	c.exact = true
	nl, nt := 0, 0
	for ci, cl := range clauses {
		for _, t := range cl {
			if nt == checkTerms || nl+len(t.feats) > checkLits {
				c.exact = false
				continue
			}
			var m uint8
			for _, f := range t.feats {
				c.lits[nl] = W(f)
				m |= 1 << nl
				nl++
			}
			c.term[nt] = m
			if t.neg {
				c.neg |= 1 << nt
			}
			c.clause[ci] |= 1 << nt
			nt++
		}
	}
	if len(clauses) == 1 {
		c.clause[1] = c.clause[0]
	}
	// The screen: each clause's most selective term, if it is positive and
	// all of them fit.
	var lits []W
	for _, cl := range clauses {
		i := slices.IndexFunc(cl, func(t compiledTerm) bool { return !t.neg })
		if i < 0 {
			return c, screen
		}
		for _, f := range cl[i].feats {
			lits = append(lits, W(f))
		}
	}
	if len(lits) > len(screen) {
		return c, screen
	}
	screen = subjectScreen[W]{featNoOne, featNoOne, featNoOne, featNoOne}
	copy(screen[:], lits)
	return c, screen
}

func bit[W featureWord](row []uint64, f W) uint64 { return row[f>>6] >> (f & 63) & 1 }

// passes reports whether a user with this row may be selected: false is
// certain, true is certain only for an exact check.
func (c *subjectCheck[W]) passes(row []uint64) bool {
	l := &c.lits
	lits := bit(row, l[0]) | bit(row, l[1])<<1 | bit(row, l[2])<<2 | bit(row, l[3])<<3 |
		bit(row, l[4])<<4 | bit(row, l[5])<<5 | bit(row, l[6])<<6 | bit(row, l[7])<<7
	// (x+255)>>8 is 1 when the 8-bit x is not zero.
	terms := (lits&uint64(c.term[0])+255)>>8 | (lits&uint64(c.term[1])+255)>>8<<1 |
		(lits&uint64(c.term[2])+255)>>8<<2 | (lits&uint64(c.term[3])+255)>>8<<3
	terms ^= uint64(c.neg)
	c0, c1 := uint64(c.clause[0]), uint64(c.clause[1])
	return (terms&c0^c0)*(terms&c1^c1) == 0
}

// admits reports whether a user with this row may be selected; false is
// certain. decider.anyOf has it written out, as it is over the inlining
// budget.
func admits[W featureWord](s *subjectScreen[W], row []uint64) bool {
	return (bit(row, s[0]) | bit(row, s[1]) | bit(row, s[2]) | bit(row, s[3])) != 0
}
