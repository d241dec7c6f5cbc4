package stats

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestClientRoundTrips(t *testing.T) {
	f := newAdminFixture(t, Options{})
	ctx := context.Background()
	c := NewClient(f.srv.URL+"/", nil)

	if err := c.Health(ctx); err != nil {
		t.Fatalf("Health: %v", err)
	}
	id, err := c.StartCapture(ctx, CaptureRequest{Label: "/category/3"})
	if err != nil {
		t.Fatal(err)
	}
	f.s.ConnOpened(conn(1, 5001))
	f.s.Statement(missEv(1, selectClass("d", "SELECT ?", tref("shop", "ps_category")), true, "", us, 2*us))
	f.s.Statement(hitEv(1, selectClass("d", "SELECT ?", tref("shop", "ps_category")), us))
	read, err := c.ReadCapture(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	f.s.ConnClosed(conn(1, 5001))
	final, err := c.StopCapture(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}

	if read.Label != "/category/3" || read.Hits != 1 || read.Misses != 1 || !read.Active {
		t.Errorf("read = %+v", read)
	}
	want := CaptureConn{ID: 1, ClientAddr: "10.0.0.7:5001", User: "shop", OpenedInWindow: true, ClosedInWindow: true, Statements: 2, BackendCommands: 2}
	if final.Active || final.Flushes != 1 || final.BackendCommands.Total != 2 || len(final.Connections.PerConnection) != 1 || final.Connections.PerConnection[0] != want {
		t.Errorf("final = %+v", final)
	}
	if final.Tables["shop.ps_category"] != (TableCounts{Reads: 2, Hits: 1, Misses: 1, Backend: 1}) {
		t.Errorf("final tables = %+v", final.Tables)
	}
	if st.Hits != 1 || st.Flushes != 1 || st.Connections.Closed != 1 || st.BackendCommands.ByCommand["COM_QUIT"] != 1 || string(st.Proxy) != `{"version":"test"}` {
		t.Errorf("stats = %+v proxy %s", st.Snapshot, st.Proxy)
	}
}

func TestClientErrors(t *testing.T) {
	f := newAdminFixture(t, Options{MaxCaptures: 1})
	ctx := context.Background()
	c := NewClient(f.srv.URL, f.srv.Client())

	_, err := c.ReadCapture(ctx, "missing")
	var apiErr *APIError
	if !errors.Is(err, ErrCaptureNotFound) || !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusNotFound {
		t.Fatalf("ReadCapture(missing) = %v, want a 404 APIError matching ErrCaptureNotFound", err)
	}
	if msg := err.Error(); !strings.Contains(msg, f.srv.URL+"/capture/missing") || !strings.Contains(msg, "status 404") || !strings.Contains(msg, "capture not found") {
		t.Errorf("error %q should name the URL, the status and the server's message", msg)
	}
	if _, err := c.StopCapture(ctx, "missing"); !errors.Is(err, ErrCaptureNotFound) {
		t.Errorf("StopCapture(missing) = %v", err)
	}

	if _, err := c.StartCapture(ctx, CaptureRequest{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.StartCapture(ctx, CaptureRequest{}); !errors.Is(err, ErrTooManyCaptures) {
		t.Errorf("StartCapture over the limit = %v, want ErrTooManyCaptures", err)
	}

	f.health = errors.New("backend timeout")
	if err := c.Health(ctx); !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusServiceUnavailable || !strings.Contains(err.Error(), "backend timeout") {
		t.Errorf("Health = %v, want a 503 naming the backend error", err)
	}
	f.flushFn = func(context.Context) error { return errors.New("redis down") }
	if err := c.Flush(ctx); err == nil || !strings.Contains(err.Error(), "POST "+f.srv.URL+"/cache/flush: status 500: flush cache: redis down") {
		t.Errorf("Flush = %v", err)
	}

	down := httptest.NewServer(http.NotFoundHandler())
	url := down.URL
	down.Close()
	if _, err := NewClient(url, nil).Stats(ctx); err == nil || !strings.Contains(err.Error(), "GET "+url+"/stats") {
		t.Errorf("Stats on a closed server = %v, want the URL named", err)
	}

	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "bad gateway", http.StatusBadGateway)
	}))
	defer plain.Close()
	if err := NewClient(plain.URL, nil).Health(ctx); !errors.As(err, &apiErr) || apiErr.Message != "bad gateway" {
		t.Errorf("non-JSON error answer = %v", err)
	}
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("not json")) }))
	defer ok.Close()
	if _, err := NewClient(ok.URL, nil).Stats(ctx); err == nil || !strings.Contains(err.Error(), "decode body") {
		t.Errorf("non-JSON success answer = %v", err)
	}
}
