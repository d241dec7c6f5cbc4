package proxycache

import "testing"

// TestCacheKeyInputs: every input the key is documented to depend on
// changes it; the same inputs give the same key.
func TestCacheKeyInputs(t *testing.T) {
	base := func() *session { return &session{backendUser: "shop", db: "ps", collation: 45, caps: 1 << 9} }
	const q = "SELECT 1 FROM t"
	k0 := base().cacheKey(q)
	if base().cacheKey(q) != k0 {
		t.Fatal("the same inputs must give the same key")
	}
	for name, change := range map[string]func(*session) string{
		"user":        func(s *session) string { s.backendUser = "other"; return q },
		"database":    func(s *session) string { s.db = "ps2"; return q },
		"collation":   func(s *session) string { s.collation = 33; return q },
		"format caps": func(s *session) string { s.caps |= formatCaps; return q },
		"fingerprint": func(s *session) string { s.foldFingerprint("SET sql_mode=''"); return q },
		"text":        func(*session) string { return q + " " },
		// user "a"+db "bc" must not collide with user "ab"+db "c".
		"field boundary": func(s *session) string { s.backendUser, s.db = "shopp", "s"; return q },
	} {
		s := base()
		if s.cacheKey(change(s)) == k0 {
			t.Errorf("changing the %s did not change the key", name)
		}
	}
}

func BenchmarkCacheKey(b *testing.B) {
	s := &session{backendUser: "shop", db: "prestashop", collation: 45}
	q := "SELECT `id_module` FROM `ps_module` WHERE `name` = 'ps_shoppingcart' LIMIT 1"
	b.ReportAllocs()
	for b.Loop() {
		_ = s.cacheKey(q)
	}
}
