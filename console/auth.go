package console

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"math/big"
	"net/http"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/locales"
	"github.com/leksono/sapa/services"
)

// How officers log in, and for how long.
const (
	codeTTL      = 5 * time.Minute  // a login code is good this long
	codeTries    = 5                // and for this many tries
	codesPerHour = 5                // codes sent for one name in an hour
	sessionIdle  = 30 * time.Minute // a session ends after this long unused
	linkTTL      = 15 * time.Minute // a console-link link is good this long

	sessionCookie = "sapa_sesi"
	loginCookie   = "sapa_masuk"
)

var (
	hexID    = regexp.MustCompile(`^[0-9a-f]{32}$`)
	sixDigit = regexp.MustCompile(`^[0-9]{6}$`)
)

// officerKey carries the logged-in officer in a request's context, and
// sessionKey the id of their session.
type (
	officerKey struct{}
	sessionKey struct{}
)

// postsPerMinute bounds the forms one officer may send in a minute, from
// all their browsers: far above what a person clicks, far below what a
// script or a stuck key sends.
const postsPerMinute = 30

// officer wraps a page for logged-in officers: anyone else is sent to the
// login page (a script fetching a part of a page gets 401). An officer
// sending forms faster than postsPerMinute is refused (429) until the
// minute is over.
func (s *Server) officer(page func(w http.ResponseWriter, r *http.Request, o services.Officer)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o, id, ok := s.session(w, r)
		if !ok {
			if r.Header.Get(fragmentHeader) != "" || r.URL.Path == "/peristiwa" {
				http.Error(w, http.StatusText(http.StatusUnauthorized), http.StatusUnauthorized)
				return
			}
			http.Redirect(w, r, "/masuk", http.StatusSeeOther)
			return
		}
		ctx := context.WithValue(context.WithValue(r.Context(), officerKey{}, o), sessionKey{}, id)
		r = r.WithContext(ctx)
		if r.Method == http.MethodPost {
			n, err := s.cfg.Tokens.Count(ctx, "posts:"+o.ID, time.Minute)
			if err != nil {
				s.fail(w, r, "count an officer's forms", err)
				return
			}
			if n > postsPerMinute {
				s.errorPage(w, r, http.StatusTooManyRequests, "console.error.too_fast")
				return
			}
		}
		page(w, r, o)
	})
}

// session finds the officer of the request's session cookie, and the
// session's id, and gives the session another idle period. A session of
// an officer no longer active in staff.yaml ends at once.
func (s *Server) session(w http.ResponseWriter, r *http.Request) (o services.Officer, id string, ok bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return services.Officer{}, "", false
	}
	id, secret, ok := strings.Cut(c.Value, ".")
	if !ok || !hexID.MatchString(id) || secret == "" {
		return services.Officer{}, "", false
	}
	raw, found, err := s.cfg.Tokens.Get(r.Context(), "session:"+id, sessionIdle)
	if err != nil {
		s.log.Warn("console: session store unreadable", "err", err)
		return services.Officer{}, "", false
	}
	if !found {
		return services.Officer{}, "", false
	}
	officerID, stored, _ := strings.Cut(string(raw), "\n")
	sum := sha256.Sum256([]byte(secret))
	if subtle.ConstantTimeCompare([]byte(hex.EncodeToString(sum[:])), []byte(stored)) != 1 {
		return services.Officer{}, "", false
	}
	o, ok = s.staff.Officer(officerID)
	if !ok || !o.Active {
		s.endSession(w, r, id)
		return services.Officer{}, "", false
	}
	return o, id, true
}

// startSession logs officer o in on this browser.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, o services.Officer) error {
	id, secret := randomHex(16), randomText(32)
	sum := sha256.Sum256([]byte(secret))
	if err := s.cfg.Tokens.Put(r.Context(), "session:"+id, []byte(o.ID+"\n"+hex.EncodeToString(sum[:])), sessionIdle); err != nil {
		return err
	}
	http.SetCookie(w, s.cookie(r, sessionCookie, id+"."+secret, "/", 0))
	s.log.Info("console: officer logged in", "officer", o.ID)
	return nil
}

// endSession forgets session id and its cookie.
func (s *Server) endSession(w http.ResponseWriter, r *http.Request, id string) {
	if _, err := s.cfg.Tokens.Delete(r.Context(), "session:"+id); err != nil {
		s.log.Warn("console: session not deleted", "err", err)
	}
	http.SetCookie(w, s.cookie(r, sessionCookie, "", "/", -1))
}

// cookie is one of the console's cookies: never readable by a script, never
// sent with a request another site starts, Secure over https.
func (s *Server) cookie(r *http.Request, name, value, path string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name: name, Value: value, Path: path, MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.secure(r),
	}
}

// secure reports whether r reached the console over https: directly, or
// through a trusted proxy that says so.
func (s *Server) secure(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	if !strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		return false
	}
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(peer.Addr().Unmap()) {
			return true
		}
	}
	return false
}

