package stats

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// maxRequestBody bounds the JSON bodies the admin API reads.
const maxRequestBody = 1 << 20

// AdminControls are the proxy core's parts of the admin API. Every field is
// optional: a nil Flush answers 501, a nil Health reports healthy, nil
// Usage and Info leave "cache" and "proxy" out of /stats.
type AdminControls struct {
	// Flush removes every cache entry.
	Flush func(ctx context.Context) error
	// Usage reports the cache tiers' usage; embedded in /stats as "cache".
	Usage func() any
	// Health reports whether the backend is reachable.
	Health func(ctx context.Context) error
	// Info reports the proxy's version and configuration summary; embedded
	// in /stats as "proxy".
	Info func() any
}

// StatsResponse is the body of GET /stats: the Snapshot's fields, plus the
// cache tiers' usage and the proxy's info as the core reported them.
type StatsResponse struct {
	Snapshot
	Cache json.RawMessage `json:"cache,omitempty"`
	Proxy json.RawMessage `json:"proxy,omitempty"`
}

// CaptureStarted is the body of a successful POST /capture.
type CaptureStarted struct {
	ID string `json:"id"`
}

// FlushResponse is the body of a successful POST /cache/flush.
type FlushResponse struct {
	Flushed bool `json:"flushed"`
}

// HealthResponse is the body of GET /healthz: Status "ok" (200) or
// "unavailable" (503) with Error.
type HealthResponse struct {
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
}

// ErrorResponse is the body of every error answer.
type ErrorResponse struct {
	Error string `json:"error"`
}

// admin serves the admin API.
type admin struct {
	s       *Stats
	c       AdminControls
	metrics http.Handler
}

// NewAdmin returns the proxy's admin API:
//
//	GET    /stats              StatsResponse
//	GET    /metrics            Prometheus exposition of s.Registry()
//	POST   /cache/flush        FlushResponse; counts in Snapshot.Flushes
//	GET    /healthz            HealthResponse, 200 or 503
//	POST   /capture            optional CaptureRequest body; 201 CaptureStarted
//	GET    /capture/{id}       CaptureSnapshot (the capture stays open)
//	POST   /capture/{id}/stop  final CaptureSnapshot (the capture is removed)
//	DELETE /capture/{id}       same as POST /capture/{id}/stop
//
// Errors are JSON ErrorResponse bodies: 400 for a bad body, 404 for an
// unknown path or capture id, 405 (with Allow) for a wrong method, 409 when
// too many captures are open, 500 when a control fails, 501 for a missing
// control.
func NewAdmin(s *Stats, c AdminControls) http.Handler {
	a := &admin{
		s: s,
		c: c,
		metrics: promhttp.HandlerFor(s.Registry(), promhttp.HandlerOpts{
			ErrorHandling: promhttp.ContinueOnError,
		}),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /stats", a.stats)
	mux.Handle("GET /metrics", a.metrics)
	mux.HandleFunc("POST /cache/flush", a.flush)
	mux.HandleFunc("GET /healthz", a.health)
	mux.HandleFunc("POST /capture", a.startCapture)
	mux.HandleFunc("GET /capture/{id}", a.readCapture)
	mux.HandleFunc("DELETE /capture/{id}", a.stopCapture)
	mux.HandleFunc("POST /capture/{id}/stop", a.stopCapture)
	// Method-less patterns are less specific than the ones above, so they
	// catch only wrong methods (and answer in JSON, unlike ServeMux).
	for path, allow := range map[string]string{
		"/stats":             "GET, HEAD",
		"/metrics":           "GET, HEAD",
		"/cache/flush":       "POST",
		"/healthz":           "GET, HEAD",
		"/capture":           "POST",
		"/capture/{id}":      "GET, HEAD, DELETE",
		"/capture/{id}/stop": "POST",
	} {
		mux.HandleFunc(path, methodNotAllowed(allow))
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, fmt.Errorf("no route for %s %s", r.Method, r.URL.Path))
	})
	return mux
}

// methodNotAllowed answers 405 naming the allowed methods.
func methodNotAllowed(allow string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		writeError(w, http.StatusMethodNotAllowed, fmt.Errorf("method %s not allowed for %s (allowed: %s)", r.Method, r.URL.Path, allow))
	}
}

