package streamflash_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/errno"
	"github.com/flashemu/flashemu/streamflash"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The vector family stream_flash/sf_<mode>_buf<N>_chunk<M> (vectors/README.md):
// a 64 KiB device with 4 KiB pages, write block 4, erase value 0xff; a
// 20000-byte stream of byte i = (i*31+7) mod 256 fed in chunks of M bytes,
// flush only on the last call; init at offset 0, size 0, with a callback.
// In erase mode the device starts fully programmed to 0x00.

const (
	vecDevSize   = 64 << 10
	vecPage      = 4096
	vecWBS       = 4
	vecStreamLen = 20000
	vecDir       = "testdata/vectors"
)

var (
	vecBufLens = []int{4, 256, 4096}
	vecChunks  = []int{1, 7, 100, 4096, 20000}
)

// rcErrno is a return code as the vectors write it ("0", "-ENOSPC", "-77").
type rcErrno int

func (e *rcErrno) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	if n, err := strconv.Atoi(s); err == nil {
		*e = rcErrno(n)
		return nil
	}
	en, ok := errno.ByName(strings.TrimPrefix(s, "-"))
	if !ok {
		return fmt.Errorf("unknown errno %q", s)
	}
	*e = rcErrno(-int(en))
	return nil
}

// unmarshalRow decodes a JSON array into the given pointers, in order.
func unmarshalRow(b []byte, fields ...any) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	if len(raw) != len(fields) {
		return fmt.Errorf("row %s: %d fields, want %d", b, len(raw), len(fields))
	}
	for i, f := range fields {
		if err := json.Unmarshal(raw[i], f); err != nil {
			return err
		}
	}
	return nil
}

// vecCallback is one callback invocation: offset, length, sha256 of the buffer.
type vecCallback struct {
	Off int64
	Len int
	SHA string
}

func (c *vecCallback) UnmarshalJSON(b []byte) error { return unmarshalRow(b, &c.Off, &c.Len, &c.SHA) }

// vecOp is one device operation: op ("E"/"W"), offset, length, code, violation bytes.
type vecOp struct {
	Op   string
	Off  int64
	Len  int64
	RC   rcErrno
	Viol int
}

func (o *vecOp) UnmarshalJSON(b []byte) error {
	return unmarshalRow(b, &o.Op, &o.Off, &o.Len, &o.RC, &o.Viol)
}

// vecCall is one stream_flash_buffered_write call.
type vecCall struct {
	StreamOff int64
	Len       int
	Flush     bool
	RC        rcErrno
	Written   int64 // stream_flash_bytes_written after the call
	Buffered  int   // buffered bytes after the call
}

func (c *vecCall) UnmarshalJSON(b []byte) error {
	var flush int
	if err := unmarshalRow(b, &c.StreamOff, &c.Len, &flush, &c.RC, &c.Written, &c.Buffered); err != nil {
		return err
	}
	c.Flush = flush != 0
	return nil
}

type vecCtx struct {
	BufLen       int    `json:"buf_len"`
	BufBytes     int    `json:"buf_bytes"`
	BytesWritten int64  `json:"bytes_written"`
	Offset       int64  `json:"offset"`
	Available    int64  `json:"available"`
	LastErased   *int64 `json:"last_erased_page_start_offset,omitempty"`
}

type vecStats struct {
	Writes             int   `json:"writes"`
	Erases             int   `json:"erases"`
	BytesWritten       int64 `json:"bytes_written"`
	NorViolationWrites int   `json:"nor_violation_writes"`
	NorViolationBytes  int   `json:"nor_violation_bytes"`
	EinvalWrites       int   `json:"einval_writes"`
	EinvalErases       *int  `json:"einval_erases,omitempty"`
}

// statsOf derives the vectors' flash_stats from recorded operations.
func statsOf(ops []vecOp, withEinvalErases bool) vecStats {
	var s vecStats
	ee := 0
	for _, o := range ops {
		switch {
		case o.Op == "W" && o.RC == 0:
			s.Writes++
			s.BytesWritten += o.Len
			if o.Viol > 0 {
				s.NorViolationWrites++
				s.NorViolationBytes += o.Viol
			}
		case o.Op == "W" && o.RC == -22:
			s.EinvalWrites++
		case o.Op == "E" && o.RC == 0:
			s.Erases++
		case o.Op == "E" && o.RC == -22:
			ee++
		}
	}
	if withEinvalErases {
		s.EinvalErases = &ee
	}
	return s
}

