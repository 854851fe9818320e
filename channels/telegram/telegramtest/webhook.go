package telegramtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// webhookState is what setWebhook set: while url is not empty, getUpdates
// fails with 409 as on Telegram.
type webhookState struct {
	url         string
	secret      string
	allowed     []string
	sets        int // setWebhook calls
	deletes     int // deleteWebhook calls
	infoQueries int // getWebhookInfo calls
}

// WebhookInfo is the fake's webhook settings and how often the bot called
// the webhook methods.
type WebhookInfo struct {
	URL            string
	Secret         string   // secret_token of the last setWebhook
	AllowedUpdates []string // allowed_updates of the last setWebhook
	Sets, Deletes  int
	InfoQueries    int
}

// Webhook returns the webhook settings as the bot left them.
func (s *Server) Webhook() WebhookInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.webhook
	return WebhookInfo{URL: w.url, Secret: w.secret, AllowedUpdates: w.allowed, Sets: w.sets, Deletes: w.deletes, InfoQueries: w.infoQueries}
}

// SetWebhook sets a webhook as if another process had called setWebhook,
// so that getUpdates fails with 409 until the bot deletes it.
func (s *Server) SetWebhook(url, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.webhook.url, s.webhook.secret = url, secret
	s.notifyLocked()
}

// Deliver posts one update to the webhook the bot set, the way Telegram
// does (JSON body, the secret in X-Telegram-Bot-Api-Secret-Token), and
// returns the HTTP status. The update is given as Telegram's JSON; updateID
// replaces its update_id, so tests control redeliveries.
func (s *Server) Deliver(ctx context.Context, updateID int, raw json.RawMessage) (int, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return 0, fmt.Errorf("telegramtest: Deliver: invalid update JSON: %w", err)
	}
	fields["update_id"] = json.RawMessage(fmt.Sprint(updateID))
	body, err := json.Marshal(fields)
	if err != nil {
		return 0, fmt.Errorf("telegramtest: Deliver: %w", err)
	}
	w := s.Webhook()
	if w.URL == "" {
		return 0, fmt.Errorf("telegramtest: Deliver: no webhook is set")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("telegramtest: Deliver: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if w.Secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", w.Secret)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("telegramtest: Deliver: %w", err)
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// TextUpdate is the JSON of a text message from a citizen in a private chat,
// for Deliver.
func TextUpdate(chatID int64, messageID int, text string) json.RawMessage {
	raw, _ := json.Marshal(map[string]any{"message": map[string]any{
		"message_id": messageID,
		"from":       citizen(chatID),
		"chat":       privateChat(chatID),
		"date":       time.Now().Unix(),
		"text":       text,
	}})
	return raw
}

func (s *Server) serveWebhookMethod(w http.ResponseWriter, r *http.Request, method string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.notifyLocked()
	switch method {
	case "setWebhook":
		url := r.FormValue("url")
		if url == "" {
			// Telegram: an empty url removes the webhook.
			s.webhook.url, s.webhook.secret, s.webhook.allowed = "", "", nil
			s.webhook.sets++
			writeOK(w, true)
			return
		}
		secret := r.FormValue("secret_token")
		if len(secret) > 256 || !validSecret(secret) {
			writeError(w, http.StatusBadRequest, "Bad Request: secret token contains unallowed characters", 0)
			return
		}
		var allowed []string
		if a := r.FormValue("allowed_updates"); a != "" {
			if err := json.Unmarshal([]byte(a), &allowed); err != nil {
				writeError(w, http.StatusBadRequest, "Bad Request: can't parse allowed_updates", 0)
				return
			}
		}
		s.webhook.url, s.webhook.secret, s.webhook.allowed = url, secret, allowed
		s.webhook.sets++
		// A long poll in flight ends as on Telegram.
		s.pollGen++
		writeOK(w, true)
	case "deleteWebhook":
		s.webhook.url, s.webhook.secret, s.webhook.allowed = "", "", nil
		s.webhook.deletes++
		writeOK(w, true)
	case "getWebhookInfo":
		s.webhook.infoQueries++
		info := map[string]any{"url": s.webhook.url, "has_custom_certificate": false, "pending_update_count": len(s.queue)}
		if s.webhook.allowed != nil {
			info["allowed_updates"] = s.webhook.allowed
		}
		writeOK(w, info)
	}
}

// validSecret is Telegram's rule for secret_token: 1-256 characters of
// A-Z, a-z, 0-9, _ and -.
func validSecret(s string) bool {
	for _, c := range s {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
