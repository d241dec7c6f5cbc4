package docker

import (
	"errors"
	"fmt"
	"net"
	"strings"
)

// ErrImageNotFound means an image tag does not exist (or is private).
var ErrImageNotFound = errors.New("image not found")

// ErrPortTaken means a host port the stack publishes is in use.
var ErrPortTaken = errors.New("port already taken")

// classify turns the engine's wording for the common mistakes into an
// error that names the fix; anything else is returned as it is.
func classify(component, image string, err error) error {
	if err == nil {
		return nil
	}
	msg := strings.ToLower(err.Error())
	var it *InstallTimeoutError
	var inf *InstallFailedError
	switch {
	case errors.As(err, &it), errors.As(err, &inf), errors.Is(err, ErrDockerUnreachable):
		return err
	case image != "" && (strings.Contains(msg, "manifest unknown") || strings.Contains(msg, "pull access denied") ||
		strings.Contains(msg, "repository does not exist") || (strings.Contains(msg, "manifest for") && strings.Contains(msg, "not found")) ||
		strings.Contains(msg, "no such image")):
		return fmt.Errorf("%w: %s (%s). Fix: check that the tag exists (`docker pull %s`%s) and set %s",
			ErrImageNotFound, image, firstLine(err), image, tagsPage(component), knobFor(component))
	case strings.Contains(msg, "port is already allocated") || strings.Contains(msg, "address already in use") ||
		strings.Contains(msg, "ports are not available"):
		return fmt.Errorf("%w: %s (%s). Fix: a port psbench picked was taken meanwhile, or cache.redis.addr is in use: "+
			"run again, or free the port (`ss -ltnp`)", ErrPortTaken, component, firstLine(err))
	case strings.Contains(msg, "cannot connect to the docker daemon") || strings.Contains(msg, "connection refused") && strings.Contains(msg, "docker"):
		return fmt.Errorf("%w: %s", ErrDockerUnreachable, firstLine(err))
	}
	return err
}

func knobFor(component string) string {
	switch component {
	case "mysql":
		return "target.docker.mysql_version (e.g. 8.0 or 8.4)"
	case "prestashop":
		return "target.docker.prestashop_image (e.g. prestashop/prestashop:8.1)"
	}
	return "the image reference"
}

func tagsPage(component string) string {
	switch component {
	case "mysql":
		return "; tags: hub.docker.com/_/mysql/tags"
	case "prestashop":
		return "; tags: hub.docker.com/r/prestashop/prestashop/tags"
	}
	return ""
}

func firstLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// listen is net.Listen on TCP (a seam for tests).
var listen = func(addr string) (net.Listener, error) { return net.Listen("tcp", addr) }
