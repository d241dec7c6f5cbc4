package bench

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-sql-driver/mysql"
)

// MySQL is the backend server the benchmark runs against.
type MySQL struct {
	Host     string `json:"host"`
	Port     int    `json:"port"`
	User     string `json:"user"`
	Password string `json:"-"`
}

// Addr is host:port.
func (m MySQL) Addr() string { return net.JoinHostPort(m.Host, strconv.Itoa(m.Port)) }

// openDB opens a go-sql-driver pool of at most conns connections to addr
// (the server itself or a proxy in front of it) as m's user, in db.
func openDB(m MySQL, addr, db string, conns int) (*sql.DB, error) {
	c := mysql.NewConfig()
	c.Net, c.Addr, c.User, c.Passwd, c.DBName = "tcp", addr, m.User, m.Password, db
	c.Timeout, c.ReadTimeout, c.WriteTimeout = 10*time.Second, 5*time.Minute, time.Minute
	c.AllowNativePasswords = true
	conn, err := mysql.NewConnector(c)
	if err != nil {
		return nil, err
	}
	pool := sql.OpenDB(conn)
	pool.SetMaxOpenConns(conns)
	pool.SetMaxIdleConns(conns)
	return pool, nil
}

// openConns makes sure the pool holds n open connections.
func openConns(ctx context.Context, pool *sql.DB, n int) error {
	conns := make([]*sql.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range n {
		c, err := pool.Conn(ctx)
		if err != nil {
			return err
		}
		conns = append(conns, c)
		if err := c.PingContext(ctx); err != nil {
			return err
		}
	}
	return nil
}

// queryEach runs query(i) for i in [1, n] through pool with conc workers,
// reading every row, and returns the number of rows read. Statements without
// arguments use the text protocol (COM_QUERY), like sysbench with
// --db-ps-mode=disable.
func queryEach(ctx context.Context, pool *sql.DB, n, conc int, query func(i int) string) (int64, error) {
	var next, rows atomic.Int64
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	for range conc {
		wg.Go(func() {
			var sink sql.RawBytes
			for {
				i := int(next.Add(1))
				if i > n || ctx.Err() != nil {
					return
				}
				q := query(i)
				rs, err := pool.QueryContext(ctx, q)
				if err != nil {
					cancel(fmt.Errorf("%s: %w", q, err))
					return
				}
				cols, _ := rs.Columns()
				dest := make([]any, len(cols))
				for k := range dest {
					dest[k] = &sink
				}
				for rs.Next() {
					if err := rs.Scan(dest...); err != nil {
						rs.Close()
						cancel(fmt.Errorf("%s: %w", q, err))
						return
					}
					rows.Add(1)
				}
				if err := rs.Close(); err != nil {
					cancel(fmt.Errorf("%s: %w", q, err))
					return
				}
				if err := rs.Err(); err != nil {
					cancel(fmt.Errorf("%s: %w", q, err))
					return
				}
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return rows.Load(), err
	}
	return rows.Load(), nil
}
