package emu

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// cutter stops the nth operation with a power loss after landing half of a
// program, annotating the tracer.
type cutter struct {
	n   uint64
	tr  *Tracer
	hit bool
}

func (c *cutter) Before(d *Device, op *Op) error {
	if op.Seq != c.n {
		return nil
	}
	c.hit = true
	c.tr.Annotate("power cut at 50%")
	op.Dur /= 2
	return ErrPowerLoss
}

func (c *cutter) After(d *Device, op *Op, err error) error { return err }

func readTrace(t *testing.T, b []byte) []TraceRecord {
	var out []TraceRecord
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var r TraceRecord
		require.NoError(t, json.Unmarshal(sc.Bytes(), &r))
		out = append(out, r)
	}
	return out
}

func TestTraceReplay(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		session func(d *Device)
	}{
		{"nor", norCfg(func(c *Config) { c.Violations = ViolationsCount; c.Timing.ClockHz = 1e6; c.Timing.ProgramNs = 1000 }), func(d *Device) {
			_ = d.Program(0, pattern(4096, 1))
			_ = d.Program(4096, pattern(100, 2))
			_ = d.Program(1, []byte{1})    // misaligned: refused, not traced
			_ = d.Program(0, rep(0xff, 4)) // count mode: violation stored
			_ = d.Read(0, make([]byte, 10))
			_ = d.Erase(8192, 8192)
			_ = d.Program(8192, pattern(64, 3))
			_ = d.Program(12288, pattern(64, 4)) // cut by the cutter
			_ = d.Erase(0, 4096)
			_ = d.Program(0, rep(0x0f, 8))
		}},
		{"nand", nandCfg(), func(d *Device) {
			_ = d.ProgramPage(1, pattern(512, 1), []byte{0xff, 7})
			_ = d.Program(2*512, pattern(1024, 2))
			_ = d.Program(512, rep(0xff, 512)) // strict violation: not applied
			_ = d.WriteOOB(5, []byte{0xff, 1, 2})
			_, _ = d.ReadPage(1, make([]byte, 512), make([]byte, 4))
			_ = d.Erase(4096, 4096)
			_ = d.Program(4096, pattern(512, 3))
			_ = d.Program(4096+512, pattern(512, 4))
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			d := mustNew(t, tc.cfg)
			tr := NewTracer(&buf)
			cut := &cutter{n: 6, tr: tr}
			d.SetHook(Hooks{tr, cut})
			tc.session(d)
			require.NoError(t, tr.Flush())
			recs := readTrace(t, buf.Bytes())
			require.Len(t, recs, int(d.Seq()), "one record per operation")
			for i, r := range recs {
				assert.EqualValues(t, i, r.Seq)
				if i > 0 {
					assert.Equal(t, recs[i-1].StartNs+recs[i-1].DurNs, r.StartNs, "records tile the clock")
				}
			}
			last := recs[len(recs)-1]
			assert.Equal(t, d.Now(), last.StartNs+last.DurNs)
			assert.True(t, cut.hit)
			r6 := recs[6]
			assert.Equal(t, "power cut at 50%", r6.Fault)
			assert.False(t, r6.Applied)
			assert.Equal(t, -5, r6.Errno)
			assert.Contains(t, r6.Error, "power loss")
			assert.Empty(t, recs[5].Fault, "annotations belong to one record")

			// Replay onto a fresh device reproduces the array.
			e := mustNew(t, tc.cfg)
			require.NoError(t, Replay(e, bytes.NewReader(buf.Bytes())))
			assert.Equal(t, d.StateHash(), e.StateHash())
			assert.Equal(t, d.Dump(), e.Dump())
			assert.Equal(t, d.DumpOOB(), e.DumpOOB())
			assert.Equal(t, d.Wear(), e.Wear())
		})
	}
}

