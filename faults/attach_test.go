package faults_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"testing"

	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/faults"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAttachSeedsUnstableReads: the plan seed, not the device's own seed,
// decides what unstable bits read as once a plan is attached.
func TestAttachSeedsUnstableReads(t *testing.T) {
	reads := func(devSeed, planSeed uint64) [][]byte {
		d, err := emu.New(emu.Config{Kind: emu.NOR, Size: 64 << 10, EraseUnit: 4096, WriteBlock: 1, EraseValue: 0xff, Seed: devSeed})
		require.NoError(t, err)
		require.NoError(t, d.Program(0, make([]byte, 16)))
		require.NoError(t, d.SetUnstable(0, bytes.Repeat([]byte{0xff}, 16)))
		_, err = faults.Attach(d, faults.Plan{Seed: planSeed})
		require.NoError(t, err)
		var out [][]byte
		for i := 0; i < 4; i++ {
			b := make([]byte, 16)
			require.NoError(t, d.Read(0, b))
			out = append(out, b)
		}
		return out
	}
	assert.Equal(t, reads(1, 7), reads(2, 7), "same plan seed, different device seeds: same reads")
	assert.NotEqual(t, reads(1, 7), reads(1, 8), "the plan seed changes them")
}

func traceRecords(t *testing.T, b []byte) []emu.TraceRecord {
	t.Helper()
	var out []emu.TraceRecord
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var r emu.TraceRecord
		require.NoError(t, json.Unmarshal(sc.Bytes(), &r))
		out = append(out, r)
	}
	return out
}

// TestTraceSeesInjectorCuts: a Tracer installed before Attach (so ahead of
// the injector in the chain) records the operation a cut stops — not
// applied, -EIO — annotated with the injector's events; a fraction-1 cut
// (after the op completed) is recorded applied, with the power-loss result.
// A Tracer placed after the injector still records the cut op.
func TestTraceSeesInjectorCuts(t *testing.T) {
	tests := []struct {
		name    string
		cut     faults.Fault
		after   bool // tracer after the injector in the chain
		applied bool
		notes   []string
	}{
		{"torn", faults.CutAt(2, 0.5, faults.Scatter), false, false, []string{"torn_program", "cut during program"}},
		{"before", faults.CutAt(2, 0, ""), false, false, []string{"cut during program"}},
		{"completed unheard", faults.CutAt(2, 1, ""), false, true, []string{"caller never heard"}},
		{"tracer after the injector", faults.CutAt(2, 0.5, faults.Scatter), true, false, []string{"torn_program"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			d := newNOR(t, 0xff, 4, spiTiming())
			tr := emu.NewTracer(&buf)
			if !tc.after {
				d.SetHook(tr)
			}
			inj, err := faults.Attach(d, faults.Plan{Seed: 1, Faults: []faults.Fault{tc.cut}})
			require.NoError(t, err)
			if tc.after {
				d.SetHook(emu.Hooks{inj, tr})
			}
			require.NoError(t, d.Program(0, make([]byte, 256)))
			require.NoError(t, d.Read(0, make([]byte, 16)))
			require.ErrorIs(t, d.Program(256, make([]byte, 256)), faults.ErrPowerLoss)
			require.ErrorIs(t, d.Read(0, make([]byte, 4)), faults.ErrPowerLoss, "refused: never reaches the hooks")
			require.NoError(t, tr.Flush())
			recs := traceRecords(t, buf.Bytes())
			require.Len(t, recs, 3)
			assert.Empty(t, recs[0].Fault)
			assert.Empty(t, recs[1].Fault)
			cut := recs[2]
			assert.EqualValues(t, 2, cut.Seq)
			assert.Equal(t, "program", cut.Op)
			assert.Equal(t, -5, cut.Errno)
			assert.Equal(t, tc.applied, cut.Applied)
			for _, n := range tc.notes {
				assert.Contains(t, cut.Fault, n)
			}
			assert.Equal(t, len(inj.Events()), 1+len(inj.EventsOf(faults.EvTornProgram)))
		})
	}
}

func TestDisturbTracksReads(t *testing.T) {
	d := newNOR(t, 0xff, 1, spiTiming())
	require.NoError(t, d.Read(0, make([]byte, 4)))
	assert.Zero(t, d.ReadsSinceErase(0), "not tracked by default")
	inj, err := faults.Attach(d, faults.Plan{Seed: 1, Faults: []faults.Fault{faults.Retention(1e-9, 0)}})
	require.NoError(t, err)
	assert.False(t, d.TracksReads(), "retention needs program times only")
	require.NoError(t, inj.Add(faults.ReadDisturb(1e-9, 0)))
	assert.True(t, d.TracksReads())
	for i := 0; i < 3; i++ {
		require.NoError(t, d.Read(0, make([]byte, 4)))
	}
	assert.EqualValues(t, 3, d.ReadsSinceErase(0), "reads count from the moment disturb is armed")
	inj.Detach()
	assert.False(t, d.TracksReads(), "Detach restores the device's setting")
}
