package policy

import (
	"encoding/binary"
	"slices"
	"unsafe"
)

// decider answers Allowed from two tables laid out for memory latency, which
// is what a decision on a large catalog waits for:
//
//   - users: a perfect hash to a fixed-size record holding the id and the
//     user's feature row;
//   - assets: a perfect hash to a fixed-size, cache-line-aligned record
//     holding the id, where each kind's candidate policies end, and the
//     candidates themselves (those that do not fit spill to a side array).
//
// So a decision reads the caller's two ids, two pilots and two records,
// and the user's and asset's chains of reads overlap. Candidates are then
// screened and checked against the row by fixed, mostly branch-free code
// (subjectScreen, subjectCheck) whose tables stay in cache.
type decider[W featureWord] struct {
	users       *perfectHash
	userRecs    []uint64
	userStride  int // words per user record, a multiple of 8
	userIDWords int // words of id before the row
	userSlot    []uint32
	rowWords    int

	assets      *perfectHash
	assetRecs   []byte
	assetStride int // bytes per asset record, a multiple of 64
	assetIDCap  int
	assetSlot   []uint32
	spill       []W

	arena   []byte // ids too long for their record
	screens []subjectScreen[W]
	checks  []subjectCheck[W]
	prog    *subjectProgram
}

// A user record is [id: userIDWords words][row: rowWords words], padded to
// whole cache lines. The id's first byte is its length and the id follows;
// or longID, and bytes 4-7 hold where the id sits in the arena (as a
// uint32 length, then the id); or emptySlot, which matches no id.
const (
	longID    = 0xff
	emptySlot = 0xfe
)

// An asset record starts with a header of little-endian uint32s: the id's
// length (or assetLongID, and the id's arena offset where the id would
// be; or assetEmptySlot), how many candidates are inline, where the rest
// start in spill, and the ends of the allow-read, allow-write, deny-read,
// deny-write and mask groups. Then the id, then the candidates.
const (
	assetIDWord     = 0
	assetInline     = 4
	assetSpill      = 8
	assetHead       = 12 // five group ends
	assetHeader     = 32
	assetLongID     = 1 << 30
	assetEmptySlot  = 1 << 31
	maxInlineID     = 96
	recordAlignment = 64
)

// allowed is Evaluator.Allowed on the fast tables.
func (d *decider[W]) allowed(userID, assetID string, action Action) bool {
	ux, ax := d.users.hash(userID), d.assets.hash(assetID)
	us, as := int(d.users.slot(ux)), int(d.assets.slot(ax))
	urec := d.userRecs[us*d.userStride : (us+1)*d.userStride]
	arec := d.assetRecs[as*d.assetStride : (as+1)*d.assetStride]
	if !d.isUser(urec, userID) || !d.isAsset(arec, assetID) {
		return false
	}
	row := urec[d.userIDWords : d.userIDWords+d.rowWords]
	allowRead := binary.LittleEndian.Uint32(arec[assetHead:])
	allowWrite := binary.LittleEndian.Uint32(arec[assetHead+4:])
	var lo, denyEnd uint32
	switch action {
	case Read:
		lo, denyEnd = 0, binary.LittleEndian.Uint32(arec[assetHead+8:])
	case Write:
		lo, denyEnd = allowRead, binary.LittleEndian.Uint32(arec[assetHead+12:])
	default:
		return false
	}
	// Most requests on a large catalog have no allow policy at all.
	if lo == allowWrite || !d.anySelected(arec, lo, allowWrite, row) {
		return false
	}
	return !d.anySelected(arec, allowWrite, denyEnd, row)
}

func (d *decider[W]) isUser(rec []uint64, id string) bool {
	b := unsafe.Slice((*byte)(unsafe.Pointer(&rec[0])), 8*d.userIDWords)
	switch b[0] {
	case longID:
		return d.inArena(binary.LittleEndian.Uint32(b[4:]), id)
	case byte(len(id)):
		return len(id) < len(b) && string(b[1:1+len(id)]) == id
	}
	return false
}

// inArena reports whether the arena holds id at off.
func (d *decider[W]) inArena(off uint32, id string) bool {
	n := binary.LittleEndian.Uint32(d.arena[off:])
	return int(n) == len(id) && string(d.arena[off+4:off+4+n]) == id
}

// toArena appends id to the arena and returns where it starts.
func (d *decider[W]) toArena(id string) uint32 {
	off := uint32(len(d.arena))
	d.arena = binary.LittleEndian.AppendUint32(d.arena, uint32(len(id)))
	d.arena = append(d.arena, id...)
	return off
}

