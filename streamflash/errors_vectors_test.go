package streamflash_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/flashemu/flashemu/api"
	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/streamflash"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// errStep is one step of an sf_erase_errors case.
type errStep struct {
	Step            string  `json:"step"`
	Call            string  `json:"call"`
	BufLen          *int    `json:"buf_len"`
	Offset          *int64  `json:"offset"`
	Size            *int64  `json:"size"`
	RC              *errno  `json:"rc"`
	Available       *int64  `json:"available"`
	StreamOff       *int64  `json:"stream_off"`
	Len             *int    `json:"len"`
	Flush           *bool   `json:"flush"`
	Written         *int64  `json:"bytes_written_after"`
	Buffered        *int    `json:"buf_bytes_after"`
	Off             *int64  `json:"off"`
	ErasesIssued    *int    `json:"device_erases_issued"`
	LastErasedAfter *int64  `json:"last_erased_page_start_offset_after"`
	BytesWritten    *int64  `json:"bytes_written"`
	BufBytes        *int    `json:"buf_bytes"`
	Outcome         *string `json:"outcome"`
}

// errCase is one case of sf_erase_errors.json.
type errCase struct {
	Case         string        `json:"case"`
	Steps        []errStep     `json:"steps"`
	ChangedRange [2]int64      `json:"changed_range"`
	ImageFile    string        `json:"image_file"`
	ImageSHA     string        `json:"image_sha256"`
	FlashStats   vecStats      `json:"flash_stats"`
	Callbacks    []vecCallback `json:"callbacks"`
	FlashOps     []vecOp       `json:"flash_ops"`
}

func (c *errCase) UnmarshalJSON(b []byte) error {
	type plain errCase
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*c = errCase(p)
	return nil
}

func loadErrCases(t *testing.T) []errCase {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(vecDir, "sf_erase_errors.json"))
	require.NoError(t, err)
	var f struct {
		Cases []errCase `json:"cases"`
	}
	require.NoError(t, json.Unmarshal(b, &f))
	require.NotEmpty(t, f.Cases)
	return f.Cases
}

// fixedCases are the cases where Zephyr 3.4 loses data and flashemu
// deliberately differs; TestFix* cover them.
var fixedCases = map[string]bool{"offset100_buf4096": true, "buf_len0_write": true,
	"size_not_multiple_of_wbs_write": true, "erase_ignores_ctx_range": true}

// fixedSteps are the steps ("case/step") that Zephyr 3.4 accepts and
// flashemu refuses, as newer Zephyr does, with the error it returns instead.
// A refused init leaves the case's later steps without a stream: they are
// not run.
var fixedSteps = map[string]error{
	"init_param_checks/size_not_multiple_of_wbs":     streamflash.ErrFault,
	"size_not_multiple_of_wbs_write/init":            streamflash.ErrFault,
	"erase_ignores_ctx_range/erase_off0_outside_ctx": streamflash.ErrRange,
}

// eraseOnlyCases use stream_flash_erase_page, which Zephyr only has with
// CONFIG_STREAM_FLASH_ERASE.
var eraseOnlyCases = map[string]bool{"erase_page_calls": true, "erase_page_then_stream": true, "erase_ignores_ctx_range": true}

// errRun is what running one case produced.
type errRun struct {
	Callbacks []vecCallback
	FlashOps  []vecOp
	Image     []byte
}

// changedRange is the first and last byte that differ between a and b, or -1, -1.
func changedRange(a, b []byte) [2]int64 {
	r := [2]int64{-1, -1}
	for i := range a {
		if a[i] != b[i] {
			if r[0] < 0 {
				r[0] = int64(i)
			}
			r[1] = int64(i)
		}
	}
	return r
}

