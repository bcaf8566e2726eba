//go:build !(linux && cgo && (amd64 || arm64))

package native

import (
	"fmt"

	"github.com/flashemu/flashemu/internal/fsroot"
)

// handle is unavailable in this build.
type handle struct{}

func openLib(fsys fsroot.FS, path string) (*handle, error) {
	return nil, fmt.Errorf("%w: cannot load %s", ErrUnsupported, path)
}

func (h *handle) sym(string) uintptr         { return 0 }
func (h *handle) restore()                   {}
func (h *handle) enter(fn, id uintptr) int64 { return 0 }
func (h *handle) close() error               { return nil }
func (h *handle) dataBytes() int             { return 0 }
