//go:build unix

package proxycache

import (
	"errors"
	"syscall"
)

// peekSocket looks at the socket with a non-blocking MSG_PEEK: no data
// (EAGAIN) is the healthy idle state, zero bytes is an orderly close.
func peekSocket(raw syscall.RawConn) (socketState, error) {
	var buf [1]byte
	var n int
	var rerr error
	err := raw.Read(func(fd uintptr) bool {
		n, _, rerr = syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		return true // never wait for readiness
	})
	if err != nil {
		return socketIdle, err
	}
	switch {
	case errors.Is(rerr, syscall.EAGAIN) || errors.Is(rerr, syscall.EWOULDBLOCK) || errors.Is(rerr, syscall.EINTR):
		return socketIdle, nil
	case rerr != nil:
		return socketClosed, rerr
	case n == 0:
		return socketClosed, nil
	}
	return socketData, nil
}
