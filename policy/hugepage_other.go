//go:build !linux

package policy

// makeLarge allocates a slice that decisions read at random.
func makeLarge[T any](n int) []T { return make([]T, n) }
