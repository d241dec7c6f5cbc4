package proxycache

import (
	"errors"
	"syscall"
)

// errBackendClosed and errBackendChatter end a session whose backend
// connection is no longer usable.
var (
	errBackendClosed  = errors.New("backend closed the session")
	errBackendChatter = errors.New("backend sent data between commands")
)

// backendAlive checks, without blocking, that the backend has neither closed
// the session nor sent anything unasked (a server may send an error before
// closing an idle session); between commands nothing may be waiting. It
// peeks at the socket itself: Go's own reads skip the system call when a
// deadline has passed, so a deadline-based check would never see the FIN.
func (s *session) backendAlive() error {
	if s.br.br.Buffered() > 0 {
		return &relayError{backend: true, err: errBackendChatter}
	}
	sc, ok := s.backend.(syscall.Conn)
	if !ok {
		return nil // not a socket (tests): nothing to check
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	state, perr := peekSocket(raw)
	switch {
	case perr != nil:
		return &relayError{backend: true, err: perr}
	case state == socketClosed:
		return &relayError{backend: true, err: errBackendClosed}
	case state == socketData:
		return &relayError{backend: true, err: errBackendChatter}
	}
	return nil
}

type socketState uint8

const (
	socketIdle socketState = iota
	socketData
	socketClosed
)
