package policy

import "math/bits"

// bitset is a dense set of small integers (user or asset positions in an
// Index). A nil or short bitset reads as zeros beyond its end, so the empty
// set needs no allocation.
type bitset []uint64

func newBitset(n int) bitset { return make(bitset, (n+63)/64) }

func (b bitset) set(i uint32) { b[i>>6] |= 1 << (i & 63) }

func (b bitset) has(i uint32) bool {
	w := i >> 6
	return int(w) < len(b) && b[w]&(1<<(i&63)) != 0
}

func (b bitset) clone() bitset { return append(bitset(nil), b...) }

// fill sets the first n bits (the universe).
func (b bitset) fill(n int) {
	for i := range b {
		b[i] = ^uint64(0)
	}
	if r := n % 64; r != 0 && len(b) > 0 {
		b[len(b)-1] = (1 << r) - 1
	}
}

func (b bitset) and(o bitset) {
	for i := range b {
		if i < len(o) {
			b[i] &= o[i]
		} else {
			b[i] = 0
		}
	}
}

func (b bitset) or(o bitset) {
	for i := range b {
		if i < len(o) {
			b[i] |= o[i]
		}
	}
}

func (b bitset) andNot(o bitset) {
	for i := range b {
		if i < len(o) {
			b[i] &^= o[i]
		}
	}
}

func (b bitset) count() int {
	n := 0
	for _, w := range b {
		n += bits.OnesCount64(w)
	}
	return n
}

// each calls f for every member in increasing order.
func (b bitset) each(f func(i uint32)) {
	for wi, w := range b {
		for w != 0 {
			t := bits.TrailingZeros64(w)
			f(uint32(wi*64 + t))
			w &= w - 1
		}
	}
}

// list returns the members in increasing order.
func (b bitset) list() []uint32 {
	out := make([]uint32, 0, b.count())
	b.each(func(i uint32) { out = append(out, i) })
	return out
}

// intersectSorted returns the values present in both sorted lists.
func intersectSorted(a, b []uint32) []uint32 {
	out := make([]uint32, 0, min(len(a), len(b)))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			out = append(out, a[i])
			i++
			j++
		}
	}
	return out
}

// subtractSorted returns the values of a not in b (both sorted); it reuses a.
func subtractSorted(a, b []uint32) []uint32 {
	out := a[:0]
	j := 0
	for _, v := range a {
		for j < len(b) && b[j] < v {
			j++
		}
		if j < len(b) && b[j] == v {
			continue
		}
		out = append(out, v)
	}
	return out
}