func TestTraceRecordFields(t *testing.T) {
	var buf bytes.Buffer
	d := mustNew(t, nandCfg())
	tr := NewTracer(&buf)
	d.SetHook(tr)
	require.NoError(t, d.ProgramPage(3, []byte(strings.Repeat("\x01", 512)), []byte{0xff, 0xab}))
	require.ErrorIs(t, d.Program(512, rep(0xff, 512)), ErrPageOrder)
	require.NoError(t, tr.Flush())
	recs := readTrace(t, buf.Bytes())
	require.Len(t, recs, 2)
	r := recs[0]
	assert.Equal(t, TraceRecord{Seq: 0, Op: "program", Off: 3 * 512, Len: 512, Page: 3, OOBLen: 2, StartNs: 0, DurNs: 0,
		Errno: 0, Applied: true, Data: strings.Repeat("01", 512), OOB: "ffab"}, r)
	assert.Equal(t, "program", recs[1].Op)
	assert.Equal(t, -1, recs[1].Page)
	assert.Equal(t, -5, recs[1].Errno)
	assert.False(t, recs[1].Applied)
	assert.Contains(t, recs[1].Error, "out of order")

	// Without data, replay refuses the program records.
	buf.Reset()
	d2 := mustNew(t, norCfg())
	tr2 := NewTracer(&buf)
	tr2.NoData = true
	d2.SetHook(tr2)
	require.NoError(t, d2.Program(0, []byte{1, 2, 3, 4}))
	require.NoError(t, tr2.Flush())
	assert.NotContains(t, buf.String(), `"data"`)
	assert.ErrorIs(t, Replay(mustNew(t, norCfg()), &buf), ErrCorruptTrace)
}

type failWriter struct{}

func (failWriter) Write(p []byte) (int, error) { return 0, errors.New("disk full") }

func TestTraceErrors(t *testing.T) {
	d := mustNew(t, norCfg())
	tr := NewTracer(failWriter{})
	d.SetHook(tr)
	for i := 0; i < 200; i++ { // overflow the buffer
		require.NoError(t, d.Program(int64(i)*64, make([]byte, 64)))
	}
	assert.Error(t, tr.Flush())
	assert.Error(t, tr.Err())

	bad := []string{
		"{not json}\n",
		`{"op":"zap","applied":true}` + "\n",
		`{"op":"program","off":0,"len":4,"data":"zz","applied":true}` + "\n",
		`{"op":"program","off":0,"len":8,"data":"00000000","applied":true}` + "\n",
		`{"op":"program","off":-4,"len":4,"data":"00000000","applied":true}` + "\n",
	}
	for _, s := range bad {
		err := Replay(mustNew(t, norCfg()), strings.NewReader(s))
		assert.ErrorIs(t, err, ErrCorruptTrace, s)
		assert.Contains(t, err.Error(), "line 1")
	}
	// Not applied and read records are skipped; a last line without newline is read.
	e := mustNew(t, norCfg())
	require.NoError(t, Replay(e, strings.NewReader(`{"op":"program","off":0,"len":4,"data":"00000000","applied":false}`+"\n"+
		`{"op":"read","off":0,"len":4,"applied":true}`+"\n"+`{"op":"program","off":4,"len":4,"data":"01020304","applied":true}`)))
	assert.Equal(t, []byte{0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4}, read(t, e, 0, 8))
}

// Issue 13 item 15: a huge trace line is refused once it passes the
// device's bound, not read whole.
func TestReplayLineBound(t *testing.T) {
	d := mustNew(t, norCfg())
	limit := MaxTraceLine(d)
	r := io.MultiReader(strings.NewReader(`{"op":"program","data":"`), &zeros{n: 4 * limit})
	err := Replay(d, r)
	require.ErrorIs(t, err, ErrCorruptTrace)
	assert.Contains(t, err.Error(), "longer than")
}

// zeros is an endless-looking reader of '0' characters.
type zeros struct{ n int64 }

func (z *zeros) Read(p []byte) (int, error) {
	if z.n <= 0 {
		return 0, io.EOF
	}
	n := min(int64(len(p)), z.n)
	for i := range p[:n] {
		p[i] = '0'
	}
	z.n -= n
	return int(n), nil
}