func (d *decider[W]) isAsset(rec []byte, id string) bool {
	switch binary.LittleEndian.Uint32(rec[assetIDWord:]) {
	case uint32(len(id)):
		return len(id) <= d.assetIDCap && string(rec[assetHeader:assetHeader+len(id)]) == id
	case assetLongID:
		return d.inArena(binary.LittleEndian.Uint32(rec[assetHeader:]), id)
	}
	return false
}

// inline is the record's candidates that sit in the record.
func (d *decider[W]) inline(rec []byte) []W {
	n := binary.LittleEndian.Uint32(rec[assetInline:])
	return unsafe.Slice((*W)(unsafe.Pointer(&rec[assetHeader+d.assetIDCap])), n)
}

// anySelected reports whether one of the record's candidates lo..hi-1
// selects the user with this row.
func (d *decider[W]) anySelected(rec []byte, lo, hi uint32, row []uint64) bool {
	in := d.inline(rec)
	n := uint32(len(in))
	if lo < n && d.anyOf(in[lo:min(hi, n)], row) {
		return true
	}
	if hi <= n {
		return false
	}
	s := binary.LittleEndian.Uint32(rec[assetSpill:])
	return d.anyOf(d.spill[s+max(lo, n)-n:s+hi-n], row)
}

func (d *decider[W]) anyOf(ps []W, row []uint64) bool {
	for _, p := range ps {
		// The screen turns most candidates away from the row alone; it is a
		// predictable branch, where checking every candidate in full is not.
		// (admits, written out.)
		s := &d.screens[p]
		if bit(row, s[0])|bit(row, s[1])|bit(row, s[2])|bit(row, s[3]) == 0 {
			continue
		}
		if c := &d.checks[p]; c.passes(row) && (c.exact || d.prog.selects(uint32(p), row)) {
			return true
		}
	}
	return false
}

func (d *decider[W]) row(u uint32) []uint64 {
	s := int(d.userSlot[u])
	return d.userRecs[s*d.userStride+d.userIDWords : s*d.userStride+d.userIDWords+d.rowWords]
}

// appendCandidates appends asset a's candidates, grouped by kind as in runs.
func (d *decider[W]) appendCandidates(dst []uint32, a uint32) []uint32 {
	s := int(d.assetSlot[a])
	rec := d.assetRecs[s*d.assetStride : (s+1)*d.assetStride]
	in := d.inline(rec)
	for _, p := range in {
		dst = append(dst, uint32(p))
	}
	total := binary.LittleEndian.Uint32(rec[assetHead+16:])
	if rest := int(total) - len(in); rest > 0 {
		off := int(binary.LittleEndian.Uint32(rec[assetSpill:]))
		for _, p := range d.spill[off : off+rest] {
			dst = append(dst, uint32(p))
		}
	}
	return dst
}

func (d *decider[W]) bytes() int {
	w := int(unsafe.Sizeof(W(0)))
	return 8*len(d.userRecs) + 4*len(d.userSlot) + d.users.bytes() +
		len(d.assetRecs) + 4*len(d.assetSlot) + d.assets.bytes() + w*len(d.spill) + len(d.arena) +
		len(d.screens)*int(unsafe.Sizeof(subjectScreen[W]{})) + len(d.checks)*int(unsafe.Sizeof(subjectCheck[W]{})) +
		d.prog.bytes()
}

// candidateRuns are every asset's candidate policies grouped by kind: asset
// a's are cands[offs[a]:offs[a+1]], and ends[a] holds where its allow-read,
// allow-write, deny-read, deny-write and mask groups end.
type candidateRuns struct {
	offs  []uint32
	cands []uint32
	ends  [][len(kindOrder)]uint32
}

func newDecider[W featureWord](ix *Index, cs *compiledSubjects, prog *subjectProgram, runs *candidateRuns) *decider[W] {
	d := &decider[W]{prog: prog, rowWords: cs.rowWords()}
	d.screens = make([]subjectScreen[W], len(cs.policies))
	d.checks = make([]subjectCheck[W], len(cs.policies))
	for p, clauses := range cs.policies {
		d.checks[p], d.screens[p] = newSubjectCheck[W](clauses)
	}
	d.buildUsers(ix, cs)
	d.buildAssets(ix, runs)
	return d
}

