package idleprobe

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/psbench/psbench/internal/results"
	"github.com/redis/go-redis/v9"
)

// MySQLRequest is the statement the MySQL probe sends.
const MySQLRequest = "SELECT 1"

// MySQL probes the MySQL server at addr through conn with SELECT 1: one
// COM_QUERY round trip with a one-row result set.
func MySQL(addr string, conn *sql.Conn) Server {
	return Server{Kind: results.IdleServerMySQL, Addr: addr, Request: MySQLRequest, Exchange: func(ctx context.Context) error {
		var one int
		if err := conn.QueryRowContext(ctx, MySQLRequest).Scan(&one); err != nil {
			return fmt.Errorf("%s: %w", MySQLRequest, err)
		}
		if one != 1 {
			return fmt.Errorf("%s returned %d", MySQLRequest, one)
		}
		return nil
	}}
}

// RedisRequest is the command the Redis probe sends.
const RedisRequest = "PING"

// Redis probes the Redis server at addr through c with PING. c should hold
// a single connection (PoolSize 1) so that every exchange uses the same one.
func Redis(addr string, c *redis.Client) Server {
	return Server{Kind: results.IdleServerRedis, Addr: addr, Request: RedisRequest, Exchange: func(ctx context.Context) error {
		s, err := c.Ping(ctx).Result()
		if err != nil {
			return fmt.Errorf("%s: %w", RedisRequest, err)
		}
		if s != "PONG" {
			return errors.New("PING answered " + s)
		}
		return nil
	}}
}
