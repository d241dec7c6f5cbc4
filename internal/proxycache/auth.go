package proxycache

import (
	"crypto/rand"
	"encoding/hex"

	"github.com/go-mysql-org/go-mysql/server"
)

// authProvider checks client logins. It defers to go-mysql's provider
// except for accounts with an empty password, which it checks itself: the
// client must then send no auth data, and anything else is a plain access
// denied (go-mysql's own check does not handle an empty stored password).
type authProvider struct {
	p   *Proxy
	def server.DefaultAuthenticationProvider
}

// Authenticate checks the client's auth response for its plugin.
func (a *authProvider) Authenticate(c *server.Conn, plugin string, data []byte) error {
	if acc, ok := a.p.accounts[c.GetUser()]; ok && acc.password == "" {
		if len(data) == 0 || (len(data) == 1 && data[0] == 0) {
			return nil
		}
		return server.ErrAccessDenied
	}
	return a.def.Authenticate(c, plugin, data)
}

// Validate reports whether the auth plugin is supported.
func (a *authProvider) Validate(plugin string) bool { return a.def.Validate(plugin) }

// decoyPassword is what an unknown user is checked against, so a wrong
// user name fails exactly like a wrong password (error 1045) and the
// proxy does not reveal which accounts exist.
func decoyPassword() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