func (d *decider[W]) buildUsers(ix *Index, cs *compiledSubjects) {
	ids := ix.userIDs
	idCap := inlineCap(ids, 63, 1) + 1 // the length byte, then the id
	d.userIDWords = (idCap + 7) / 8
	d.userStride = (d.userIDWords + d.rowWords + 7) / 8 * 8
	var slots []uint32
	d.users, slots = newPerfectHash(ids)
	d.userSlot = slots
	n := int(d.users.slots) * d.userStride
	buf := make([]uint64, n+recordAlignment/8)
	skip := int(-uintptr(unsafe.Pointer(unsafe.SliceData(buf)))) & (recordAlignment - 1) / 8
	d.userRecs = buf[skip : skip+n : skip+n]
	for s := range int(d.users.slots) {
		d.userRecs[s*d.userStride] = emptySlot
	}
	rows := cs.rows(len(ids))
	for u, id := range ids {
		rec := d.userRecs[int(slots[u])*d.userStride : (int(slots[u])+1)*d.userStride]
		b := unsafe.Slice((*byte)(unsafe.Pointer(&rec[0])), 8*d.userIDWords)
		if len(id) < len(b) {
			b[0] = byte(len(id))
			copy(b[1:], id)
		} else {
			b[0] = longID
			binary.LittleEndian.PutUint32(b[4:], d.toArena(id))
		}
		copy(rec[d.userIDWords:], rows[u*d.rowWords:(u+1)*d.rowWords])
	}
}

func (d *decider[W]) buildAssets(ix *Index, runs *candidateRuns) {
	ids := ix.assetIDs
	d.assetIDCap = inlineCap(ids, maxInlineID, 4)
	w := int(unsafe.Sizeof(W(0)))
	// Records are sized so that the median asset's candidates fit.
	sizes := make([]int, len(ids))
	for a := range ids {
		sizes[a] = int(runs.offs[a+1] - runs.offs[a])
	}
	slices.Sort(sizes)
	median := 4
	if len(sizes) > 0 {
		median = max(median, sizes[len(sizes)/2])
	}
	candOff := assetHeader + d.assetIDCap
	d.assetStride = max(recordAlignment, (candOff+w*median+recordAlignment-1)/recordAlignment*recordAlignment)
	room := (d.assetStride - candOff) / w // candidates that fit in a record
	var slots []uint32
	d.assets, slots = newPerfectHash(ids)
	d.assetSlot = slots
	n := int(d.assets.slots) * d.assetStride
	buf := make([]byte, n+recordAlignment)
	skip := int(-uintptr(unsafe.Pointer(unsafe.SliceData(buf)))) & (recordAlignment - 1)
	d.assetRecs = buf[skip : skip+n : skip+n]
	for s := range int(d.assets.slots) {
		binary.LittleEndian.PutUint32(d.assetRecs[s*d.assetStride:], assetEmptySlot)
	}
	for a, id := range ids {
		rec := d.assetRecs[int(slots[a])*d.assetStride : (int(slots[a])+1)*d.assetStride]
		if len(id) <= d.assetIDCap {
			binary.LittleEndian.PutUint32(rec[assetIDWord:], uint32(len(id)))
			copy(rec[assetHeader:], id)
		} else {
			binary.LittleEndian.PutUint32(rec[assetIDWord:], assetLongID)
			binary.LittleEndian.PutUint32(rec[assetHeader:], d.toArena(id))
		}
		for g, end := range runs.ends[a] {
			binary.LittleEndian.PutUint32(rec[assetHead+4*g:], end)
		}
		cands := runs.cands[runs.offs[a]:runs.offs[a+1]]
		k := min(len(cands), room)
		binary.LittleEndian.PutUint32(rec[assetInline:], uint32(k))
		binary.LittleEndian.PutUint32(rec[assetSpill:], uint32(len(d.spill)))
		in := unsafe.Slice((*W)(unsafe.Pointer(&rec[candOff])), k)
		for i, p := range cands[:k] {
			in[i] = W(p)
		}
		for _, p := range cands[k:] {
			d.spill = append(d.spill, W(p))
		}
	}
}

// inlineCap is how many bytes of id a record keeps: enough for the longest
// id up to limit, a multiple of unit, and at least 7 (with the length
// byte, room for an arena offset).
func inlineCap(ids []string, limit, unit int) int {
	longest := 7
	for _, id := range ids {
		longest = max(longest, min(len(id), limit))
	}
	return (longest + unit - 1) / unit * unit
}
