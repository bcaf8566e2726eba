package faults_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/flashemu/flashemu/faults"
)

// FuzzParsePlan: bad input never panics, and whatever parses renders to a
// string that parses back to the same plan.
func FuzzParsePlan(f *testing.F) {
	for _, s := range []string{
		"seed=7;cut:after_ops=3,fraction=0.25,model=prefix;flip:off=4096,bit=3",
		"seed=1;cut:at_ns=1500000;wear:endurance=10000,spread=0.1,mode=erase_fail",
		"seed=0x10;fail:target=erase,nth=1,errno=ENOSPC,partial=0.5;disturb:rate=1e-4,scale=100",
		"seed=3;stuck:off=9,bit=7,value=1;retention:rate=0.5;cut:op=12,fraction=1,model=metastable,count_reads=1",
		`{"seed":1,"faults":[{"kind":"cut","after_ops":2}]}`,
		"", ";;", "seed=", "cut:op=-1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := faults.ParsePlan(s)
		if err != nil {
			return
		}
		q, err := faults.ParsePlan(p.String())
		if err != nil {
			t.Fatalf("%q rendered %q which does not parse: %v", s, p.String(), err)
		}
		if q.String() != p.String() {
			t.Fatalf("round trip: %q != %q", q.String(), p.String())
		}
	})
}

// FuzzParseBranchID: whatever parses renders canonically and parses back
// to the same value; canonical text (what the sweep prints) round-trips
// byte for byte.
func FuzzParseBranchID(f *testing.F) {
	for _, s := range []string{"log:12b:1", "a:b:41a/3u0v2:7", "x:t150000:0", "x:1u:1", ":::", "x:0a/0a/0a:18446744073709551615",
		"fcb_append:41a/3u0:1", "kv_pingpong:15u0v2/1b:1", "x:007b:1", "x:t+5:1", "x:1u2v0:1", "x:end:1", "x:end/0a:2", "x:endx:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := faults.ParseBranchID(s)
		if err != nil {
			if !errors.Is(err, faults.ErrBadID) {
				t.Fatalf("%q: error %v is not ErrBadID", s, err)
			}
			return
		}
		text := id.String()
		back, err := faults.ParseBranchID(text)
		if err != nil {
			t.Fatalf("%q renders as %q, which does not parse: %v", s, text, err)
		}
		if !reflect.DeepEqual(id, back) {
			t.Fatalf("%q: %+v renders as %q, which parses as %+v", s, id, text, back)
		}
		if back.String() != text {
			t.Fatalf("canonical %q renders as %q", text, back.String())
		}
		if len(id.Cuts) == 0 || id.Depth() != len(id.Cuts) || !strings.HasPrefix(s, id.Sweep+":") {
			t.Fatalf("%q: %+v", s, id)
		}
		for _, c := range id.Cuts {
			tok, err := faults.ParseCutToken(c.String())
			if err != nil || tok != c {
				t.Fatalf("token %+v renders as %q, parses as %+v, %v", c, c.String(), tok, err)
			}
		}
	})
}
