package faults_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/faults"
)

// A check that hangs on one branch fails that branch, by ID, with "check
// timed out after D"; the other branches keep their verdicts and the sweep
// is not aborted (issue 12 item 5). Both a context-aware check and a plain
// CheckFunc that never looks at a context are bounded.
// The timeout is generous: it also bounds the workload replay, which a loaded
// CI machine must finish inside it (at 30 ms it failed under load).
func TestSweepCheckTimeoutFailsTheBranch(t *testing.T) {
	for _, aware := range []bool{true, false} {
		t.Run(map[bool]string{true: "context", false: "plain"}[aware], func(t *testing.T) {
			s := logSweep("hang", 3, false)
			hangs := func(acked []any) bool { return len(acked) == 2 }
			if aware {
				s.Check = nil
				s.CheckContext = func(ctx context.Context, d *emu.Device, acked []any) error {
					if hangs(acked) {
						<-ctx.Done()
						return ctx.Err()
					}
					return checkAcked(d, acked)
				}
			} else {
				release := make(chan struct{})
				t.Cleanup(func() { close(release) })
				s.Check = func(d *emu.Device, acked []any) error {
					if hangs(acked) {
						<-release // ignores every context
					}
					return checkAcked(d, acked)
				}
			}
			want, err := faults.Run(context.Background(), logSweep("hang", 3, false), faults.Options{Jobs: 2})
			require.NoError(t, err)
			require.True(t, want.OK())

			r, err := faults.Run(context.Background(), s, faults.Options{Jobs: 2, CheckTimeout: 400 * time.Millisecond, NoShrink: true})
			require.NoError(t, err, "a hanging check is a failed branch, not a sweep error")
			require.NotEmpty(t, r.Failures)
			assert.Equal(t, want.Checked, r.Checked)
			for _, f := range r.Failures {
				assert.Contains(t, f.Error, "check timed out after 400ms", f.ID)
				rep, err := faults.ReplayContext(context.Background(), s, f.ID, faults.ReplayOptions{CheckTimeout: 400 * time.Millisecond})
				require.NoError(t, err)
				assert.True(t, errors.Is(rep.Err, faults.ErrTimeout), "replay of %s: %v", f.ID, rep.Err)
				assert.Equal(t, 2, len(rep.Acked), f.ID)
			}
		})
	}
}

// A workload that exceeds the timeout fails the sweep with a clear error.
func TestSweepWorkloadTimeout(t *testing.T) {
	s := logSweep("slow", 1, false)
	s.Workload = nil
	s.WorkloadContext = func(ctx context.Context, d *emu.Device, ack func(any)) error {
		<-ctx.Done()
		return ctx.Err()
	}
	_, err := faults.Run(context.Background(), s, faults.Options{CheckTimeout: 20 * time.Millisecond})
	require.Error(t, err)
	assert.ErrorIs(t, err, faults.ErrTimeout)
	assert.Contains(t, err.Error(), "workload timed out after 20ms")
}