// stats serves GET /stats.
func (a *admin) stats(w http.ResponseWriter, _ *http.Request) {
	resp := StatsResponse{Snapshot: a.s.Snapshot()}
	var err error
	if a.c.Usage != nil {
		if resp.Cache, err = json.Marshal(a.c.Usage()); err != nil {
			writeError(w, http.StatusInternalServerError, fmt.Errorf("encode cache usage: %w", err))
			return
		}
	}
	if a.c.Info != nil {
		if resp.Proxy, err = json.Marshal(a.c.Info()); err != nil {
			writeError(w, http.StatusInternalServerError, fmt.Errorf("encode proxy info: %w", err))
			return
		}
	}
	writeJSON(w, http.StatusOK, resp)
}

// flush serves POST /cache/flush.
func (a *admin) flush(w http.ResponseWriter, r *http.Request) {
	if a.c.Flush == nil {
		writeError(w, http.StatusNotImplemented, errors.New("flush cache: not supported by this proxy"))
		return
	}
	if err := a.c.Flush(r.Context()); err != nil {
		writeError(w, http.StatusInternalServerError, fmt.Errorf("flush cache: %w", err))
		return
	}
	a.s.Flushed()
	writeJSON(w, http.StatusOK, FlushResponse{Flushed: true})
}

// health serves GET /healthz.
func (a *admin) health(w http.ResponseWriter, r *http.Request) {
	if a.c.Health != nil {
		if err := a.c.Health(r.Context()); err != nil {
			writeJSON(w, http.StatusServiceUnavailable, HealthResponse{Status: "unavailable", Error: fmt.Sprintf("backend health: %v", err)})
			return
		}
	}
	writeJSON(w, http.StatusOK, HealthResponse{Status: "ok"})
}

// startCapture serves POST /capture.
func (a *admin) startCapture(w http.ResponseWriter, r *http.Request) {
	var req CaptureRequest
	if err := decodeOptionalJSON(r, &req); err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("capture request: %w", err))
		return
	}
	id, err := a.s.StartCapture(req)
	if err != nil {
		writeError(w, statusOf(err), err)
		return
	}
	w.Header().Set("Location", "/capture/"+id)
	writeJSON(w, http.StatusCreated, CaptureStarted{ID: id})
}

// readCapture serves GET /capture/{id}.
func (a *admin) readCapture(w http.ResponseWriter, r *http.Request) {
	snap, err := a.s.ReadCapture(r.PathValue("id"))
	if err != nil {
		writeError(w, statusOf(err), err)
		return
	}
	writeJSON(w, http.StatusOK, snap)
}

// stopCapture serves POST /capture/{id}/stop and DELETE /capture/{id}.
func (a *admin) stopCapture(w http.ResponseWriter, r *http.Request) {
	snap, err := a.s.StopCapture(r.PathValue("id"))
	if err != nil {
		writeError(w, statusOf(err), err)
		return
	}
	writeJSON(w, http.StatusOK, snap)
}

// statusOf maps capture errors to HTTP statuses.
func statusOf(err error) int {
	switch {
	case errors.Is(err, ErrCaptureNotFound):
		return http.StatusNotFound
	case errors.Is(err, ErrTooManyCaptures):
		return http.StatusConflict
	default:
		return http.StatusInternalServerError
	}
}

// decodeOptionalJSON decodes r's body into v; an empty body leaves v as it
// is. Unknown fields and trailing data are errors naming what was wrong.
func decodeOptionalJSON(r *http.Request, v any) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
	if err != nil {
		return fmt.Errorf("read body: %w", err)
	}
	if len(body) > maxRequestBody {
		return fmt.Errorf("body larger than %d bytes", maxRequestBody)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("decode JSON body: %w", err)
	}
	if err := dec.Decode(new(json.RawMessage)); !errors.Is(err, io.EOF) {
		return errors.New("decode JSON body: unexpected data after the JSON object")
	}
	return nil
}

// writeJSON writes v as a JSON response.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body, _ = json.Marshal(ErrorResponse{Error: fmt.Sprintf("encode response: %v", err)})
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

// writeError writes an ErrorResponse.
func writeError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, ErrorResponse{Error: err.Error()})
}
