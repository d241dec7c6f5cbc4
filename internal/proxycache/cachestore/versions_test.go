package cachestore

import (
	"slices"
	"sync"
	"testing"
)

func TestVersions(t *testing.T) {
	v := NewVersions()
	tables := []string{"db.a", "db.b"}
	s0 := v.Snapshot(tables)
	if !slices.Equal(s0, []uint64{0, 0, 0}) {
		t.Fatalf("fresh snapshot = %v, want zeros with the epoch last", s0)
	}
	if v.Len() != 0 {
		t.Fatalf("snapshot added tables: Len = %d", v.Len())
	}
	if !v.Valid(tables, s0) {
		t.Fatal("fresh snapshot not valid")
	}
	v.Bump([]string{"db.c"})
	if !v.Valid(tables, s0) {
		t.Fatal("bump of an unrelated table invalidated the snapshot")
	}
	v.Bump([]string{"db.b"})
	if v.Valid(tables, s0) {
		t.Fatal("bump of db.b did not invalidate the snapshot")
	}
	s1 := v.Snapshot(tables)
	if !slices.Equal(s1, []uint64{0, 1, 0}) || v.Version("db.b") != 1 {
		t.Fatalf("snapshot after bump = %v", s1)
	}
	v.BumpAll()
	if v.Valid(tables, s1) || v.Valid(nil, []uint64{0}) {
		t.Fatal("BumpAll did not invalidate every snapshot")
	}
	if v.Epoch() != 1 {
		t.Fatalf("Epoch = %d", v.Epoch())
	}
	if v.Valid(tables, s1[:2]) || v.Valid(tables, nil) {
		t.Fatal("snapshot of the wrong length is valid")
	}
	if got := v.AppendSnapshot(make([]uint64, 0, 8), tables); !slices.Equal(got, []uint64{0, 1, 1}) {
		t.Fatalf("AppendSnapshot = %v", got)
	}
}

func TestVersionsConcurrent(t *testing.T) {
	v := NewVersions()
	tables := []string{"a", "b", "c", "d"}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 1000 {
				t1 := tables[(g+i)%len(tables)]
				snap := v.Snapshot([]string{t1})
				v.Bump([]string{t1, tables[i%len(tables)]})
				if v.Valid([]string{t1}, snap) {
					t.Errorf("snapshot of %s valid after its bump", t1)
					return
				}
			}
		})
	}
	wg.Wait()
	var sum uint64
	for _, tb := range tables {
		sum += v.Version(tb)
	}
	if sum != 8*1000*2 {
		t.Fatalf("sum of versions = %d, want %d (lost bumps)", sum, 8*1000*2)
	}
}