// runErrCase runs the steps of c on a fresh vector device in the given mode
// and checks every step's results as it goes.
func runErrCase(t *testing.T, c errCase, erase bool) errRun {
	d, rec := newVecDevice(t, erase)
	viol0 := d.Stats().Violations
	run := errRun{Callbacks: []vecCallback{}}
	calls := 0
	var cb streamflash.Callback = func(buf []byte, off int64) error {
		run.Callbacks = append(run.Callbacks, vecCallback{Off: off, Len: len(buf), SHA: sha(buf)})
		calls++
		if c.Case == "callback_error" && calls == 2 {
			return emu.Errno(77) // the harness's callback failure code, -77
		}
		return nil
	}
	if c.Case == "no_callback" {
		cb = nil
	}
	data := streamBytes(64 << 10)
	var s *streamflash.Stream
	refused := false
	for _, st := range c.Steps {
		if refused {
			t.Logf("%s: not run (flashemu refuses the init)", st.Step)
			continue
		}
		switch {
		case st.Call == "stream_flash_init":
			var err error
			var got *streamflash.Stream
			switch st.Step {
			case "null_ctx":
				t.Logf("%s: a nil context cannot be passed to New (it returns the context)", st.Step)
				continue
			case "null_dev":
				got, err = streamflash.New(nil, make([]byte, 256), 0, 0, cb, streamflash.Options{Erase: erase})
			case "null_buf":
				got, err = streamflash.New(rec, nil, 0, 0, cb, streamflash.Options{Erase: erase})
			default:
				got, err = streamflash.New(rec, make([]byte, *st.BufLen), *st.Offset, *st.Size, cb, streamflash.Options{Erase: erase})
			}
			if st.Step == "buf_len_0" || (c.Case == "buf_len0_write" && st.Step == "init") {
				// Fix: Zephyr accepts it (and then hangs); flashemu rejects it.
				assert.ErrorIs(t, err, streamflash.ErrZeroBuffer, st.Step)
				continue
			}
			if want, ok := fixedSteps[c.Case+"/"+st.Step]; ok {
				assert.ErrorIs(t, err, want, st.Step)
				assert.Nil(t, got, st.Step)
				refused = st.Step == "init"
				continue
			}
			require.NotNil(t, st.RC, st.Step)
			assert.Equal(t, int(*st.RC), api.ErrnoOf(err), st.Step)
			if err == nil {
				s = got
				if st.Available != nil {
					assert.Equal(t, *st.Available, s.Available(), st.Step)
				}
			} else {
				assert.Nil(t, got, st.Step)
			}
		case st.Call == "stream_flash_buffered_write":
			if st.Outcome != nil {
				t.Logf("%s: %s (not run: flashemu rejects the init)", st.Step, *st.Outcome)
				continue
			}
			if st.Step == "null_ctx_write" {
				var nilStream *streamflash.Stream
				assert.Equal(t, int(*st.RC), api.ErrnoOf(nilStream.Write(data[:4], true)), st.Step)
				continue
			}
			require.NotNil(t, s, "%s: no stream", st.Step)
			off := *st.StreamOff
			err := s.Write(data[off:off+int64(*st.Len)], *st.Flush)
			assert.Equal(t, int(*st.RC), api.ErrnoOf(err), st.Step)
			assert.Equal(t, *st.Written, s.BytesWritten(), "%s: bytes_written", st.Step)
			assert.Equal(t, *st.Buffered, s.BytesBuffered(), "%s: buffered", st.Step)
		case st.Call == "stream_flash_erase_page":
			require.NotNil(t, s, "%s: no stream", st.Step)
			mark, before := len(rec.ops), s.LastErasedPage()
			err := s.ErasePage(*st.Off)
			if want, ok := fixedSteps[c.Case+"/"+st.Step]; ok {
				assert.ErrorIs(t, err, want, st.Step)
				assert.Zero(t, rec.erasesSince(mark), "%s: erases issued", st.Step)
				assert.Equal(t, before, s.LastErasedPage(), "%s: last erased page", st.Step)
				continue
			}
			assert.Equal(t, int(*st.RC), api.ErrnoOf(err), st.Step)
			assert.Equal(t, *st.ErasesIssued, rec.erasesSince(mark), "%s: erases issued", st.Step)
			assert.Equal(t, *st.LastErasedAfter, s.LastErasedPage(), "%s: last erased page", st.Step)
		case st.Step == "after_20003_with_final_flush":
			require.NotNil(t, s)
			const n, chunk = 20003, 7
			for off := 0; off < n; off += chunk {
				k := min(chunk, n-off)
				require.NoError(t, s.Write(data[off:off+k], off+k == n))
			}
			assert.Equal(t, *st.BytesWritten, s.BytesWritten(), st.Step)
			assert.Equal(t, *st.BufBytes, s.BytesBuffered(), st.Step)
		default:
			t.Fatalf("unknown step %+v", st)
		}
	}
	run.FlashOps = toVecOps(rec.ops)
	run.Image = make([]byte, vecDevSize)
	require.NoError(t, d.Read(0, run.Image))
	assert.Equal(t, uint64(statsOf(run.FlashOps, false).NorViolationBytes), d.Stats().Violations-viol0)
	return run
}

