package querycount

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	gomysql "github.com/go-mysql-org/go-mysql/client"

	"github.com/psbench/psbench/internal/proxycache/stats"
)

// rawConn opens a go-mysql client connection (it sends nothing after the
// handshake), so every command on it is one the test chose.
func rawConn(t testing.TB, addr, user, pw, db string) *gomysql.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := gomysql.ConnectWithContext(ctx, addr, user, pw, db, 10*time.Second)
	if err != nil {
		t.Fatalf("connect %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// rawCommand sends one command packet and reads the first response packet.
func rawCommand(c *gomysql.Conn, payload ...byte) ([]byte, error) {
	c.ResetSequence()
	if err := c.WritePacket(append([]byte{0, 0, 0, 0}, payload...)); err != nil {
		return nil, err
	}
	p, err := c.ReadPacket()
	if err != nil {
		return nil, err
	}
	if len(p) > 0 && p[0] == 0xff {
		return p, fmt.Errorf("error packet: %q", p[3:])
	}
	return p, nil
}

// calibrationCommands drives one command on c, given a prepared statement
// it may use; prepare makes a fresh one.
type calibrationCommand struct {
	name string
	run  func(c *gomysql.Conn, st *gomysql.Stmt) error
	// fresh: the command consumes its statement (COM_STMT_CLOSE) or its
	// connection (COM_QUIT).
	consumes bool
}

// calibrationCommands returns the commands to calibrate; statements
// prepared by the COM_STMT_PREPARE row are appended to *prepared for the
// caller to close outside the measurement.
func calibrationCommands(db string, prepared *[]*gomysql.Stmt) []calibrationCommand {
	return []calibrationCommand{
		{name: "COM_QUERY", run: func(c *gomysql.Conn, _ *gomysql.Stmt) error { _, err := c.Execute("SELECT 1"); return err }},
		{name: "COM_INIT_DB", run: func(c *gomysql.Conn, _ *gomysql.Stmt) error { return c.UseDB(db) }},
		{name: "COM_PING", run: func(c *gomysql.Conn, _ *gomysql.Stmt) error { return c.Ping() }},
		{name: "COM_STATISTICS", run: func(c *gomysql.Conn, _ *gomysql.Stmt) error { _, err := rawCommand(c, 0x09); return err }},
		{name: "COM_FIELD_LIST", run: func(c *gomysql.Conn, _ *gomysql.Stmt) error { _, err := c.FieldList("ps_product", ""); return err }},
		{name: "COM_SET_OPTION", run: func(c *gomysql.Conn, _ *gomysql.Stmt) error { _, err := rawCommand(c, 0x1b, 0x00, 0x00); return err }},
		{name: "COM_RESET_CONNECTION", run: func(c *gomysql.Conn, _ *gomysql.Stmt) error { _, err := rawCommand(c, 0x1f); return err }},
		{name: "COM_STMT_PREPARE", run: func(c *gomysql.Conn, _ *gomysql.Stmt) error {
			st, err := c.Prepare("SELECT ? + 1")
			if err == nil {
				*prepared = append(*prepared, st)
			}
			return err
		}},
		{name: "COM_STMT_EXECUTE", run: func(_ *gomysql.Conn, st *gomysql.Stmt) error { _, err := st.Execute(1); return err }},
		{name: "COM_STMT_RESET", run: func(c *gomysql.Conn, st *gomysql.Stmt) error {
			id := st.ID
			_, err := rawCommand(c, 0x1a, byte(id), byte(id>>8), byte(id>>16), byte(id>>24))
			return err
		}},
		{name: "COM_STMT_CLOSE", consumes: true, run: func(_ *gomysql.Conn, st *gomysql.Stmt) error { return st.Close() }},
		{name: "COM_QUIT", consumes: true, run: func(c *gomysql.Conn, _ *gomysql.Stmt) error { return c.Quit() }},
	}
}

// TestQuestionsCalibration pins down which commands MariaDB's Questions
// counts, directly against the server (no proxy): each command is sent
// three times between two readings on a separate connection, so the delta
// is 1 (the second reading) plus 0 or 3. The table questionsCounted must
// match; a connection's handshake alone must count nothing.
func TestQuestionsCalibration(t *testing.T) {
	b := quietBackend(t)
	db := newDatabase(t, b, "calib", "CREATE TABLE ps_product (id_product INT PRIMARY KEY, name VARCHAR(64))")
	ctx := context.Background()
	status, err := b.open(t, "").Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer status.Close()
	read := func() int64 {
		t.Helper()
		n, err := readQuestions(ctx, status)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	const reps = 3
	measured := map[string]bool{}
	var prepared []*gomysql.Stmt
	for _, cc := range calibrationCommands(db, &prepared) {
		// Everything but the measured command happens outside the readings.
		conns := make([]*gomysql.Conn, reps)
		stmts := make([]*gomysql.Stmt, reps)
		for i := range reps {
			if cc.consumes || i == 0 {
				conns[i] = rawConn(t, b.addr, b.user, b.pw, db)
			} else {
				conns[i] = conns[0]
			}
			if strings.HasPrefix(cc.name, "COM_STMT_") && cc.name != "COM_STMT_PREPARE" {
				if stmts[i], err = conns[i].Prepare("SELECT ? + 1"); err != nil {
					t.Fatal(err)
				}
			}
		}
		q0 := read()
		for i := range reps {
			if err := cc.run(conns[i], stmts[i]); err != nil {
				t.Fatalf("%s: %v", cc.name, err)
			}
		}
		if cc.name == "COM_QUIT" {
			time.Sleep(100 * time.Millisecond) // the server handles COM_QUIT after the client hung up
		}
		delta := read() - q0 - 1
		for _, st := range prepared {
			_ = st.Close()
		}
		prepared = nil
		switch delta {
		case 0:
			measured[cc.name] = false
		case reps:
			measured[cc.name] = true
		default:
			t.Fatalf("%s ×%d moved Questions by %d (expected 0 or %d): is another client using the server (%s)?", cc.name, reps, delta, reps, b.source)
		}
		if want, ok := questionsCounted[cc.name]; !ok || want != measured[cc.name] {
			t.Errorf("%s: MariaDB counts it in Questions: %v; questionsCounted says %v (known %v)", cc.name, measured[cc.name], want, ok)
		}
	}
	// A connection that logs in and hangs up without COM_QUIT counts
	// nothing: the proxy's backend logins are not Questions.
	q0 := read()
	for range reps {
		c, err := gomysql.Connect(b.addr, b.user, b.pw, db)
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
	}
	time.Sleep(100 * time.Millisecond)
	if d := read() - q0 - 1; d != 0 {
		t.Errorf("%d handshakes without COM_QUIT moved Questions by %d, want 0", reps, d)
	}
	for name := range questionsCounted {
		if _, ok := measured[name]; !ok {
			t.Errorf("questionsCounted lists %s, which the calibration does not measure", name)
		}
	}
	var counted []string
	for _, n := range slices.Sorted(func(yield func(string) bool) {
		for k := range measured {
			if !yield(k) {
				return
			}
		}
	}) {
		if measured[n] {
			counted = append(counted, n)
		}
	}
	t.Logf("MariaDB %s counts in Questions: %s", b.source, strings.Join(counted, ", "))
}

// TestExpectedQuestionsThroughProxy sends every calibrated command through
// the proxy inside a capture and checks ExpectedQuestions against the
// server's own counter.
func TestExpectedQuestionsThroughProxy(t *testing.T) {
	b := quietBackend(t)
	db := newDatabase(t, b, "calibp", "CREATE TABLE ps_product (id_product INT PRIMARY KEY, name VARCHAR(64))",
		"INSERT INTO ps_product VALUES (1, 'a')")
	p := startProxy(t, b, "local")
	ctx := context.Background()
	qc, err := openQuestionsCounter(ctx, b.open(t, ""))
	if err != nil {
		t.Fatal(err)
	}
	defer qc.close()

	q0, err := qc.read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	id, err := p.Admin.StartCapture(ctx, stats.CaptureRequest{Label: "calibration"})
	if err != nil {
		t.Fatal(err)
	}
	c := rawConn(t, p.Addr, b.user, b.pw, db)
	var prepared []*gomysql.Stmt
	for _, cc := range calibrationCommands(db, &prepared) {
		if cc.name == "COM_QUIT" {
			for _, st := range prepared {
				if err := st.Close(); err != nil {
					t.Fatal(err)
				}
			}
		}
		var st *gomysql.Stmt
		if strings.HasPrefix(cc.name, "COM_STMT_") && cc.name != "COM_STMT_PREPARE" {
			if st, err = c.Prepare("SELECT ? + 1"); err != nil {
				t.Fatal(err)
			}
		}
		if err := cc.run(c, st); err != nil {
			t.Fatalf("%s through the proxy: %v", cc.name, err)
		}
		if st != nil && cc.name != "COM_STMT_CLOSE" {
			if err := st.Close(); err != nil {
				t.Fatal(err)
			}
		}
	}
	// COM_QUIT was the last command: wait until the proxy saw the close.
	var snap stats.CaptureSnapshot
	for deadline := time.Now().Add(5 * time.Second); ; {
		if snap, err = p.Admin.ReadCapture(ctx, id); err != nil {
			t.Fatal(err)
		}
		if snap.Connections.ClosedInWindow == 1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if snap, err = p.Admin.StopCapture(ctx, id); err != nil {
		t.Fatal(err)
	}
	want, unknown := ExpectedQuestions(snap)
	if len(unknown) > 0 {
		t.Errorf("uncalibrated commands in the capture: %v", unknown)
	}
	delta, _, err := qc.deltaSince(ctx, q0, want)
	if err != nil {
		t.Fatal(err)
	}
	if got := int(delta); got != want {
		t.Errorf("Questions grew by %d, ExpectedQuestions says %d (backend commands %v)", got, want, snap.BackendCommands.ByCommand)
	}
	for _, name := range []string{"COM_QUERY", "COM_PING", "COM_STMT_PREPARE", "COM_STMT_EXECUTE", "COM_STMT_CLOSE", "COM_QUIT", "COM_INIT_DB"} {
		if snap.BackendCommands.ByCommand[name] == 0 {
			t.Errorf("capture shows no backend %s: %v", name, snap.BackendCommands.ByCommand)
		}
	}
}
