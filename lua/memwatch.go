package lua

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/flashemu/flashemu/internal/heap"
	glua "github.com/yuin/gopher-lua"
)

// The memory ceiling. gopher-lua's own limit (LState.SetMx) calls
// os.Exit, so flashemu watches the Go heap instead: one shared goroutine
// samples it while any state runs with a limit, and cancels the runs whose
// ceiling the heap passed (after a GC to discount garbage). The script then
// stops at its next instruction with ErrMemoryLimit; the host carries on.

// memPoll is how often the heap is sampled.
const memPoll = 5 * time.Millisecond

type memEntry struct {
	limit  uint64
	cancel context.CancelCauseFunc
}

var memw struct {
	mu      sync.Mutex
	entries map[*memEntry]struct{}
	running bool
}

// watchMemory registers a run with a heap ceiling; limit 0 means none.
// The returned function unregisters it.
func watchMemory(limit int64, cancel context.CancelCauseFunc) func() {
	if limit <= 0 {
		return func() {}
	}
	e := &memEntry{limit: uint64(limit), cancel: cancel}
	memw.mu.Lock()
	if memw.entries == nil {
		memw.entries = map[*memEntry]struct{}{}
	}
	memw.entries[e] = struct{}{}
	if !memw.running {
		memw.running = true
		go memLoop()
	}
	memw.mu.Unlock()
	return func() {
		memw.mu.Lock()
		delete(memw.entries, e)
		memw.mu.Unlock()
	}
}

// checkAlloc is the allocation check of a run with a heap ceiling (gopher-lua
// asks it before builtins make a large string or coroutine: string.rep,
// concatenation, table.concat, gsub, string.format): an allocation that would
// take the heap past the limit is refused before it is made, and the run
// stops with ErrMemoryLimit at the script's line, uncatchable by pcall.
func checkAlloc(limit uint64, n int64, cancel context.CancelCauseFunc) error {
	h, over := heap.Over(limit, uint64(n))
	if !over {
		return nil
	}
	err := fmt.Errorf("%w (heap %d MiB + %d MiB requested > %d MiB)", ErrMemoryLimit, h>>20, uint64(n)>>20, limit>>20)
	cancel(err)
	return &glua.FatalError{Err: err}
}

func memLoop() {
	t := time.NewTicker(memPoll)
	defer t.Stop()
	for range t.C {
		memw.mu.Lock()
		if len(memw.entries) == 0 {
			memw.running = false
			memw.mu.Unlock()
			return
		}
		min := ^uint64(0)
		for e := range memw.entries {
			if e.limit < min {
				min = e.limit
			}
		}
		memw.mu.Unlock()

		h, over := heap.Over(min, 0)
		if !over {
			continue
		}
		memw.mu.Lock()
		for e := range memw.entries {
			if h > e.limit {
				e.cancel(fmt.Errorf("%w (heap %d MiB > %d MiB)", ErrMemoryLimit, h>>20, e.limit>>20))
				delete(memw.entries, e)
			}
		}
		memw.mu.Unlock()
	}
}