// initialImage is the vector device's content before a case runs.
func initialImage(erase bool) []byte {
	img := make([]byte, vecDevSize)
	if !erase {
		for i := range img {
			img[i] = 0xff
		}
	}
	return img
}

// TestErrorVectors reproduces every case of sf_erase_errors.json in erase
// mode: each step's code, bytes written and buffered, the device
// operations, callbacks, counters, changed range and image (hash and file).
func TestErrorVectors(t *testing.T) {
	for _, c := range loadErrCases(t) {
		t.Run(c.Case, func(t *testing.T) {
			run := runErrCase(t, c, true)
			if fixedCases[c.Case] {
				return // steps checked above; outcome covered by TestFix*
			}
			assert.Equal(t, c.FlashOps, run.FlashOps)
			assert.Equal(t, c.Callbacks, run.Callbacks)
			assert.Equal(t, c.FlashStats, statsOf(run.FlashOps, false))
			assert.Equal(t, c.ChangedRange, changedRange(initialImage(true), run.Image))
			assert.Equal(t, c.ImageSHA, sha(run.Image))
			if c.ImageFile != "" {
				want, err := os.ReadFile(filepath.Join(vecDir, c.ImageFile))
				require.NoError(t, err)
				assert.Equal(t, want, run.Image)
			}
		})
	}
}

// TestErrorVectorsNoErase runs the same cases without erase on demand on a
// pre-erased device (the sf_noerase equivalents). The steps, codes and
// callbacks are those of erase mode; the device operations are erase mode's
// writes without the erases; the image is the erased device holding exactly
// what erase mode wrote (erase mode's verified image over its writes).
func TestErrorVectorsNoErase(t *testing.T) {
	for _, c := range loadErrCases(t) {
		if eraseOnlyCases[c.Case] || fixedCases[c.Case] {
			continue
		}
		t.Run(c.Case, func(t *testing.T) {
			ref := runErrCase(t, c, true)
			require.Equal(t, c.ImageSHA, sha(ref.Image), "erase-mode reference run must match the vector")
			run := runErrCase(t, c, false)

			wantOps := []vecOp{}
			wantImg := initialImage(false)
			for _, o := range c.FlashOps {
				if o.Op == "W" {
					wantOps = append(wantOps, o)
					if o.RC == 0 {
						copy(wantImg[o.Off:o.Off+o.Len], ref.Image[o.Off:o.Off+o.Len])
					}
				}
			}
			wantStats := c.FlashStats
			wantStats.Erases = 0
			assert.Equal(t, wantOps, run.FlashOps)
			assert.Equal(t, c.Callbacks, run.Callbacks)
			assert.Equal(t, wantStats, statsOf(run.FlashOps, false))
			assert.Equal(t, wantImg, run.Image)
			assert.Equal(t, changedRange(initialImage(false), wantImg), changedRange(initialImage(false), run.Image))
		})
	}
}
