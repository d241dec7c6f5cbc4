package querycount

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/psbench/psbench/internal/proxycache/stats"
)

// questionsCounted lists the commands MariaDB's Questions status variable
// counts, as measured against MariaDB 10.11 by TestQuestionsCalibration
// (which fails when the server disagrees with this table):
//
//	counted:     COM_QUERY, COM_QUIT, COM_INIT_DB, COM_STMT_EXECUTE,
//	             COM_FIELD_LIST, COM_SET_OPTION, COM_RESET_CONNECTION
//	not counted: COM_PING, COM_STATISTICS, COM_STMT_PREPARE,
//	             COM_STMT_CLOSE, COM_STMT_RESET
//
// Commands not in the table (COM_STMT_FETCH, COM_STMT_SEND_LONG_DATA,
// COM_PROCESS_INFO, ...) were not calibrated; the expected value then
// counts them and PhaseCheck.Note names them.
var questionsCounted = map[string]bool{
	"COM_QUERY":            true,
	"COM_QUIT":             true,
	"COM_INIT_DB":          true,
	"COM_STMT_EXECUTE":     true,
	"COM_FIELD_LIST":       true,
	"COM_SET_OPTION":       true,
	"COM_RESET_CONNECTION": true,
	"COM_PING":             false,
	"COM_STATISTICS":       false,
	"COM_STMT_PREPARE":     false,
	"COM_STMT_CLOSE":       false,
	"COM_STMT_RESET":       false,
}

// QuestionsFormula is the cross-check formula in words, as reported in
// CounterCheck.Formula.
const QuestionsFormula = "Questions delta = backend COM_QUERY + COM_STMT_EXECUTE + COM_INIT_DB + COM_FIELD_LIST + " +
	"COM_SET_OPTION + COM_RESET_CONNECTION + COM_QUIT (one per connection) + 1 (psbench's own SHOW GLOBAL STATUS " +
	"after the capture; the one before it is inside its own reading); COM_PING, COM_STATISTICS, " +
	"COM_STMT_PREPARE/CLOSE/RESET are not counted"

// ExpectedQuestions is how much MariaDB's server-wide Questions counter
// must grow between two readings taken, on one connection of psbench's
// own, just before a capture started and just after it stopped, when
// nothing but the captured traffic reached the server:
//
//	expected = Σ backend commands c of the capture with questionsCounted[c]
//	         + 1 (the second SHOW GLOBAL STATUS; MariaDB counts a
//	           statement before executing it, so the first reading
//	           already includes itself)
//
// (psbench's further readings, made while MySQL has not yet counted every
// COM_QUIT, are subtracted from the delta: see questionsCounter.deltaSince).
//
// The capture's BackendCommands include one COM_QUIT per connection closed
// in the window, which MariaDB counts. unknown lists the commands of the
// capture whose counting was not calibrated (they are counted in expected).
func ExpectedQuestions(snap stats.CaptureSnapshot) (expected int, unknown []string) {
	expected = 1
	for cmd, n := range snap.BackendCommands.ByCommand {
		counted, known := questionsCounted[cmd]
		if !known {
			unknown = append(unknown, cmd)
			counted = true
		}
		if counted {
			expected += int(n)
		}
	}
	slices.Sort(unknown)
	return expected, unknown
}

// questionsCounter reads MariaDB's Questions status over one pinned
// connection, so that no connection is opened or closed between readings.
type questionsCounter struct {
	conn *sql.Conn
}

// openQuestionsCounter pins a connection of db and reads the counter once
// to prove the DSN may.
func openQuestionsCounter(ctx context.Context, db *sql.DB) (*questionsCounter, error) {
	c, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := readQuestions(ctx, c); err != nil {
		c.Close()
		return nil, err
	}
	return &questionsCounter{conn: c}, nil
}

// read returns the counter's value.
func (q *questionsCounter) read(ctx context.Context) (int64, error) {
	return readQuestions(ctx, q.conn)
}

// questionsSettle bounds how long deltaSince waits for MySQL to catch up.
const questionsSettle = 500 * time.Millisecond

// deltaSince returns how much Questions grew since the reading q0, not
// counting psbench's own readings beyond the first one after q0. It reads
// again (every 5 ms, for at most questionsSettle) while the growth is below
// expected: a client's COM_QUIT is fire-and-forget, so MySQL may count a
// connection's COM_QUIT after the proxy reported the connection closed and
// the capture stopped. Waiting never hides a disagreement: a growth above
// expected is returned at once, one below it after the wait. reads is the
// number of readings made.
func (q *questionsCounter) deltaSince(ctx context.Context, q0 int64, expected int) (delta int64, reads int, err error) {
	deadline := time.Now().Add(questionsSettle)
	for {
		v, err := q.read(ctx)
		if err != nil {
			return 0, reads, err
		}
		reads++
		delta = v - q0 - int64(reads-1)
		if delta >= int64(expected) || time.Now().After(deadline) {
			return delta, reads, nil
		}
		t := time.NewTimer(5 * time.Millisecond)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return delta, reads, ctx.Err()
		}
	}
}

// close releases the pinned connection.
func (q *questionsCounter) close() error { return q.conn.Close() }

// readQuestions runs SHOW GLOBAL STATUS LIKE 'Questions' on c.
func readQuestions(ctx context.Context, c *sql.Conn) (int64, error) {
	var name, value string
	if err := c.QueryRowContext(ctx, "SHOW GLOBAL STATUS LIKE 'Questions'").Scan(&name, &value); err != nil {
		if err == sql.ErrNoRows {
			return 0, fmt.Errorf("SHOW GLOBAL STATUS LIKE 'Questions' returned no row")
		}
		return 0, fmt.Errorf("SHOW GLOBAL STATUS LIKE 'Questions': %w", err)
	}
	n, err := strconv.ParseInt(strings.TrimSpace(value), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("SHOW GLOBAL STATUS LIKE 'Questions': value %q: %w", value, err)
	}
	return n, nil
}

// countedCommands returns the sorted names of the commands the formula
// counts (for messages).
func countedCommands() []string {
	var out []string
	for _, c := range slices.Sorted(maps.Keys(questionsCounted)) {
		if questionsCounted[c] {
			out = append(out, c)
		}
	}
	return out
}
