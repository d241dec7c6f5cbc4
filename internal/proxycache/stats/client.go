package stats

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// defaultClientTimeout bounds each request of a Client built without an
// http.Client.
const defaultClientTimeout = 30 * time.Second

// maxResponseBody bounds the responses a Client reads.
const maxResponseBody = 64 << 20

// Client is a typed client of the admin API served by NewAdmin.
type Client struct {
	base string
	hc   *http.Client
}

// NewClient returns a client of the admin API at baseURL (such as
// "http://127.0.0.1:9104"). A nil httpClient means a client with a 30s
// timeout.
func NewClient(baseURL string, httpClient *http.Client) *Client {
	if httpClient == nil {
		httpClient = &http.Client{Timeout: defaultClientTimeout}
	}
	return &Client{base: strings.TrimRight(baseURL, "/"), hc: httpClient}
}

// APIError is an error answer of the admin API. It unwraps to
// ErrCaptureNotFound or ErrTooManyCaptures when the status says so on a
// capture route.
type APIError struct {
	Method     string
	URL        string
	StatusCode int
	// Message is the server's error text (or the raw body when it was not
	// an ErrorResponse).
	Message string
	err     error
}

// Error implements error.
func (e *APIError) Error() string {
	return fmt.Sprintf("%s %s: status %d: %s", e.Method, e.URL, e.StatusCode, e.Message)
}

// Unwrap returns the sentinel error matching the status, if any.
func (e *APIError) Unwrap() error { return e.err }

// Stats returns GET /stats.
func (c *Client) Stats(ctx context.Context) (StatsResponse, error) {
	var out StatsResponse
	err := c.do(ctx, http.MethodGet, "/stats", nil, http.StatusOK, &out)
	return out, err
}

// Flush flushes the cache (POST /cache/flush).
func (c *Client) Flush(ctx context.Context) error {
	var out FlushResponse
	if err := c.do(ctx, http.MethodPost, "/cache/flush", nil, http.StatusOK, &out); err != nil {
		return err
	}
	if !out.Flushed {
		return fmt.Errorf("POST %s/cache/flush: answer did not confirm the flush", c.base)
	}
	return nil
}

// Health returns nil when the proxy reports its backend reachable
// (GET /healthz), else an *APIError carrying the reason.
func (c *Client) Health(ctx context.Context) error {
	var out HealthResponse
	return c.do(ctx, http.MethodGet, "/healthz", nil, http.StatusOK, &out)
}

// StartCapture opens a capture window and returns its id (POST /capture).
func (c *Client) StartCapture(ctx context.Context, req CaptureRequest) (string, error) {
	var out CaptureStarted
	if err := c.do(ctx, http.MethodPost, "/capture", req, http.StatusCreated, &out); err != nil {
		return "", err
	}
	if out.ID == "" {
		return "", fmt.Errorf("POST %s/capture: answer carries no capture id", c.base)
	}
	return out.ID, nil
}

// ReadCapture returns a capture's counts so far (GET /capture/{id}).
func (c *Client) ReadCapture(ctx context.Context, id string) (CaptureSnapshot, error) {
	var out CaptureSnapshot
	err := c.do(ctx, http.MethodGet, "/capture/"+url.PathEscape(id), nil, http.StatusOK, &out)
	return out, err
}

// StopCapture closes a capture and returns its final counts
// (POST /capture/{id}/stop).
func (c *Client) StopCapture(ctx context.Context, id string) (CaptureSnapshot, error) {
	var out CaptureSnapshot
	err := c.do(ctx, http.MethodPost, "/capture/"+url.PathEscape(id)+"/stop", nil, http.StatusOK, &out)
	return out, err
}

// do sends one request with an optional JSON body and decodes a JSON
// answer of status want into out.
func (c *Client) do(ctx context.Context, method, path string, in any, want int, out any) error {
	u := c.base + path
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("%s %s: encode request: %w", method, u, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, u, err)
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, u, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	if err != nil {
		return fmt.Errorf("%s %s: status %d: read body: %w", method, u, resp.StatusCode, err)
	}
	if resp.StatusCode != want {
		return apiError(method, u, path, resp.StatusCode, raw)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%s %s: status %d: decode body: %w", method, u, resp.StatusCode, err)
	}
	return nil
}

// apiError builds the *APIError of an unexpected answer.
func apiError(method, u, path string, status int, raw []byte) *APIError {
	e := &APIError{Method: method, URL: u, StatusCode: status}
	var er ErrorResponse
	var hr HealthResponse
	switch {
	case json.Unmarshal(raw, &hr) == nil && hr.Error != "":
		e.Message = hr.Error
	case json.Unmarshal(raw, &er) == nil && er.Error != "":
		e.Message = er.Error
	default:
		e.Message = strings.TrimSpace(string(raw))
	}
	if strings.HasPrefix(path, "/capture") {
		switch status {
		case http.StatusNotFound:
			e.err = ErrCaptureNotFound
		case http.StatusConflict:
			e.err = ErrTooManyCaptures
		}
	}
	return e
}
