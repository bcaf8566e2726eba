package streamflash_test

import (
	"encoding/binary"
	"flag"
	"math/rand/v2"
	"testing"

	"github.com/flashemu/flashemu/internal/powercut"
	"github.com/flashemu/flashemu/internal/testseed"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/flashemu/flashemu/api"
	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/settings"
	"github.com/flashemu/flashemu/streamflash"
)

var seedFlag = flag.Uint64("seed", 0, "seed of the randomized tests (0: from $STREAMFLASH_SEED or the clock)")

// testSeed returns the seed to use and prints it so a failure can be replayed.
func testSeed(t testing.TB) uint64 {
	return testseed.Seed(t, *seedFlag, "seed", "STREAMFLASH_SEED")
}

// resumeFixture is the chip of the resumable-download tests: a slot
// partition for the image and a settings partition for the progress.
type resumeFixture struct {
	d             *emu.Device
	slot, storage *api.Area
	cut           *powercut.Hook
}

const (
	dlImageSize = 256 << 10
	dlStoreSize = 16 << 10
	dlKey       = "fw/dl/progress"
	dlSaveEvery = 4 << 10
)

func newResumeFixture(t *testing.T) resumeFixture {
	d, err := emu.New(emu.Config{Kind: emu.NOR, Size: dlImageSize + dlStoreSize, EraseUnit: 4096, WriteBlock: 4, EraseValue: 0xff})
	require.NoError(t, err)
	dev := api.FromEmu(d)
	slot, err := api.NewArea(dev, "slot1", 0, dlImageSize)
	require.NoError(t, err)
	storage, err := api.NewArea(dev, "storage", dlImageSize, dlStoreSize)
	require.NoError(t, err)
	cut := &powercut.Hook{}
	d.SetHook(cut)
	return resumeFixture{d, slot, storage, cut}
}

// boot runs one download session and reports whether it finished.
func (f resumeFixture) boot(t *testing.T, src []byte, rng *rand.Rand) bool {
	done := downloadSession(t, f.d, f.slot, f.storage, src, dlKey, dlSaveEvery, rng)
	if !done {
		require.False(t, f.d.Powered(), "the session stopped without a power cut")
		f.d.PowerOn()
	}
	return done
}

func (f resumeFixture) checkImage(t *testing.T, src []byte) {
	got := make([]byte, len(src))
	require.NoError(t, f.slot.Read(0, got))
	require.Equal(t, src, got, "the slot holds the image")
	store, err := settings.New(f.storage, settings.Options{})
	require.NoError(t, err)
	v, ok, err := store.Load(dlKey)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, binary.LittleEndian.AppendUint64(nil, uint64(len(src))), v, "final progress saved")
}

func dlSource(seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	src := make([]byte, dlImageSize)
	for i := range src {
		src[i] = byte(rng.Uint32())
	}
	return src
}

// TestResumableDownload streams a 256 KiB image into a slot partition in
// network-sized chunks, saving stream_flash progress to a settings FCB
// partition of the same chip every 4 KiB. For each of 50 random operations
// of the download (stream writes and erases, settings writes, compress and
// rotate alike, drawn over the whole download) the chip loses power there;
// it then boots again, mounts the settings, loads the progress and
// continues downloading from there. Every final slot is byte-identical to
// the source, on a strict device (a write onto unerased flash would fail).
func TestResumableDownload(t *testing.T) {
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(seed, 1))
	src := dlSource(seed)
	cuts := 50
	if testing.Short() {
		cuts = 15
	}
	total := dryRunOps(t, src, seed)
	for range cuts {
		at := 1 + rng.IntN(total)
		f := newResumeFixture(t)
		f.cut.At = at
		sessionRng := rand.New(rand.NewPCG(seed, 3)) // as the dry run: the same operations up to the cut
		require.False(t, f.boot(t, src, sessionRng), "cut at operation %d of %d must hit", at, total)
		require.True(t, f.boot(t, src, sessionRng), "resumed download after the cut at %d", at)
		f.checkImage(t, src)
	}
}

// TestResumableDownloadRepeatedCuts is one download that loses power again
// and again (every 1..2*T/50 operations, T the operations of an
// uninterrupted download) until it completes.
func TestResumableDownloadRepeatedCuts(t *testing.T) {
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(seed, 2))
	src := dlSource(seed)
	gap := max(1, dryRunOps(t, src, seed)*2/50)
	f := newResumeFixture(t)
	boots := 0
	for {
		boots++
		f.cut.At = f.cut.Count + 1 + rng.IntN(gap)
		if f.boot(t, src, rng) {
			break
		}
		require.Less(t, boots, 10000, "no progress")
	}
	require.Greater(t, boots, 10, "the download must have been cut many times")
	f.checkImage(t, src)
	t.Logf("%d boots, %d programs, %d erases, a cut every 1..%d operations", boots, f.d.Stats().Programs, f.d.Stats().Erases, gap)
}

// dryRunOps counts the programs and erases of an uninterrupted download.
func dryRunOps(t *testing.T, src []byte, seed uint64) int {
	f := newResumeFixture(t)
	require.True(t, f.boot(t, src, rand.New(rand.NewPCG(seed, 3))))
	f.checkImage(t, src)
	return f.cut.Count
}

// downloadSession is one boot of the downloading device: mount the
// settings, resume the stream from the saved progress, fetch and write the
// rest, saving progress every saveEvery bytes. It returns false when the
// power was cut.
func downloadSession(t *testing.T, d *emu.Device, slot, storage *api.Area, src []byte, key string, saveEvery int64, rng *rand.Rand) bool {
	cutOK := func(err error) bool {
		if err == nil {
			return false
		}
		require.False(t, d.Powered(), "unexpected error with power on: %v", err)
		return true
	}
	store, err := settings.New(storage, settings.Options{})
	if cutOK(err) {
		return false
	}
	// Each boot picks its buffer size, so progress often ends mid-page and
	// the erase tracking resync of LoadProgress matters.
	bufLen := []int{512, 1024, 4096}[rng.IntN(3)]
	s, err := streamflash.NewArea(slot, make([]byte, bufLen), 0, 0, nil, streamflash.Options{Erase: true})
	require.NoError(t, err)
	if cutOK(s.LoadProgress(store, key)) {
		return false
	}
	pos := s.BytesWritten() // buffered bytes of the last boot are lost: fetch again
	saved := pos
	for pos < int64(len(src)) {
		n := min(int64(1+rng.IntN(6000)), int64(len(src))-pos)
		last := pos+n == int64(len(src))
		if cutOK(s.Write(src[pos:pos+n], last)) {
			return false
		}
		pos += n
		if s.BytesWritten()/saveEvery > saved/saveEvery || last {
			if cutOK(s.SaveProgress(store, key)) {
				return false
			}
			saved = s.BytesWritten()
		}
	}
	return true
}
