package faults_test

import (
	"encoding/json"
	"testing"

	"github.com/flashemu/flashemu/faults"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPlanStringRoundTrip(t *testing.T) {
	plans := []faults.Plan{
		{Seed: 0},
		{Seed: 7, Faults: []faults.Fault{faults.CutAfterOps(3)}},
		{Seed: 1<<64 - 1, Faults: []faults.Fault{
			faults.CutAfterOps(3).WithFraction(0.25).WithModel(faults.Prefix),
			faults.CutAtNs(123456789),
			faults.CutAt(42, 0.1+0.2, faults.Metastable),
			faults.Flip(4096, 3), faults.Stuck(0, 0, 1), faults.Stuck(9, 7, 0),
			faults.ReadDisturb(1e-4, 1000), faults.Retention(0.5, 0),
			faults.WearOut(100000, 0.1, faults.EraseFail), faults.WearOut(10, 0, faults.BadBlock),
			faults.FailNth(faults.TargetProgram, 3, -28).WithPartial(0.5), faults.FailRate(faults.TargetRead, 0.001, 0),
			{Kind: faults.KindCut, AfterOps: 2, CountReads: true},
		}},
	}
	for _, p := range plans {
		s := p.String()
		got, err := faults.ParsePlan(s)
		require.NoError(t, err, s)
		assert.Equal(t, p.String(), got.String())
		assert.Equal(t, len(p.Faults), len(got.Faults))
		for i := range p.Faults {
			assert.Equal(t, p.Faults[i], got.Faults[i], s)
		}

		js, err := json.Marshal(p)
		require.NoError(t, err)
		var back faults.Plan
		require.NoError(t, json.Unmarshal(js, &back))
		assert.Equal(t, s, back.String())
		viaJSON, err := faults.ParsePlan(string(js))
		require.NoError(t, err)
		assert.Equal(t, s, viaJSON.String())
	}
	assert.Equal(t, "seed=7;cut:after_ops=3,fraction=0.25,model=prefix;flip:off=4096,bit=3",
		faults.Plan{Seed: 7, Faults: []faults.Fault{faults.CutAfterOps(3).WithFraction(0.25).WithModel(faults.Prefix), faults.Flip(4096, 3)}}.String())
}

func TestParsePlanForgiving(t *testing.T) {
	p, err := faults.ParsePlan(" seed=0x10 ; cut: after_ops = 2 , model=scatter ; fail:target=erase,nth=1,errno=ENOSPC ")
	require.NoError(t, err)
	assert.Equal(t, uint64(16), p.Seed)
	assert.Equal(t, -28, p.Faults[1].Errno)
}

func TestPlanRejectsNonsense(t *testing.T) {
	bad := []string{
		"seed=x",
		"seed=1;explode",
		"seed=1;cut",                          // no trigger
		"seed=1;cut:after_ops=1,op=2",         // two triggers
		"seed=1;cut:after_ops=-1",             // negative
		"seed=1;cut:after_ops=1,fraction=1.5", // out of range
		"seed=1;cut:at_ns=5,fraction=0.5",     // at_ns computes it
		"seed=1;cut:after_ops=1,model=melt",
		"seed=1;cut:after_ops=1,bit=3", // key of another kind
		"seed=1;flip:off=1,bit=8",
		"seed=1;stuck:off=1,bit=1,value=2",
		"seed=1;disturb:rate=0",
		"seed=1;disturb:rate=2",
		"seed=1;wear:endurance=0,mode=erase_fail",
		"seed=1;wear:endurance=5,spread=1,mode=erase_fail",
		"seed=1;wear:endurance=5,mode=explode",
		"seed=1;fail:target=program",
		"seed=1;fail:target=program,nth=1,rate=0.5",
		"seed=1;fail:target=format,nth=1",
		"seed=1;fail:target=read,nth=1,partial=2",
		"seed=1;fail:target=read,nth=1,errno=EWHAT",
		"seed=1;cut:after_ops",
		`{"seed":1,"faults":[{"kind":"cut"}]}`,
		`{"seed":`,
	}
	for _, s := range bad {
		_, err := faults.ParsePlan(s)
		assert.ErrorIs(t, err, faults.ErrBadPlan, "%q", s)
	}
	d := newNOR(t, 0xff, 1, spiTiming())
	require.NoError(t, d.Program(0, []byte{1}))
	_, err := faults.Attach(d, faults.Plan{Faults: []faults.Fault{faults.CutAt(0, 0.5, "")}})
	assert.ErrorIs(t, err, faults.ErrBadPlan, "op already issued")
	_, err = faults.Attach(d, faults.Plan{Faults: []faults.Fault{faults.Flip(1<<20, 0)}})
	assert.ErrorIs(t, err, faults.ErrBadPlan, "outside the device")
	_, err = faults.Attach(nil, faults.Plan{})
	assert.ErrorIs(t, err, faults.ErrBadPlan)
}

// A plan printed by one run and parsed back reproduces the run exactly.
func TestPlanStringReproducesRun(t *testing.T) {
	run := func(p faults.Plan) ([]byte, string) {
		d := newNOR(t, 0xff, 4, mcuTiming(4))
		inj, err := faults.Attach(d, p)
		require.NoError(t, err)
		for i := 0; i < 6; i++ {
			if err := d.Program(int64(i)*512, randBytes(uint64(i), 512)); err != nil {
				break
			}
		}
		return dump(t, d), inj.Plan().String()
	}
	first, printed := run(faults.Plan{Seed: 99, Faults: []faults.Fault{faults.CutAfterOps(4)}})
	p, err := faults.ParsePlan(printed)
	require.NoError(t, err)
	again, _ := run(p)
	assert.Equal(t, first, again)
}