// streamVector is the comparable content of one sf_<mode>_buf<N>_chunk<M> file.
type streamVector struct {
	InitRC     rcErrno       `json:"init_rc"`
	ImageSHA   string        `json:"image_sha256"`
	CtxFinal   vecCtx        `json:"ctx_final"`
	FlashStats vecStats      `json:"flash_stats"`
	Callbacks  []vecCallback `json:"callbacks"`
	FlashOps   []vecOp       `json:"flash_ops"`
	Calls      []vecCall     `json:"calls"`
}

type streamVectorFile struct {
	streamVector
	Config struct {
		Erase bool `json:"CONFIG_STREAM_FLASH_ERASE"`
	} `json:"config"`
	Stream struct {
		TotalLen  int `json:"total_len"`
		ChunkSize int `json:"chunk_size"`
	} `json:"stream"`
	InitArgs struct {
		BufLen   int   `json:"buf_len"`
		Offset   int64 `json:"offset"`
		Size     int64 `json:"size"`
		Callback bool  `json:"callback"`
	} `json:"init_args"`
	ImageFile string `json:"image_file"`
}

func modeName(erase bool) string {
	if erase {
		return "erase"
	}
	return "noerase"
}

func vecName(erase bool, bufLen, chunk int) string {
	return fmt.Sprintf("sf_%s_buf%d_chunk%d", modeName(erase), bufLen, chunk)
}

// loadStreamVector reads a stored vector; ok is false when this member of
// the family is not among the stored files.
func loadStreamVector(t *testing.T, name string) (v streamVectorFile, img []byte, ok bool) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(vecDir, name+".json"))
	if os.IsNotExist(err) {
		return v, nil, false
	}
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &v))
	if v.ImageFile != "" {
		img, err = os.ReadFile(filepath.Join(vecDir, v.ImageFile))
		require.NoError(t, err)
	}
	return v, img, true
}

// vecImage is the documented final image of every member of a mode: the
// stream in bytes 0..19999; in erase mode the rest of page 4 erased (0xff)
// and every other page still 0x00; in noerase mode everything else 0xff.
func vecImage(erase bool) []byte {
	img := make([]byte, vecDevSize)
	fill := byte(0xff)
	if erase {
		fill = 0
	}
	for i := range img {
		img[i] = fill
	}
	copy(img, streamBytes(vecStreamLen))
	if erase {
		end := (vecStreamLen + vecPage - 1) / vecPage * vecPage
		for i := vecStreamLen; i < end; i++ {
			img[i] = 0xff
		}
	}
	return img
}

// genStreamVector produces the expected vector from the documented rules,
// for the members of the family that are not stored.
func genStreamVector(erase bool, bufLen, chunk int) streamVector {
	data := streamBytes(vecStreamLen)
	var v streamVector
	for off := 0; off < vecStreamLen; off += chunk {
		n := min(chunk, vecStreamLen-off)
		end := off + n
		flush := end == vecStreamLen
		written := end / bufLen * bufLen
		if flush {
			written = end
		}
		v.Calls = append(v.Calls, vecCall{StreamOff: int64(off), Len: n, Flush: flush, Written: int64(written), Buffered: end - written})
	}
	lastErased := int64(-1)
	for p := 0; p < vecStreamLen; p += bufLen {
		n := min(bufLen, vecStreamLen-p)
		if erase {
			if page := int64((p + n - 1) / vecPage * vecPage); page != lastErased {
				v.FlashOps = append(v.FlashOps, vecOp{Op: "E", Off: page, Len: vecPage})
				lastErased = page
			}
		}
		padded := (n + vecWBS - 1) / vecWBS * vecWBS
		v.FlashOps = append(v.FlashOps, vecOp{Op: "W", Off: int64(p), Len: int64(padded)})
		v.Callbacks = append(v.Callbacks, vecCallback{Off: int64(p), Len: n, SHA: sha(data[p : p+n])})
	}
	v.CtxFinal = vecCtx{BufLen: bufLen, BytesWritten: vecStreamLen, Available: vecDevSize}
	if erase {
		v.CtxFinal.LastErased = &lastErased
	}
	v.FlashStats = statsOf(v.FlashOps, true)
	v.ImageSHA = sha(vecImage(erase))
	return v
}

// newVecDevice is the vectors' device in the given mode, wrapped in a recorder.
func newVecDevice(t *testing.T, erase bool) (*emu.Device, *recorder) {
	d := newNOR(t, vecDevSize, vecPage, vecWBS, 0xff)
	if erase {
		fillDevice(t, d, 0x00)
	}
	return d, &recorder{Device: wrap(d)}
}

