package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/flashemu/flashemu/api"
	"github.com/flashemu/flashemu/emu"
)

// Reading images and traces from the command line, bounded: a device
// file (/dev/zero) or a runaway file must end in a clear error, never in
// a process that grows until the machine swaps.

// maxImageFile is the largest image file the CLI reads (raw bytes, or an
// Intel HEX text): 256 MiB, twice the largest chip preset (128 MiB NAND).
const maxImageFile = 256 << 20

// maxTraceLine is the longest trace line image replay accepts: 16 MiB,
// a record with 8 MiB of data in hex.
const maxTraceLine = 16 << 20

// imageFormat is how an image file is read: "raw", or "hex" (Intel HEX).
// By default a file is raw unless its name ends in .hex, .ihex or .ihx —
// never guessed from the content, since a raw image may start with ':'
// and hex digits.
func (c *invocation) imageFormat(path string) (string, error) {
	switch f := c.p.str("format", ""); f {
	case "":
		if emu.IsHexName(path) {
			return "hex", nil
		}
		return "raw", nil
	case "raw", "hex":
		return f, nil
	default:
		return "", usagef("--format: %q: want raw or hex", f)
	}
}

// readImageFile reads an image as format, at most limit bytes of file
// (0: maxImageFile). For HEX it returns the flattened image (gaps filled
// with fill) and its base address.
func readImageFile(path, format string, fill byte, limit int64) (data []byte, base uint32, err error) {
	if limit <= 0 || limit > maxImageFile {
		limit = maxImageFile
	}
	if format == "hex" {
		// HEX text takes ~2.8 bytes per data byte.
		limit = min(3*limit, maxImageFile)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, unwrapPath(err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() > limit {
		return nil, 0, fmt.Errorf("%s: %s, larger than %s, the most this command reads here (the geometry, or flashemu's %s limit): not a flash image", path, api.FormatSize(st.Size()), api.FormatSize(limit), api.FormatSize(maxImageFile))
	}
	data, err = io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %v", path, unwrapPath(err))
	}
	if int64(len(data)) > limit {
		return nil, 0, fmt.Errorf("%s: larger than %s, the most this command reads here (the geometry, or flashemu's %s limit): not a flash image", path, api.FormatSize(limit), api.FormatSize(maxImageFile))
	}
	if format == "hex" {
		img, err := emu.ParseHex(bytes.NewReader(data))
		if err != nil {
			return nil, 0, fmt.Errorf("%s: %w (a raw image? give --format raw)", path, err)
		}
		return img.Flatten(fill), img.Base(), nil
	}
	return data, 0, nil
}

// errLongLine ends a trace with a line longer than maxTraceLine.
var errLongLine = errors.New("line longer than 16 MiB: not an emu trace")

// lineLimitReader fails once a line grows past max bytes.
// Its err is set then: the trace reader may report the cut line as
// malformed JSON instead, so callers report err when it is set.
type lineLimitReader struct {
	r    io.Reader
	max  int
	cur  int
	line int
	err  error
}

func (l *lineLimitReader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for i := 0; i < n; i++ {
		if p[i] == '\n' {
			l.cur = 0
			l.line++
			continue
		}
		l.cur++
		if l.cur > l.max {
			l.err = fmt.Errorf("line %d: %w", l.line+1, errLongLine)
			return i, l.err
		}
	}
	return n, err
}
