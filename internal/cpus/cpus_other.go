//go:build !linux

package cpus

// Available returns ErrUnsupported.
func Available() ([]int, error) { return nil, ErrUnsupported }

// PinSelf returns ErrUnsupported.
func PinSelf([]int) error { return ErrUnsupported }

// PinTree returns ErrUnsupported.
func PinTree(int, []int) error { return ErrUnsupported }

// Of returns ErrUnsupported.
func Of(int) ([]int, error) { return nil, ErrUnsupported }
