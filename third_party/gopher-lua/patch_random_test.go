package lua

import (
	"strings"
	"testing"
)

// PATCH(random) tests.

func draws(t *testing.T, L *LState, src string) string {
	t.Helper()
	if err := L.DoString(`__r = {} for i = 1, 5 do __r[i] = ` + src + ` end __r = table.concat(__r, ",")`); err != nil {
		t.Fatal(err)
	}
	return L.GetGlobal("__r").String()
}

func TestPatchRandomPerState(t *testing.T) {
	a, b := NewState(), NewState()
	defer a.Close()
	defer b.Close()
	first := draws(t, a, "math.random(1000000)")
	// b draws after a: with the shared process generator it saw a different
	// sequence (and so did a, if another goroutine drew in between).
	if got := draws(t, b, "math.random(1000000)"); got != first {
		t.Fatalf("two new states draw differently: %s vs %s", first, got)
	}
	if err := a.DoString(`math.randomseed(42)`); err != nil {
		t.Fatal(err)
	}
	s42 := draws(t, a, "math.random(1, 6)")
	b.SetRandomSeed(42)
	if got := draws(t, b, "math.random(1, 6)"); got != s42 {
		t.Fatalf("same seed, different draws: %s vs %s", s42, got)
	}
	if err := a.DoString(`for i = 1, 1000 do local x = math.random() assert(x >= 0 and x < 1) local y = math.random(3, 5) assert(y >= 3 and y <= 5 and y == math.floor(y)) end
		assert(math.random(7, 7) == 7)`); err != nil {
		t.Fatal(err)
	}
}

func TestPatchRandomEmptyInterval(t *testing.T) {
	L := NewState()
	defer L.Close()
	for _, src := range []string{`math.random(0)`, `math.random(5, 1)`, `math.random(-3)`} {
		err := L.DoString(src)
		if err == nil || !strings.Contains(err.Error(), "interval is empty") {
			t.Errorf("%s: want 'interval is empty', got %v", src, err)
		}
	}
}

func TestPatchRandomRollback(t *testing.T) {
	L := NewState()
	defer L.Close()
	if err := L.DoString(`math.randomseed(7); math.random()`); err != nil {
		t.Fatal(err)
	}
	if err := L.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	first := draws(t, L, "math.random(1000000)")
	for i := 0; i < 3; i++ {
		if err := L.Rollback(); err != nil {
			t.Fatal(err)
		}
		if got := draws(t, L, "math.random(1000000)"); got != first {
			t.Fatalf("after rollback %d: %s, want %s", i, got, first)
		}
	}
}
