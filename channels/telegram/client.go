package telegram

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// apiClient is the HTTP client handed to tgbotapi. It exists for two gaps in
// the library: requests are built without a context, so a long poll could not
// be interrupted on shutdown; and transport errors quote the request URL,
// which holds the bot token, into whatever logs them.
type apiClient struct {
	http  *http.Client
	token string

	mu sync.Mutex
	// pollCtx bounds the getUpdates request in flight. It is set by the
	// poll loop around each call because the library offers no other way to
	// pass a context through; only Run polls, one call at a time.
	pollCtx context.Context
}

// Do implements tgbotapi.HTTPClient.
func (c *apiClient) Do(req *http.Request) (*http.Response, error) {
	if strings.HasSuffix(req.URL.Path, "/getUpdates") {
		c.mu.Lock()
		ctx := c.pollCtx
		c.mu.Unlock()
		if ctx != nil {
			req = req.WithContext(ctx)
		}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, c.scrub(err)
	}
	return resp, nil
}

func (c *apiClient) setPollContext(ctx context.Context) {
	c.mu.Lock()
	c.pollCtx = ctx
	c.mu.Unlock()
}

// clearPollContext ends the bound set by setPollContext: requests outside
// a poll run without one.
func (c *apiClient) clearPollContext() {
	c.mu.Lock()
	c.pollCtx = nil
	c.mu.Unlock()
}

// scrub removes the token from the URL a transport error quotes.
func (c *apiClient) scrub(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) && c.token != "" {
		ue.URL = strings.ReplaceAll(ue.URL, c.token, "<token>")
	}
	return err
}
