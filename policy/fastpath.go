package policy

import (
	"encoding/binary"
	"hash/maphash"
	"math/bits"
)

// idTable maps ids to a 32-bit payload (a position, or where the item's
// data starts) with open addressing over one flat slot array. An id of up
// to 23 bytes is kept in its slot, so a lookup usually reads one cache line,
// where a Go map of strings reads its control word, its slot and the
// string's heap object: three misses each on a catalog this size.
type idTable struct {
	seed  maphash.Seed
	mask  uint64
	slots []idSlot
	arena []byte // ids too long for their slot
}

const idInline = 23

// idSlot is 32 bytes, two to a cache line. n is the id's length plus one;
// zero marks an empty slot. An id longer than idInline is in the arena, at
// the offset stored in the first four bytes of id.
type idSlot struct {
	tag     uint32 // high half of the hash, compared before the id
	payload uint32
	n       uint8
	id      [idInline]byte
}

func newIDTable(ids []string, payload func(i int) uint32) *idTable {
	size := 16
	for size < 2*len(ids) {
		size *= 2
	}
	t := &idTable{seed: maphash.MakeSeed(), mask: uint64(size - 1), slots: make([]idSlot, size)}
	for p, id := range ids {
		h := maphash.String(t.seed, id)
		s := idSlot{tag: uint32(h >> 32), payload: payload(p), n: uint8(min(len(id), 255-1) + 1)}
		if len(id) <= idInline {
			copy(s.id[:], id)
		} else {
			binary.LittleEndian.PutUint32(s.id[:4], uint32(len(t.arena)))
			binary.LittleEndian.PutUint32(s.id[4:8], uint32(len(id)))
			t.arena = append(t.arena, id...)
		}
		for i := h & t.mask; ; i = (i + 1) & t.mask {
			if t.slots[i].n == 0 {
				t.slots[i] = s
				break
			}
		}
	}
	return t
}

func (t *idTable) lookup(id string) (uint32, bool) {
	return t.find(maphash.String(t.seed, id), id)
}

// find looks id up given its hash.
func (t *idTable) find(h uint64, id string) (uint32, bool) {
	tag := uint32(h >> 32)
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		s := &t.slots[i]
		if s.n == 0 {
			return 0, false
		}
		if s.tag == tag && t.same(s, id) {
			return s.payload, true
		}
	}
}

func (t *idTable) same(s *idSlot, id string) bool {
	if len(id) <= idInline {
		return int(s.n) == len(id)+1 && string(s.id[:len(id)]) == id
	}
	if int(s.n) != min(len(id), 255-1)+1 {
		return false
	}
	off := binary.LittleEndian.Uint32(s.id[:4])
	n := binary.LittleEndian.Uint32(s.id[4:8])
	return int(n) == len(id) && string(t.arena[off:off+n]) == id
}

func (t *idTable) bytes() int { return 32*len(t.slots) + len(t.arena) }

// subjectProgram decides policies' subjects against a user directly, from a
// small bitmap per user over the features (attribute values and groups)
// that some policy's subjects mention. A user's features fit in a cache line
// or two, where a bit per policy per user spans a dozen lines and a decision
// misses on most of those its candidates touch.
//
// Each policy compiles to a run of words in prog:
//
//	nClauses, then per clause: nTerms, then per term: nValues<<1|negate, features...
//
// A group term has its group as its one feature.
type subjectProgram struct {
	words int      // feature words per user
	feats []uint64 // user position -> feature bitmap
	off   []uint32 // policy -> start of its code in prog
	prog  []uint32
}

func compileSubjects(ix *Index, policies []Policy) *subjectProgram {
	attrFeat := map[string]map[string]uint32{}
	groupFeat := map[string]uint32{}
	var users []bitset // feature -> the users who have it
	feature := func(t Term, v string) uint32 {
		if t.Group != "" {
			if f, ok := groupFeat[t.Group]; ok {
				return f
			}
			f := uint32(len(users))
			groupFeat[t.Group] = f
			users = append(users, ix.group[t.Group])
			return f
		}
		m := attrFeat[t.Attribute]
		if m == nil {
			m = map[string]uint32{}
			attrFeat[t.Attribute] = m
		}
		if f, ok := m[v]; ok {
			return f
		}
		f := uint32(len(users))
		m[v] = f
		users = append(users, ix.attr[t.Attribute][v])
		return f
	}
	sp := &subjectProgram{off: make([]uint32, len(policies)+1)}
	for i, p := range policies {
		sp.off[i] = uint32(len(sp.prog))
		sp.prog = append(sp.prog, uint32(len(p.Subjects)))
		for _, cl := range p.Subjects {
			sp.prog = append(sp.prog, uint32(len(cl)))
			for _, t := range cl {
				neg := uint32(0)
				if t.Negate {
					neg = 1
				}
				if t.Group != "" {
					sp.prog = append(sp.prog, 1<<1|neg, feature(t, ""))
					continue
				}
				sp.prog = append(sp.prog, uint32(len(t.Values))<<1|neg)
				for _, v := range t.Values {
					sp.prog = append(sp.prog, feature(t, v))
				}
			}
		}
	}
	sp.off[len(policies)] = uint32(len(sp.prog))
	sp.words = max(1, (len(users)+63)/64)
	sp.feats = make([]uint64, len(ix.userIDs)*sp.words)
	for f, b := range users {
		word, bit := f>>6, uint64(1)<<(f&63)
		for wi, w := range b {
			for w != 0 {
				u := wi*64 + bits.TrailingZeros64(w)
				sp.feats[u*sp.words+word] |= bit
				w &= w - 1
			}
		}
	}
	return sp
}

// row is user u's feature bitmap.
func (sp *subjectProgram) row(u uint32) []uint64 {
	return sp.feats[int(u)*sp.words : int(u+1)*sp.words]
}

// selects reports whether policy p's subjects (an OR of ANDs of terms)
// select the user whose feature bitmap is row.
func (sp *subjectProgram) selects(p uint32, row []uint64) bool {
	code := sp.prog[sp.off[p]:sp.off[p+1]]
	nc := code[0]
	i := 1
	for range nc {
		nt := code[i]
		i++
		ok := true
		for range nt {
			h := code[i]
			nv := int(h >> 1)
			i++
			if ok {
				hit := uint32(0)
				for _, f := range code[i : i+nv] {
					if row[f>>6]&(1<<(f&63)) != 0 {
						hit = 1
						break
					}
				}
				ok = hit != h&1
			}
			i += nv
		}
		if ok {
			return true
		}
	}
	return false
}

func (sp *subjectProgram) bytes() int { return 8*len(sp.feats) + 4*len(sp.off) + 4*len(sp.prog) }
