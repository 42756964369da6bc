package policy

import (
	"hash/maphash"
	"math/bits"
	"slices"
)

// perfectHash sends each of a fixed set of ids to its own slot, so a lookup
// is one hash, one read of a small pilot table and one read of the slot:
// no probing, and no chain of dependent cache misses. It follows PTHash
// (Pibiri and Trani, 2021): ids fall into buckets of about five; each
// bucket has a pilot, found at build time, that scatters its ids into free
// slots. An id outside the set also lands in some slot, so callers keep the
// id in the slot and compare.
type perfectHash struct {
	seed    maphash.Seed
	buckets uint64
	slots   uint64
	pilots  []uint16
}

const (
	idsPerBucket = 5
	slotLoad     = 95 // percent of slots used; the spare ones keep pilots small
)

func (h *perfectHash) hash(id string) uint64 { return maphash.String(h.seed, id) }

// slot is where the id with hash x lives, if it is in the set.
func (h *perfectHash) slot(x uint64) uint64 {
	b, _ := bits.Mul64(x, h.buckets)
	s, _ := bits.Mul64(scatter(x, h.pilots[b]), h.slots)
	return s
}

func scatter(x uint64, pilot uint16) uint64 {
	x ^= (uint64(pilot) + 1) * 0x9e3779b97f4a7c15
	x ^= x >> 32
	x *= 0xd6e8feb86659fd93
	x ^= x >> 32
	x *= 0xd6e8feb86659fd93
	return x ^ x>>32
}

// newPerfectHash builds the hash of ids, which must be distinct, and
// returns each id's slot.
func newPerfectHash(ids []string) (*perfectHash, []uint32) {
	for attempt := 0; ; attempt++ {
		// Each retry leaves more slots spare, so that even an unlucky set
		// of ids gets a table.
		if h, slots, ok := tryPerfectHash(ids, max(50, slotLoad-5*attempt)); ok {
			return h, slots
		}
	}
}

// tryPerfectHash fails, for a retry with another seed, only when two ids
// share a 64-bit hash or some bucket finds no pilot: both are vanishingly
// rare.
func tryPerfectHash(ids []string, load int) (*perfectHash, []uint32, bool) {
	n := uint64(len(ids))
	h := &perfectHash{seed: maphash.MakeSeed(), buckets: max(1, n/idsPerBucket), slots: max(1, n*100/uint64(load))}
	h.pilots = make([]uint16, h.buckets)
	xs := make([]uint64, n)
	start := make([]uint32, h.buckets+1) // bucket b's ids are members[start[b]:start[b+1]]
	for i, id := range ids {
		xs[i] = h.hash(id)
		b, _ := bits.Mul64(xs[i], h.buckets)
		start[b+1]++
	}
	for b := range h.buckets {
		start[b+1] += start[b]
	}
	members := make([]uint32, n)
	next := slices.Clone(start)
	for i, x := range xs {
		b, _ := bits.Mul64(x, h.buckets)
		members[next[b]] = uint32(i)
		next[b]++
	}
	order := make([]uint32, h.buckets)
	for b := range order {
		order[b] = uint32(b)
	}
	// The largest buckets first, while most slots are free.
	size := func(b uint32) int { return int(start[b+1] - start[b]) }
	slices.SortStableFunc(order, func(a, b uint32) int { return size(b) - size(a) })
	taken := make([]bool, h.slots)
	slotOf := make([]uint32, n)
	var try []uint64
	for _, b := range order {
		ms := members[start[b]:start[b+1]]
		if len(ms) == 0 {
			break
		}
		found := false
		for pilot := range 1 << 16 {
			try = try[:0]
			for _, i := range ms {
				s, _ := bits.Mul64(scatter(xs[i], uint16(pilot)), h.slots)
				if taken[s] || slices.Contains(try, s) {
					break
				}
				try = append(try, s)
			}
			if len(try) == len(ms) {
				h.pilots[b] = uint16(pilot)
				for k, i := range ms {
					taken[try[k]] = true
					slotOf[i] = uint32(try[k])
				}
				found = true
				break
			}
		}
		if !found {
			return nil, nil, false
		}
	}
	return h, slotOf, true
}

func (h *perfectHash) bytes() int { return 2 * len(h.pilots) }
