package native

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
)

//go:embed all:include all:runtime
var files embed.FS

// RuntimeFile is the runtime source's path inside the directory RuntimeDir
// returns.
const RuntimeFile = "runtime/flashemu_rt.c"

// contentHash names the cache directory after the embedded files, so that
// two flashemu versions never share (or overwrite) each other's headers.
func contentHash() (string, error) {
	var names []string
	err := fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, p)
		}
		return err
	})
	if err != nil {
		return "", err
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		b, err := files.ReadFile(n)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", n, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// RuntimeDir writes the embedded headers (include/) and runtime source
// (runtime/) under base/flashemu/<content hash>/ and returns that directory.
// base "" means os.UserCacheDir(). An existing complete directory is reused.
func RuntimeDir(base string) (string, error) {
	if base == "" {
		c, err := os.UserCacheDir()
		if err != nil {
			return "", fmt.Errorf("native: no cache directory for the C headers: %w", err)
		}
		base = c
	}
	sum, err := contentHash()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(base, "flashemu", sum)
	if _, err := os.Stat(filepath.Join(dir, ".complete")); err == nil {
		return dir, nil
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", fmt.Errorf("native: %w", err)
	}
	// Write a private temporary tree, then rename it into place: concurrent
	// writers never see (or leave) a half-written directory.
	tmp, err := os.MkdirTemp(filepath.Dir(dir), sum+".tmp")
	if err != nil {
		return "", fmt.Errorf("native: %w", err)
	}
	defer os.RemoveAll(tmp)
	err = fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		dst := filepath.Join(tmp, filepath.FromSlash(p))
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		b, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
	if err == nil {
		err = os.WriteFile(filepath.Join(tmp, ".complete"), nil, 0o644)
	}
	if err != nil {
		return "", fmt.Errorf("native: writing the C headers: %w", err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, serr := os.Stat(filepath.Join(dir, ".complete")); serr == nil {
			return dir, nil // another process won the race
		}
		return "", fmt.Errorf("native: %w", err)
	}
	return dir, nil
}

// CCFlags returns what `flashemu cc-flags` prints: the include flag for
// flashemu's C headers and the path of its runtime source, written to the
// user's cache directory (see RuntimeDir):
//
//	-I<dir>/include <dir>/runtime/flashemu_rt.c
//
// Use it as `cc $(flashemu cc-flags) -shared -fPIC -o libkv.so kv.c`.
func CCFlags() (string, error) {
	dir, err := RuntimeDir("")
	if err != nil {
		return "", err
	}
	return "-I" + filepath.Join(dir, "include") + " " + filepath.Join(dir, filepath.FromSlash(RuntimeFile)), nil
}

// Header returns an embedded header's text ("flashemu.h",
// "zephyr/kernel.h", ...).
func Header(name string) ([]byte, error) {
	return files.ReadFile(path.Join("include", name))
}
