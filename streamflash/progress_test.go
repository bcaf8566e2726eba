package streamflash_test

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/flashemu/flashemu/errno"
	"github.com/flashemu/flashemu/streamflash"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// failingStore returns err from every call.
type failingStore struct{ err error }

func (f failingStore) Save(string, []byte) error         { return f.err }
func (f failingStore) Load(string) ([]byte, bool, error) { return nil, false, f.err }
func (f failingStore) Delete(string) error               { return f.err }

func TestProgressValueFormat(t *testing.T) {
	d, _ := newVecDevice(t, false)
	s, err := streamflash.New(wrap(d), make([]byte, 256), 0, 0, nil, streamflash.Options{})
	require.NoError(t, err)
	require.NoError(t, s.Write(streamBytes(1000), true))
	st := memStore{}
	require.NoError(t, s.SaveProgress(st, "p"))
	assert.Equal(t, []byte{0xe8, 0x03, 0, 0, 0, 0, 0, 0}, st["p"], "size_t bytes_written, 8 bytes little-endian")
}

func TestProgressLoadErrors(t *testing.T) {
	d, _ := newVecDevice(t, true)
	newStream := func() *streamflash.Stream {
		s, err := streamflash.New(wrap(d), make([]byte, 256), 4096, 8192, nil, streamflash.Options{Erase: true})
		require.NoError(t, err)
		return s
	}
	for _, tc := range []struct {
		name  string
		value []byte
	}{
		{"short", []byte{1, 2, 3, 4}},
		{"long", make([]byte, 9)},
		{"empty", []byte{}},
		{"beyond size", binary.LittleEndian.AppendUint64(nil, 8193)},
		{"negative", binary.LittleEndian.AppendUint64(nil, 1<<63)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStream()
			before := s.StateForTest()
			err := s.LoadProgress(memStore{"p": tc.value}, "p")
			assert.ErrorIs(t, err, streamflash.ErrBadProgress)
			assert.Equal(t, -22, errno.Of(err))
			assert.Equal(t, before, s.StateForTest(), "context unchanged")
		})
	}
	t.Run("missing key", func(t *testing.T) {
		s := newStream()
		before := s.StateForTest()
		assert.NoError(t, s.LoadProgress(memStore{}, "p"))
		assert.Equal(t, before, s.StateForTest())
	})
	t.Run("store errors unchanged", func(t *testing.T) {
		s := newStream()
		boom := errors.New("store broke")
		assert.Same(t, boom, s.LoadProgress(failingStore{boom}, "p"))
		assert.Same(t, boom, s.SaveProgress(failingStore{boom}, "p"))
		assert.Same(t, boom, s.ClearProgress(failingStore{boom}, "p"))
	})
	t.Run("exactly the size", func(t *testing.T) {
		s := newStream()
		require.NoError(t, s.LoadProgress(memStore{"p": binary.LittleEndian.AppendUint64(nil, 8192)}, "p"))
		assert.Equal(t, int64(8192), s.BytesWritten())
		assert.Equal(t, int64(8192), s.LastErasedPage(), "page holding byte 8191 of the stream")
		assert.ErrorIs(t, s.Write([]byte{1}, true), streamflash.ErrNoMem)
	})
}

// TestProgressResumeNoReErase: a new context that loads progress does not
// erase the page holding the last written byte, and continues where the
// old one stopped; buffered bytes are not restored.
func TestProgressResumeNoReErase(t *testing.T) {
	d, rec := newVecDevice(t, true)
	data := streamBytes(6000)
	st := memStore{}
	s, err := streamflash.New(rec, make([]byte, 256), 0, 0, nil, streamflash.Options{Erase: true})
	require.NoError(t, err)
	require.NoError(t, s.Write(data[:5000], false)) // 4864 written, 136 buffered
	require.NoError(t, s.SaveProgress(st, "dl"))
	assert.Equal(t, 136, s.BytesBuffered())

	s2, err := streamflash.New(rec, make([]byte, 256), 0, 0, nil, streamflash.Options{Erase: true})
	require.NoError(t, err)
	require.NoError(t, s2.LoadProgress(st, "dl"))
	assert.Equal(t, int64(4864), s2.BytesWritten())
	assert.Zero(t, s2.BytesBuffered(), "buffered bytes are not restored")
	assert.Equal(t, int64(4096), s2.LastErasedPage())
	mark := len(rec.ops)
	require.NoError(t, s2.Write(data[4864:], true))
	assert.Zero(t, rec.erasesSince(mark), "page 1 already erased and holding data")
	assert.Equal(t, data, dump(t, rec)[:6000])
	assert.Zero(t, d.Stats().Violations)

	// An older value never moves bytes_written back.
	require.NoError(t, s2.SaveProgress(st, "new"))
	st["dl"] = binary.LittleEndian.AppendUint64(nil, 100)
	require.NoError(t, s2.LoadProgress(st, "dl"))
	assert.Equal(t, int64(6000), s2.BytesWritten())
	// Clear removes the key.
	require.NoError(t, s2.ClearProgress(st, "dl"))
	_, ok := st["dl"]
	assert.False(t, ok)
}
