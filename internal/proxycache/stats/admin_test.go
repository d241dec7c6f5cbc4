package stats

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// adminFixture is an admin API over a test server with controllable
// controls.
type adminFixture struct {
	s       *Stats
	srv     *httptest.Server
	flushes atomic.Int64
	flushFn func(context.Context) error
	health  error
}

// newAdminFixture starts an admin API server.
func newAdminFixture(t *testing.T, opts Options) *adminFixture {
	t.Helper()
	f := &adminFixture{}
	f.s, _ = newTestStats(t, opts)
	f.flushFn = func(context.Context) error { f.flushes.Add(1); return nil }
	f.srv = httptest.NewServer(NewAdmin(f.s, AdminControls{
		Flush:  func(ctx context.Context) error { return f.flushFn(ctx) },
		Usage:  func() any { return map[string]any{"mode": "local", "entries": 12} },
		Health: func(context.Context) error { return f.health },
		Info:   func() any { return map[string]string{"version": "test"} },
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// call sends one request and returns the status, headers and body.
func (f *adminFixture) call(t *testing.T, method, path, body string) (int, http.Header, []byte) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, f.srv.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// decode unmarshals a JSON body, failing the test on error.
func decode[T any](t *testing.T, body []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return v
}

func TestAdminStats(t *testing.T) {
	f := newAdminFixture(t, Options{})
	f.s.ConnOpened(conn(1, 5001))
	f.s.Statement(hitEv(1, selectClass("d", "SELECT 1", tref("shop", "t")), us))
	code, hdr, body := f.call(t, http.MethodGet, "/stats", "")
	if code != http.StatusOK || hdr.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /stats: %d %s", code, hdr.Get("Content-Type"))
	}
	resp := decode[StatsResponse](t, body)
	if resp.Hits != 1 || resp.Connections.Active != 1 || resp.Tables["shop.t"].Hits != 1 {
		t.Errorf("stats = %+v", resp.Snapshot)
	}
	if string(resp.Cache) != `{"entries":12,"mode":"local"}` || string(resp.Proxy) != `{"version":"test"}` {
		t.Errorf("cache %s proxy %s", resp.Cache, resp.Proxy)
	}
	top := decode[map[string]json.RawMessage](t, body)
	for _, k := range []string{"hits", "client_statements", "digests", "cache", "proxy"} {
		if top[k] == nil {
			t.Errorf("/stats lacks %q", k)
		}
	}
}

func TestAdminStatsEncodeError(t *testing.T) {
	s, _ := newTestStats(t, Options{})
	srv := httptest.NewServer(NewAdmin(s, AdminControls{Usage: func() any { return make(chan int) }}))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusInternalServerError || !strings.Contains(decode[ErrorResponse](t, body).Error, "encode cache usage") {
		t.Errorf("GET /stats with bad usage: %d %s", resp.StatusCode, body)
	}
}

func TestAdminFlush(t *testing.T) {
	f := newAdminFixture(t, Options{})
	code, _, body := f.call(t, http.MethodPost, "/cache/flush", "")
	if code != http.StatusOK || strings.TrimSpace(string(body)) != `{"flushed":true}` || f.flushes.Load() != 1 || f.s.Snapshot().Flushes != 1 {
		t.Errorf("flush: %d %s, core flushes %d, stats flushes %d", code, body, f.flushes.Load(), f.s.Snapshot().Flushes)
	}
	f.flushFn = func(context.Context) error { return errors.New("redis down") }
	code, _, body = f.call(t, http.MethodPost, "/cache/flush", "")
	if code != http.StatusInternalServerError || decode[ErrorResponse](t, body).Error != "flush cache: redis down" || f.s.Snapshot().Flushes != 1 {
		t.Errorf("failed flush: %d %s, stats flushes %d (want 1)", code, body, f.s.Snapshot().Flushes)
	}

	s, _ := newTestStats(t, Options{})
	srv := httptest.NewServer(NewAdmin(s, AdminControls{}))
	defer srv.Close()
	resp, err := srv.Client().Post(srv.URL+"/cache/flush", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotImplemented {
		t.Errorf("flush without control: %d, want 501", resp.StatusCode)
	}
}

func TestAdminHealth(t *testing.T) {
	f := newAdminFixture(t, Options{})
	code, _, body := f.call(t, http.MethodGet, "/healthz", "")
	if code != http.StatusOK || strings.TrimSpace(string(body)) != `{"status":"ok"}` {
		t.Errorf("healthy: %d %s", code, body)
	}
	f.health = errors.New("dial tcp 127.0.0.1:3306: connection refused")
	code, _, body = f.call(t, http.MethodGet, "/healthz", "")
	h := decode[HealthResponse](t, body)
	if code != http.StatusServiceUnavailable || h.Status != "unavailable" || !strings.Contains(h.Error, "connection refused") {
		t.Errorf("unhealthy: %d %s", code, body)
	}
}

func TestAdminCaptureLifecycle(t *testing.T) {
	f := newAdminFixture(t, Options{})
	code, hdr, body := f.call(t, http.MethodPost, "/capture", `{"label":"/product/1","conn_ids":[7]}`)
	if code != http.StatusCreated {
		t.Fatalf("POST /capture: %d %s", code, body)
	}
	id := decode[CaptureStarted](t, body).ID
	if id == "" || hdr.Get("Location") != "/capture/"+id {
		t.Fatalf("started %s, Location %q", body, hdr.Get("Location"))
	}
	f.s.Statement(hitEv(7, selectClass("d", ""), us))
	f.s.Statement(hitEv(8, selectClass("d", ""), us))

	code, _, body = f.call(t, http.MethodGet, "/capture/"+id, "")
	read := decode[CaptureSnapshot](t, body)
	if code != http.StatusOK || read.Label != "/product/1" || read.Hits != 1 || !read.Active {
		t.Errorf("GET capture: %d %s", code, body)
	}
	code, _, body = f.call(t, http.MethodPost, "/capture/"+id+"/stop", "")
	final := decode[CaptureSnapshot](t, body)
	if code != http.StatusOK || final.Hits != 1 || final.Active || final.EndedAt.IsZero() {
		t.Errorf("stop capture: %d %s", code, body)
	}
	code, _, body = f.call(t, http.MethodGet, "/capture/"+id, "")
	if code != http.StatusNotFound || !strings.Contains(decode[ErrorResponse](t, body).Error, id) {
		t.Errorf("GET stopped capture: %d %s", code, body)
	}

	// Empty body, and DELETE as stop.
	code, _, body = f.call(t, http.MethodPost, "/capture", "")
	if code != http.StatusCreated {
		t.Fatalf("POST /capture without body: %d %s", code, body)
	}
	id = decode[CaptureStarted](t, body).ID
	code, _, body = f.call(t, http.MethodDelete, "/capture/"+id, "")
	if code != http.StatusOK || decode[CaptureSnapshot](t, body).ID != id {
		t.Errorf("DELETE capture: %d %s", code, body)
	}
}

func TestAdminErrors(t *testing.T) {
	f := newAdminFixture(t, Options{MaxCaptures: 1})
	for _, c := range []struct {
		method, path, body string
		status             int
		errContains        string
		allow              string
	}{
		{"POST", "/capture", `{"label":`, 400, "decode JSON body", ""},
		{"POST", "/capture", `{"lable":"x"}`, 400, `unknown field "lable"`, ""},
		{"POST", "/capture", `{"conn_ids":"7"}`, 400, "conn_ids", ""},
		{"POST", "/capture", `{"label":"x"} {}`, 400, "unexpected data after the JSON object", ""},
		{"POST", "/capture", `[1]`, 400, "capture request", ""},
		{"GET", "/capture/nope", "", 404, `capture "nope": capture not found`, ""},
		{"POST", "/capture/nope/stop", "", 404, "capture not found", ""},
		{"DELETE", "/capture/nope", "", 404, "capture not found", ""},
		{"GET", "/nope", "", 404, "no route for GET /nope", ""},
		{"GET", "/capture/", "", 404, "no route", ""},
		{"POST", "/stats", "", 405, "method POST not allowed", "GET, HEAD"},
		{"PUT", "/metrics", "", 405, "not allowed", "GET, HEAD"},
		{"GET", "/cache/flush", "", 405, "not allowed", "POST"},
		{"DELETE", "/healthz", "", 405, "not allowed", "GET, HEAD"},
		{"GET", "/capture", "", 405, "not allowed", "POST"},
		{"PUT", "/capture/abc", "", 405, "not allowed", "GET, HEAD, DELETE"},
		{"GET", "/capture/abc/stop", "", 405, "not allowed", "POST"},
	} {
		code, hdr, body := f.call(t, c.method, c.path, c.body)
		if code != c.status || hdr.Get("Content-Type") != "application/json" {
			t.Errorf("%s %s: %d %s %s, want %d JSON", c.method, c.path, code, hdr.Get("Content-Type"), body, c.status)
			continue
		}
		if e := decode[ErrorResponse](t, body); !strings.Contains(e.Error, c.errContains) {
			t.Errorf("%s %s: error %q, want it to contain %q", c.method, c.path, e.Error, c.errContains)
		}
		if hdr.Get("Allow") != c.allow {
			t.Errorf("%s %s: Allow %q, want %q", c.method, c.path, hdr.Get("Allow"), c.allow)
		}
	}

	if code, _, body := f.call(t, http.MethodPost, "/capture", ""); code != http.StatusCreated {
		t.Fatalf("first capture: %d %s", code, body)
	}
	code, _, body := f.call(t, http.MethodPost, "/capture", `{"label":"second"}`)
	if code != http.StatusConflict || !strings.Contains(decode[ErrorResponse](t, body).Error, "too many open captures") {
		t.Errorf("capture over MaxCaptures: %d %s", code, body)
	}
}