// toVecOps converts recorded operations to vector rows.
func toVecOps(ops []flashOp) []vecOp {
	out := make([]vecOp, len(ops))
	for i, o := range ops {
		out[i] = vecOp{Op: o.Op, Off: o.Off, Len: o.Len, RC: rcErrno(o.RC), Viol: o.Violations}
	}
	return out
}

// runStreamVector runs one member of the family on the implementation.
func runStreamVector(t *testing.T, erase bool, bufLen, chunk int) (streamVector, []byte) {
	d, rec := newVecDevice(t, erase)
	viol0 := d.Stats().Violations
	var got streamVector
	cb := func(buf []byte, off int64) error {
		got.Callbacks = append(got.Callbacks, vecCallback{Off: off, Len: len(buf), SHA: sha(buf)})
		return nil
	}
	s, err := streamflash.New(rec, make([]byte, bufLen), 0, 0, cb, streamflash.Options{Erase: erase})
	got.InitRC = rcErrno(errno.Of(err))
	require.NoError(t, err)
	data := streamBytes(vecStreamLen)
	for off := 0; off < vecStreamLen; off += chunk {
		n := min(chunk, vecStreamLen-off)
		flush := off+n == vecStreamLen
		err := s.Write(data[off:off+n], flush)
		got.Calls = append(got.Calls, vecCall{StreamOff: int64(off), Len: n, Flush: flush,
			RC: rcErrno(errno.Of(err)), Written: s.BytesWritten(), Buffered: s.BytesBuffered()})
	}
	got.FlashOps = toVecOps(rec.ops)
	got.FlashStats = statsOf(got.FlashOps, true)
	got.CtxFinal = vecCtx{BufLen: s.BufLen(), BufBytes: s.BytesBuffered(), BytesWritten: s.BytesWritten(),
		Offset: s.Offset(), Available: s.Available()}
	if erase {
		le := s.LastErasedPage()
		got.CtxFinal.LastErased = &le
	}
	img := make([]byte, vecDevSize)
	require.NoError(t, d.Read(0, img))
	got.ImageSHA = sha(img)
	// The device's own violation counter agrees with the recorder.
	assert.Equal(t, uint64(got.FlashStats.NorViolationBytes), d.Stats().Violations-viol0)
	return got, img
}

// TestVectorGeneratorMatchesStoredVectors checks the rule-based generator
// against every stored member of the family, field by field, so that the
// generated expectations of the missing members are trustworthy.
func TestVectorGeneratorMatchesStoredVectors(t *testing.T) {
	found := 0
	for _, erase := range []bool{true, false} {
		for _, bl := range vecBufLens {
			for _, ch := range vecChunks {
				name := vecName(erase, bl, ch)
				file, img, ok := loadStreamVector(t, name)
				if !ok {
					continue
				}
				found++
				t.Run(name, func(t *testing.T) {
					assert.Equal(t, erase, file.Config.Erase)
					assert.Equal(t, bl, file.InitArgs.BufLen)
					assert.Equal(t, ch, file.Stream.ChunkSize)
					assert.Equal(t, vecStreamLen, file.Stream.TotalLen)
					assert.Equal(t, genStreamVector(erase, bl, ch), file.streamVector)
					if img != nil {
						assert.Equal(t, vecImage(erase), img, "stored image differs from the documented rule")
					}
				})
			}
		}
	}
	require.NotZero(t, found, "no stored stream vectors found in %s", vecDir)
}

// TestStreamVectors reproduces every member of the family (30 cases): the
// image, every device operation with its code and violation count, every
// callback, bytes written and buffered after every call, every return code.
func TestStreamVectors(t *testing.T) {
	for _, erase := range []bool{true, false} {
		for _, bl := range vecBufLens {
			for _, ch := range vecChunks {
				name := vecName(erase, bl, ch)
				t.Run(name, func(t *testing.T) {
					want := genStreamVector(erase, bl, ch)
					if file, _, ok := loadStreamVector(t, name); ok {
						want = file.streamVector
					}
					got, img := runStreamVector(t, erase, bl, ch)
					assert.Equal(t, want.InitRC, got.InitRC)
					assert.Equal(t, want.Calls, got.Calls)
					assert.Equal(t, want.FlashOps, got.FlashOps)
					assert.Equal(t, want.Callbacks, got.Callbacks)
					assert.Equal(t, want.CtxFinal, got.CtxFinal)
					assert.Equal(t, want.FlashStats, got.FlashStats)
					assert.Equal(t, want.ImageSHA, got.ImageSHA)
					assert.Equal(t, vecImage(erase), img)
				})
			}
		}
	}
}
