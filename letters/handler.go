package letters

import (
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"errors"
	"html/template"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"

	"github.com/leksono/sapa/locales"
)

//go:embed page/verify.html page/verify.css
var pageFS embed.FS

var (
	pageTemplate = template.Must(template.ParseFS(pageFS, "page/verify.html"))
	pageCSS      = func() string { b, _ := pageFS.ReadFile("page/verify.css"); return string(b) }()
	// pageCSP allows the one inline style sheet by its hash: no script at
	// all, no frames, forms only to this page.
	pageCSP = "default-src 'none'; style-src 'sha256-" + hashOf(pageCSS) + "'; form-action 'self'; " +
		"frame-ancestors 'none'; base-uri 'none'"
)

func hashOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// VerifyHandler serves the public verification page, without login and
// without JavaScript: GET /verifikasi shows a form to type a code, GET
// /verifikasi?kode=<code> and GET /verifikasi/<code> (the QR code's
// address) answer it. Mount it for both patterns:
//
//	mux.Handle("/verifikasi", h)
//	mux.Handle("/verifikasi/", h)
//
// Every answer carries a strict Content-Security-Policy, refuses framing,
// and is not cached (it names a person, masked). Look-ups are counted per
// client address (IPv6 per /64) as Check does: past the limit the page
// says when to come back, with status 429 and Retry-After.
func (i *Issuer) VerifyHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /verifikasi", i.serveVerify)
	mux.HandleFunc("GET /verifikasi/{$}", i.serveVerify)
	mux.HandleFunc("GET /verifikasi/{code}", i.serveVerify)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", pageCSP)
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		mux.ServeHTTP(w, r)
	})
}

// pageData is what the page shows.
type pageData struct {
	Lang    string
	Texts   map[string]string
	Code    string // as typed, to fill the form again
	Asked   bool   // a code was given
	Result  string // the answer, one paragraph per line
	Limited bool
	Valid   bool
	Revoked bool
	Rows    [][2]string // label, value of a letter found
}

func (i *Issuer) serveVerify(w http.ResponseWriter, r *http.Request) {
	typed := r.PathValue("code")
	if typed == "" {
		typed = r.URL.Query().Get("kode")
	}
	typed = strings.TrimSpace(typed)
	if len(typed) > 64 {
		typed = typed[:64]
	}
	d := pageData{Lang: "id", Code: typed, Asked: typed != "", Texts: map[string]string{}}
	for _, k := range []string{"title", "intro", "label", "button", "hint", "valid_title", "revoked_title", "unknown_title", "limited_title", "office"} {
		d.Texts[k] = i.text("verify.page."+k, map[string]string{"kecamatan": i.catalog.Office.Name, "kabupaten": i.catalog.Office.Regency})
	}
	status := http.StatusOK
	if d.Asked {
		v, err := i.Check(r.Context(), typed, WebAsker(i.clientAddr(r)))
		var limited *LimitedError
		switch {
		case errors.As(err, &limited):
			minutes := int(math.Ceil(limited.Wait.Minutes()))
			d.Limited, d.Result = true, i.text("verify.limited", map[string]string{"minutes": strconv.Itoa(minutes)})
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(limited.Wait.Seconds()))))
			status = http.StatusTooManyRequests
		case err != nil:
			i.log.Error("letter look-up failed", "err", err)
			http.Error(w, i.text("verify.failed", nil), http.StatusServiceUnavailable)
			return
		default:
			d.Valid, d.Revoked = v.Valid, v.Revoked
			d.Result = i.answer(locales.DefaultLang, v, false)
			if v.Found() {
				d.Rows = i.rows(v)
			}
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	if err := pageTemplate.Execute(w, struct {
		pageData
		CSS template.CSS
	}{d, template.CSS(pageCSS)}); err != nil {
		i.log.Warn("write the verification page", "err", err)
	}
}

// rows are the facts of a letter found, for the page's table.
func (i *Issuer) rows(v Verification) [][2]string {
	return [][2]string{
		{i.text("verify.field.number", nil), v.Number},
		{i.text("verify.field.date", nil), i.date(v.IssuedAt)},
		{i.text("verify.field.service", nil), v.Service},
		{i.text("verify.field.holder", nil), v.Holder},
		{i.text("verify.field.village", nil), v.Village},
	}
}

// WebAsker is the asker of Check for a web client: its address, an IPv6
// one cut to its /64 (what one household or phone gets).
func WebAsker(addr netip.Addr) string {
	addr = addr.Unmap()
	if addr.Is6() {
		p, err := addr.Prefix(64)
		if err == nil {
			return "web:" + p.String()
		}
	}
	return "web:" + addr.String()
}

// clientAddr is the address of the client: the connection's, or when that
// is a trusted proxy the last address of X-Forwarded-For that is not one.
func (i *Issuer) clientAddr(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return netip.IPv4Unspecified()
	}
	if !i.trusted(addr) {
		return addr
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for k := len(hops) - 1; k >= 0; k-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[k]))
		if err != nil {
			break
		}
		if !i.trusted(hop) {
			return hop
		}
		addr = hop
	}
	return addr
}

func (i *Issuer) trusted(a netip.Addr) bool {
	for _, p := range i.proxies {
		if p.Contains(a.Unmap()) {
			return true
		}
	}
	return false
}

// answer is the verification's answer as a person reads it in lang, on the
// page and in the chat. A code no letter has gets one answer, whatever was
// typed.
func (i *Issuer) answer(lang string, v Verification, chat bool) string {
	args := map[string]string{"kecamatan": i.catalog.Office.Name, "kabupaten": i.catalog.Office.Regency}
	if !v.Found() {
		return i.texts.T(lang, "verify.unknown", args)
	}
	args["number"], args["date"], args["service"] = v.Number, i.dateIn(lang, v.IssuedAt), v.Service
	args["holder"], args["village"] = v.Holder, v.Village
	key := "verify.valid"
	if v.Revoked {
		key = "verify.revoked"
	}
	if chat {
		key += "_chat"
	}
	return i.texts.T(lang, key, args)
}
