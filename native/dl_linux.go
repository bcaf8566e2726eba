//go:build linux && cgo && (amd64 || arm64)

package native

/*
#cgo LDFLAGS: -ldl
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef int64_t (*fe_host_fn)(uintptr_t, uintptr_t, int64_t, int64_t, void *, int64_t);
typedef int64_t (*fe_enter_fn)(fe_host_fn, uintptr_t, int (*)(void));
extern int64_t flashemuHost(uintptr_t, uintptr_t, int64_t, int64_t, void *, int64_t);

static int64_t fe_enter(void *enter, uintptr_t id, void *entry)
{
	return ((fe_enter_fn)enter)((fe_host_fn)flashemuHost, id, (int (*)(void))entry);
}

static int fe_abi(void *fn) { return ((int (*)(void))fn)(); }

#define FE_MAX_SEGS 8

struct fe_find {
	const char *name;
	int n;
	uintptr_t start[FE_MAX_SEGS], end[FE_MAX_SEGS];
	int found;
};

// fe_find_cb records the writable PT_LOAD ranges of the object loaded as
// f->name, minus the part the loader makes read-only after relocation
// (PT_GNU_RELRO, whose end the loader rounds down to a page).
static int fe_find_cb(struct dl_phdr_info *info, size_t size, void *data)
{
	struct fe_find *f = data;
	uintptr_t rs = 0, re = 0;
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);

	(void)size;
	if (info->dlpi_name == NULL || strcmp(info->dlpi_name, f->name) != 0) {
		return 0;
	}
	f->found = 1;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *p = &info->dlpi_phdr[i];
		if (p->p_type == PT_GNU_RELRO) {
			rs = info->dlpi_addr + p->p_vaddr;
			re = (rs + p->p_memsz) & ~(page - 1);
		}
	}
	for (int i = 0; i < info->dlpi_phnum && f->n < FE_MAX_SEGS; i++) {
		const ElfW(Phdr) *p = &info->dlpi_phdr[i];
		uintptr_t s, e;
		if (p->p_type != PT_LOAD || !(p->p_flags & PF_W)) {
			continue;
		}
		s = info->dlpi_addr + p->p_vaddr;
		e = s + p->p_memsz;
		if (re > rs && rs <= s && re > s) {
			s = re < e ? re : e;
		}
		if (e > s) {
			f->start[f->n] = s;
			f->end[f->n] = e;
			f->n++;
		}
	}
	return 1;
}

static int fe_segments(const char *name, struct fe_find *f)
{
	memset(f, 0, sizeof(*f));
	f->name = name;
	dl_iterate_phdr(fe_find_cb, f);
	return f->found;
}

static void fe_copy(uintptr_t dst, uintptr_t src, size_t n) { memcpy((void *)dst, (void *)src, n); }
*/
import "C"

import (
	"fmt"
	"io"
	"os"
	"unsafe"

	"github.com/flashemu/flashemu/internal/fsroot"
)

// handle is a dlopen'ed private copy of a library.
type handle struct {
	dl    unsafe.Pointer
	entry unsafe.Pointer // flashemu_rt_enter
	syms  map[string]unsafe.Pointer
	segs  []segment
}

// segment is a writable range of the library and its bytes right after
// loading.
type segment struct {
	addr uintptr
	snap []byte // Go memory; copied back with memcpy
}

func openLib(fsys fsroot.FS, path string) (*handle, error) {
	src, err := fsys.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrLoad, err)
	}
	defer src.Close()
	// A private copy: dlopen of a new path gives a new handle, with its own
	// globals, even when another state loaded the same library.
	tmp, err := os.CreateTemp("", "flashemu-native-*.so")
	if err != nil {
		return nil, fmt.Errorf("%w: copying %s: %w", ErrLoad, path, err)
	}
	defer os.Remove(tmp.Name()) // the mapping outlives the name
	_, err = io.Copy(tmp, src)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("%w: copying %s: %w", ErrLoad, path, err)
	}
	cname := C.CString(tmp.Name())
	defer C.free(unsafe.Pointer(cname))
	dl := C.dlopen(cname, C.RTLD_NOW|C.RTLD_LOCAL)
	if dl == nil {
		return nil, fmt.Errorf("%w: %s: %s", ErrLoad, path, C.GoString(C.dlerror()))
	}
	h := &handle{dl: dl, syms: map[string]unsafe.Pointer{}}
	abi := h.lookup("flashemu_rt_abi")
	h.entry = h.lookup("flashemu_rt_enter")
	if abi == nil || h.entry == nil {
		h.close()
		return nil, fmt.Errorf("%w: %s was not built with flashemu's runtime (cc $(flashemu cc-flags) ...): no flashemu_rt_enter", ErrLoad, path)
	}
	if v := int(C.fe_abi(abi)); v != abiVersion {
		h.close()
		return nil, fmt.Errorf("%w: %s was built with flashemu runtime ABI %d, this flashemu speaks %d: rebuild it with this flashemu's cc-flags", ErrLoad, path, v, abiVersion)
	}
	var f C.struct_fe_find
	if C.fe_segments(cname, &f) == 0 {
		h.close()
		return nil, fmt.Errorf("%w: %s: loaded, but its segments were not found", ErrLoad, path)
	}
	for i := 0; i < int(f.n); i++ {
		s, e := uintptr(f.start[i]), uintptr(f.end[i])
		seg := segment{addr: s, snap: make([]byte, e-s)}
		C.fe_copy(C.uintptr_t(uintptr(unsafe.Pointer(unsafe.SliceData(seg.snap)))), C.uintptr_t(s), C.size_t(e-s))
		h.segs = append(h.segs, seg)
	}
	return h, nil
}

func (h *handle) lookup(name string) unsafe.Pointer {
	if p, ok := h.syms[name]; ok {
		return p
	}
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	p := C.dlsym(h.dl, cs)
	h.syms[name] = p
	return p
}

func (h *handle) sym(name string) uintptr { return uintptr(h.lookup(name)) }

// restore copies the load-time bytes back over the writable segments.
func (h *handle) restore() {
	for _, s := range h.segs {
		C.fe_copy(C.uintptr_t(s.addr), C.uintptr_t(uintptr(unsafe.Pointer(unsafe.SliceData(s.snap)))), C.size_t(len(s.snap)))
	}
}

func (h *handle) enter(fn, id uintptr) int64 {
	return int64(C.fe_enter(h.entry, C.uintptr_t(id), *(*unsafe.Pointer)(unsafe.Pointer(&fn))))
}

func (h *handle) close() error {
	if C.dlclose(h.dl) != 0 {
		return fmt.Errorf("native: dlclose: %s", C.GoString(C.dlerror()))
	}
	return nil
}

// dataBytes is the size of the restored data segments (for tests and
// benchmarks).
func (h *handle) dataBytes() int {
	n := 0
	for _, s := range h.segs {
		n += len(s.snap)
	}
	return n
}
