package policy

import (
	"syscall"
	"unsafe"
)

// makeLarge allocates a slice that decisions read at random. Above a few
// megabytes it asks the kernel to back it with 2 MiB pages (when
// transparent huge pages are in "madvise" mode, the default on many
// distributions): random reads over hundreds of megabytes otherwise miss
// the TLB on almost every access, which under virtualisation costs as much
// as the cache miss itself. The advice is a hint; if the kernel declines,
// nothing changes but speed.
func makeLarge[T any](n int) []T {
	s := make([]T, n)
	const huge = 2 << 20
	size := uintptr(n) * unsafe.Sizeof(*new(T))
	if size < 4*huge {
		return s
	}
	start := uintptr(unsafe.Pointer(unsafe.SliceData(s)))
	lo := (start + huge - 1) &^ (huge - 1)
	hi := (start + size) &^ (huge - 1)
	if hi > lo {
		b := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), size)
		_ = syscall.Madvise(b[lo-start:hi-start], syscall.MADV_HUGEPAGE)
	}
	return s
}
