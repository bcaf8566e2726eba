package emu

import (
	"sync/atomic"
	"unsafe"
)

// table is a persistent (path-copying) array of n values of T: a radix trie
// of fan-out nodeN whose last level holds the values. A nil node stands for
// a subtree of zero values, so a new table costs nothing and an erased
// device holds no nodes.
//
// Sharing is by value: copying a table (a snapshot takes one, a restore
// installs one) copies its root pointer, in O(1), and from then on both
// copies share every node. Ownership is a generation number: ptr writes in
// place only into nodes stamped with the caller's generation and copies any
// other node on the path first (a path is depth nodes of nodeN words), so a
// change after a snapshot costs one path, once. Generations are unique
// process-wide (newGen), so a node stamped with a device's current
// generation was made by that device after its last snapshot or restore and
// is reachable from nothing else.
type table[T any] struct {
	root  unsafe.Pointer // *inner, or *leaf[T] when shift is 0; nil: all zero
	shift uint8          // index bits above the leaf level (a multiple of nodeBits)
	n     int            // length; 0: not allocated (every get is zero)
}

const (
	nodeBits = 4
	nodeN    = 1 << nodeBits
	nodeMask = nodeN - 1
)

// inner is an inner node: its children are *inner or, at the level above
// the leaves, *leaf[T] (unsafe.Pointer keeps inner nodes free of T, and the
// garbage collector follows them like any pointer).
type inner struct {
	gen uint64
	kid [nodeN]unsafe.Pointer
}

// leaf holds nodeN consecutive values.
type leaf[T any] struct {
	gen uint64
	v   [nodeN]T
}

var genCounter atomic.Uint64

// newGen returns a generation no node has yet.
func newGen() uint64 { return genCounter.Add(1) }

func newTable[T any](n int) table[T] {
	t := table[T]{n: max(n, 1)}
	for span := nodeN; span < n; span <<= nodeBits {
		t.shift += nodeBits
	}
	return t
}

// allocated reports whether the table was made by newTable (a zero table
// reads as all zero and must not be written).
func (t *table[T]) allocated() bool { return t.n != 0 }

// leafAt returns the leaf holding element i, or nil (all zero).
func (t *table[T]) leafAt(i int) *leaf[T] {
	p := t.root
	for s := t.shift; s != 0 && p != nil; s -= nodeBits {
		p = (*inner)(p).kid[(i>>s)&nodeMask]
	}
	return (*leaf[T])(p)
}

func (t *table[T]) get(i int) T {
	if l := t.leafAt(i); l != nil {
		return l.v[i&nodeMask]
	}
	var zero T
	return zero
}

// getOr is get on a table that may not be allocated (zero).
func (t *table[T]) getOr(i int) T { return t.get(i) }

// ptr returns a pointer to element i in a leaf owned by generation gen,
// copying (or making) every node on the path that gen does not own.
func (t *table[T]) ptr(i int, gen uint64) *T {
	pp := &t.root
	for s := t.shift; s != 0; s -= nodeBits {
		n := (*inner)(*pp)
		switch {
		case n == nil:
			n = &inner{gen: gen}
			*pp = unsafe.Pointer(n)
		case n.gen != gen:
			c := *n
			c.gen = gen
			n = &c
			*pp = unsafe.Pointer(n)
		}
		pp = &n.kid[(i>>s)&nodeMask]
	}
	l := (*leaf[T])(*pp)
	switch {
	case l == nil:
		l = &leaf[T]{gen: gen}
		*pp = unsafe.Pointer(l)
	case l.gen != gen:
		c := *l
		c.gen = gen
		l = &c
		*pp = unsafe.Pointer(l)
	}
	return &l.v[i&nodeMask]
}

// leaves calls f with every leaf that exists, in index order, and the index
// of its first element. It does not allocate.
func (t *table[T]) leaves(f func(base int, l *leaf[T])) {
	if t.root != nil {
		walk(t.root, t.shift, 0, f)
	}
}

func walk[T any](p unsafe.Pointer, shift uint8, base int, f func(base int, l *leaf[T])) {
	if shift == 0 {
		f(base, (*leaf[T])(p))
		return
	}
	n := (*inner)(p)
	for k, c := range n.kid {
		if c != nil {
			walk(c, shift-nodeBits, base|k<<shift, f)
		}
	}
}