// loginPage asks who is logging in, or, once a code was sent, for the code.
func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	if _, _, ok := s.session(w, r); ok {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	v := loginView{Step: "who", Error: s.errorText(r.URL.Query().Get("galat"))}
	if _, err := r.Cookie(loginCookie); err == nil && r.URL.Query().Get("kode") != "" {
		v.Step = "code"
	}
	s.render(w, r, http.StatusOK, "login", nil, v)
}

// sendCode sends a login code to the chats of the officer named by id or
// phone number. The answer is the same whether the name is known or not,
// so the page tells nobody who works at the office.
func (s *Server) sendCode(w http.ResponseWriter, r *http.Request) {
	who := strings.TrimSpace(r.PostFormValue("siapa"))
	if who == "" {
		http.Redirect(w, r, "/masuk?galat=who", http.StatusSeeOther)
		return
	}
	o, known := s.findOfficer(who)
	limitKey := "sent:?" + hashHex(s.key("limit"), strings.ToLower(who))
	if known {
		limitKey = "sent:" + o.ID
	}
	n, err := s.cfg.Tokens.Count(r.Context(), limitKey, time.Hour)
	if err != nil {
		s.fail(w, r, "count login codes", err)
		return
	}
	if n > codesPerHour {
		http.Redirect(w, r, "/masuk?galat=too_many_codes", http.StatusSeeOther)
		return
	}
	pending := randomHex(16)
	if known {
		code := sixDigits()
		record := o.ID + "\n" + s.codeHash(pending, code)
		if err := s.cfg.Tokens.Put(r.Context(), "code:"+pending, []byte(record), codeTTL); err != nil {
			s.fail(w, r, "store a login code", err)
			return
		}
		s.deliverCode(r.Context(), o, code)
	}
	http.SetCookie(w, s.cookie(r, loginCookie, pending, "/masuk", int(codeTTL/time.Second)))
	http.Redirect(w, r, "/masuk?kode=1", http.StatusSeeOther)
}

// deliverCode sends code to every chat officer o is reachable in.
func (s *Server) deliverCode(ctx context.Context, o services.Officer, code string) {
	text := s.texts.T(locales.DefaultLang, "console.login.code_message", map[string]string{
		"code": code, "minutes": strconv.Itoa(int(codeTTL / time.Minute)), "office": s.catalog.Office.Name,
	})
	sent := 0
	for _, channel := range o.Contacts.Channels() {
		to := conversation.ChatKey{Channel: channel, ChatID: o.Contacts[channel]}
		if err := s.cfg.Notifier.Notify(ctx, to, conversation.Reply{Text: text}); err != nil {
			s.log.Warn("console: login code not sent", "officer", o.ID, "channel", channel, "err", err)
			continue
		}
		sent++
	}
	if sent == 0 {
		s.log.Warn("console: officer has no chat the login code could go to: give them an address in staff.yaml, or use bot console-link", "officer", o.ID)
	}
}

// findOfficer is the active officer with the id, WhatsApp number or
// Telegram id who.
func (s *Server) findOfficer(who string) (services.Officer, bool) {
	phone := services.NormalizePhone(who)
	for _, o := range s.staff.Officers {
		if !o.Active {
			continue
		}
		if strings.EqualFold(o.ID, who) || (phone != "" && o.Contacts["whatsapp"] == phone) || o.Contacts["telegram"] == who {
			return o, true
		}
	}
	return services.Officer{}, false
}

// checkCode logs the officer in when the code they typed is the one sent:
// at most codeTries tries, compared in constant time, and spent by its
// first use, so a code seen over a shoulder cannot be used again.
func (s *Server) checkCode(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(loginCookie)
	if err != nil || !hexID.MatchString(c.Value) {
		http.Redirect(w, r, "/masuk?galat=expired", http.StatusSeeOther)
		return
	}
	pending := c.Value
	ctx := r.Context()
	raw, found, err := s.cfg.Tokens.Get(ctx, "code:"+pending, 0)
	if err != nil {
		s.fail(w, r, "read a login code", err)
		return
	}
	if !found {
		http.SetCookie(w, s.cookie(r, loginCookie, "", "/masuk", -1))
		http.Redirect(w, r, "/masuk?galat=expired", http.StatusSeeOther)
		return
	}
	tries, err := s.cfg.Tokens.Count(ctx, "tries:"+pending, codeTTL)
	if err != nil {
		s.fail(w, r, "count tries", err)
		return
	}
	if tries > codeTries {
		if _, err := s.cfg.Tokens.Delete(ctx, "code:"+pending); err != nil {
			s.log.Warn("console: exhausted login code not deleted", "err", err)
		}
		http.SetCookie(w, s.cookie(r, loginCookie, "", "/masuk", -1))
		http.Redirect(w, r, "/masuk?galat=too_many_tries", http.StatusSeeOther)
		return
	}
	officerID, stored, _ := strings.Cut(string(raw), "\n")
	code := strings.Join(strings.Fields(r.PostFormValue("kode")), "")
	typed := s.codeHash(pending, code)
	if !sixDigit.MatchString(code) || subtle.ConstantTimeCompare([]byte(typed), []byte(stored)) != 1 {
		left := codeTries - int(tries)
		v := loginView{Step: "code", Error: s.texts.T(locales.DefaultLang, "console.login.wrong_code", map[string]string{"left": strconv.Itoa(left)})}
		s.render(w, r, http.StatusUnauthorized, "login", nil, v)
		return
	}
	spent, err := s.cfg.Tokens.Delete(ctx, "code:"+pending)
	if err != nil {
		s.fail(w, r, "spend a login code", err)
		return
	}
	o, ok := s.staff.Officer(officerID)
	if !spent || !ok || !o.Active {
		http.Redirect(w, r, "/masuk?galat=expired", http.StatusSeeOther)
		return
	}
	if err := s.startSession(w, r, o); err != nil {
		s.fail(w, r, "start a session", err)
		return
	}
	http.SetCookie(w, s.cookie(r, loginCookie, "", "/masuk", -1))
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// logout ends the session.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if id, _, ok := strings.Cut(c.Value, "."); ok && hexID.MatchString(id) {
			s.endSession(w, r, id)
		}
	}
	http.Redirect(w, r, "/masuk?galat=logged_out", http.StatusSeeOther)
}

