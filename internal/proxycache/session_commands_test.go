package proxycache_test

import (
	"encoding/binary"
	"testing"

	"github.com/psbench/psbench/internal/proxycache"
)

// TestResetConnectionAndStatementCommands covers the commands the other
// conformance tests do not send: COM_RESET_CONNECTION (the session state the
// cache keys on must be forgotten with it), COM_STMT_SEND_LONG_DATA (no
// response: the proxy must not wait for one) and COM_STMT_RESET. Each step
// is compared with MariaDB directly.
func TestResetConnectionAndStatementCommands(t *testing.T) {
	needMySQL(t)
	db := newDB(t, "reset")
	steps := func(addr string) []string {
		c := rawClient(t, addr, env.user, env.password, db)
		val := func(q string) string {
			t.Helper()
			r, err := c.Execute(q)
			if err != nil {
				t.Fatalf("%s: %s: %v", addr, q, err)
			}
			if v, err := r.GetValue(0, 0); err != nil {
				t.Fatalf("%s: %s: %v", addr, q, err)
			} else if v == nil {
				return "NULL"
			}
			s, err := r.GetString(0, 0)
			if err != nil {
				t.Fatalf("%s: %s: %v", addr, q, err)
			}
			return s
		}
		var out []string
		if _, err := c.Execute("SET SESSION sql_mode = 'PIPES_AS_CONCAT'"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Execute("SET @v = 5"); err != nil {
			t.Fatal(err)
		}
		out = append(out, val("SELECT 'a' || 'b' AS x"), val("SELECT 'a' || 'b' AS x"), val("SELECT @v"))

		if p := rawCommand(t, c, []byte{0x1f}); p[0] != 0x00 { // COM_RESET_CONNECTION
			t.Fatalf("%s: COM_RESET_CONNECTION answered % x", addr, p[:min(len(p), 16)])
		}
		// After the reset the default sql_mode is back: || is OR again,
		// and a cached 'ab' from before must not be served.
		out = append(out, val("SELECT 'a' || 'b' AS x"), val("SELECT @v"), val("SELECT @@session.sql_mode LIKE '%PIPES%'"))

		st, err := c.Prepare("SELECT ? AS v")
		if err != nil {
			t.Fatalf("%s: prepare: %v", addr, err)
		}
		id := make([]byte, 4)
		binary.LittleEndian.PutUint32(id, st.ID)
		// COM_STMT_SEND_LONG_DATA has no response; COM_STMT_RESET discards
		// the long data and answers OK. A proxy waiting for a response to
		// the first would desynchronise here.
		c.ResetSequence()
		long := append(append([]byte{0x18}, id...), 0, 0)
		long = append(long, "discarded by the reset"...)
		if err := c.WritePacket(append(make([]byte, 4), long...)); err != nil {
			t.Fatalf("%s: send long data: %v", addr, err)
		}
		if p := rawCommand(t, c, append([]byte{0x1a}, id...)); p[0] != 0x00 { // COM_STMT_RESET
			t.Fatalf("%s: COM_STMT_RESET answered % x", addr, p[:min(len(p), 16)])
		}
		r, err := st.Execute("after reset")
		if err != nil {
			t.Fatalf("%s: execute after reset: %v", addr, err)
		}
		s, _ := r.GetString(0, 0)
		out = append(out, s, val("SELECT 1 + 1"))
		return out
	}
	want := steps(env.mysqlAddr)
	if want[0] != "ab" || want[3] == "ab" || want[4] != "NULL" || want[6] != "after reset" {
		t.Fatalf("direct MariaDB did not behave as this test assumes: %q", want)
	}
	for _, mode := range []string{proxycache.CacheOff, proxycache.CacheLocal} {
		t.Run("cache="+mode, func(t *testing.T) {
			tp := startProxy(t, mode)
			got := steps(tp.Addr)
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("step %d: proxy %q, MariaDB %q (all: proxy %q, MariaDB %q)", i, got[i], want[i], got, want)
				}
			}
		})
	}
}