// NewLink returns a one-time login link's token for officer, good for
// linkTTL from now: what `bot console-link` prints, for the first login
// before any chat is linked. It is signed with the console's secret, so
// the command needs no connection to the running bot.
func NewLink(secret []byte, officer string, now time.Time) string {
	payload := officer + "\x00" + strconv.FormatInt(now.Add(linkTTL).Unix(), 10) + "\x00" + randomHex(16)
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(payload)) + "." + enc.EncodeToString(sign(derive(secret, "link"), payload))
}

// LinkPath is where a link's token is followed.
func LinkPath(token string) string { return "/masuk/tautan/" + token }

// readLink checks a link's signature and expiry and returns its officer
// and nonce.
func (s *Server) readLink(token string) (officer, nonce string, err error) {
	enc := base64.RawURLEncoding
	p64, m64, ok := strings.Cut(token, ".")
	payload, perr := enc.DecodeString(p64)
	mac, merr := enc.DecodeString(m64)
	if !ok || perr != nil || merr != nil || !hmac.Equal(mac, sign(s.key("link"), string(payload))) {
		return "", "", errors.New("bad link")
	}
	parts := strings.Split(string(payload), "\x00")
	if len(parts) != 3 {
		return "", "", errors.New("bad link")
	}
	expires, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || s.now().Unix() > expires {
		return "", "", errors.New("expired link")
	}
	return parts[0], parts[2], nil
}

// followLink shows a link's confirmation; the login itself is a POST, so
// a link previewer that opens the link does not spend it.
func (s *Server) followLink(w http.ResponseWriter, r *http.Request) {
	officerID, _, err := s.readLink(r.PathValue("token"))
	o, ok := s.staff.Officer(officerID)
	if err != nil || !ok || !o.Active {
		http.Redirect(w, r, "/masuk?galat=expired", http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "login", nil, loginView{Step: "link", Name: o.Name, Action: LinkPath(r.PathValue("token"))})
}

// useLink logs the link's officer in, once.
func (s *Server) useLink(w http.ResponseWriter, r *http.Request) {
	officerID, nonce, err := s.readLink(r.PathValue("token"))
	o, ok := s.staff.Officer(officerID)
	if err != nil || !ok || !o.Active {
		http.Redirect(w, r, "/masuk?galat=expired", http.StatusSeeOther)
		return
	}
	first, err := s.cfg.Tokens.Claim(r.Context(), "link:"+nonce, linkTTL+time.Minute)
	if err != nil {
		s.fail(w, r, "spend a login link", err)
		return
	}
	if !first {
		http.Redirect(w, r, "/masuk?galat=expired", http.StatusSeeOther)
		return
	}
	if err := s.startSession(w, r, o); err != nil {
		s.fail(w, r, "start a session", err)
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// key is the console's key for one use, derived from its secret.
func (s *Server) key(purpose string) []byte { return derive(s.cfg.Secret, purpose) }

// codeHash is what is stored of a login code: keyed, and bound to the
// browser that asked for it.
func (s *Server) codeHash(pending, code string) string {
	return hex.EncodeToString(sign(s.key("code"), pending+"\x00"+code))
}

func derive(secret []byte, purpose string) []byte { return sign(secret, "console "+purpose) }

func sign(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

func hashHex(key []byte, msg string) string { return hex.EncodeToString(sign(key, msg))[:32] }

// sixDigits is a uniformly random login code.
func sixDigits() string {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		panic("console: crypto/rand failed: " + err.Error()) // never on supported platforms
	}
	s := n.String()
	return strings.Repeat("0", 6-len(s)) + s
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return hex.EncodeToString(b)
}

func randomText(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
