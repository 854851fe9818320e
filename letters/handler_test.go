package letters_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/leksono/sapa/letters"
	"github.com/leksono/sapa/services"
)

// get asks the verification page for path from the address from.
func get(t *testing.T, h http.Handler, path, from string) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.RemoteAddr = from + ":51234"
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	res := rec.Result()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(body)
}

func TestVerifyPage(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	valid, err := f.issuer.Issue(ctx, f.sktm(t, services.StatusVerifying), "kasi_kesos")
	if err != nil {
		t.Fatal(err)
	}
	revoked, err := f.issuer.Issue(ctx, f.sktm(t, services.StatusVerifying), "kasi_kesos")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.issuer.Revoke(ctx, revoked.Code, "camat", "data salah"); err != nil {
		t.Fatal(err)
	}
	h := f.issuer.VerifyHandler()

	res, body := get(t, h, "/verifikasi", "203.0.113.5")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `<form method="get" action="/verifikasi">`) || !strings.Contains(body, "Periksa keaslian surat") {
		t.Errorf("form page: %d\n%s", res.StatusCode, body)
	}
	for header, want := range map[string]string{
		"X-Frame-Options": "DENY", "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
		"Referrer-Policy": "no-referrer", "Content-Type": "text/html; charset=utf-8",
	} {
		if got := res.Header.Get(header); got != want {
			t.Errorf("%s = %q, want %q", header, got, want)
		}
	}
	csp := res.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "frame-ancestors 'none'", "style-src 'sha256-", "form-action 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(strings.ToLower(body), "<script") {
		t.Errorf("the page allows or has script: CSP %q", csp)
	}

	// The QR code's address of a valid letter.
	u, err := url.Parse(valid.VerifyURL)
	if err != nil {
		t.Fatal(err)
	}
	res, body = get(t, h, u.Path, "203.0.113.5")
	for _, want := range []string{"Surat asli dan berlaku", valid.Number, "14 April 2026", "Surat Keterangan Tidak Mampu (SKTM)", "Si** Am**** Ra****", "Sawangan"} {
		if !strings.Contains(body, want) {
			t.Errorf("valid letter's page lacks %q:\n%s", want, body)
		}
	}
	// Nothing else: no full name, NIK, ticket or officer.
	for _, leak := range []string{"Aminah", testNIK, valid.Ticket, "kasi_kesos"} {
		if strings.Contains(body, leak) {
			t.Errorf("valid letter's page shows %q", leak)
		}
	}
	if res.StatusCode != http.StatusOK {
		t.Errorf("status %d", res.StatusCode)
	}

	// The form's query, lower case: a revoked letter.
	_, body = get(t, h, "/verifikasi?kode="+url.QueryEscape(strings.ToLower(revoked.Code)), "203.0.113.5")
	if !strings.Contains(body, "Surat sudah dicabut") || !strings.Contains(body, revoked.Number) || strings.Contains(body, "data salah") {
		t.Errorf("revoked letter's page:\n%s", body)
	}

	// A made-up code and a mistyped one: the same page, byte for byte,
	// apart from the code typed back into the form.
	made := madeUpCode(t)
	_, madeUp := get(t, h, "/verifikasi/"+made, "203.0.113.5")
	_, typo := get(t, h, "/verifikasi/"+mistype(valid.Code), "203.0.113.5")
	if !strings.Contains(madeUp, "Kode tidak ditemukan") {
		t.Errorf("made-up code's page:\n%s", madeUp)
	}
	if strings.ReplaceAll(madeUp, made, "CODE") != strings.ReplaceAll(typo, mistype(valid.Code), "CODE") {
		t.Errorf("a mistyped code's page differs from a made-up one's:\n%s\n---\n%s", madeUp, typo)
	}
	// Escaped, never executed.
	_, body = get(t, h, "/verifikasi?kode="+url.QueryEscape(`"><script>alert(1)</script>`), "203.0.113.5")
	if strings.Contains(body, "<script>") || !strings.Contains(body, "Kode tidak ditemukan") {
		t.Errorf("typed markup reached the page:\n%s", body)
	}

	// Only GET and HEAD.
	req := httptest.NewRequest(http.MethodPost, "/verifikasi", strings.NewReader("kode=x"))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d, want 405", rec.Code)
	}

	// Every look-up is logged, masked.
	logs := f.logs.String()
	if !strings.Contains(logs, "outcome=valid") || !strings.Contains(logs, "outcome=revoked") ||
		!strings.Contains(logs, "outcome=unknown") || !strings.Contains(logs, "outcome=mistyped") || !strings.Contains(logs, "from=web:203.0.113.x") {
		t.Errorf("look-ups are not all logged:\n%s", logs)
	}
	if strings.Contains(logs, "203.0.113.5") || strings.Contains(logs, valid.Code) || strings.Contains(logs, strings.ReplaceAll(valid.Code, "-", "")) {
		t.Errorf("the log holds an address or a whole code:\n%s", logs)
	}
}

// TestThousandGuessesAreSlowedDown guesses a thousand codes from one
// address: the burst is answered, the rest are told to come back later,
// and a valid code guessed among them gets no answer either. Another
// address is not affected.
func TestThousandGuessesAreSlowedDown(t *testing.T) {
	f := newFixture(t)
	valid, err := f.issuer.Issue(context.Background(), f.sktm(t, services.StatusVerifying), "kasi_kesos")
	if err != nil {
		t.Fatal(err)
	}
	h := f.issuer.VerifyHandler()
	answered, limited := 0, 0
	for i := range 1000 {
		code := strings.Repeat("0", 4) + string("0123456789ABCDEFGHJK"[i%20]) + "-" + strings.Repeat("1", 5)
		res, body := get(t, h, "/verifikasi/"+code, "198.51.100.23")
		switch res.StatusCode {
		case http.StatusOK:
			answered++
		case http.StatusTooManyRequests:
			limited++
			if res.Header.Get("Retry-After") == "" || !strings.Contains(body, "Terlalu banyak pemeriksaan") {
				t.Fatalf("limited answer without Retry-After or text:\n%s", body)
			}
		default:
			t.Fatalf("guess %d: status %d", i, res.StatusCode)
		}
	}
	if answered != letters.LookupBurst || limited != 1000-letters.LookupBurst {
		t.Errorf("answered %d, limited %d of 1000 guesses; want %d answered", answered, limited, letters.LookupBurst)
	}
	if res, _ := get(t, h, "/verifikasi/"+valid.Code, "198.51.100.23"); res.StatusCode != http.StatusTooManyRequests {
		t.Errorf("a valid code from the guessing address: %d, want 429", res.StatusCode)
	}
	// Two minutes later one more look-up is allowed.
	f.clock.Add(letters.LookupInterval)
	if res, body := get(t, h, "/verifikasi/"+valid.Code, "198.51.100.23"); res.StatusCode != http.StatusOK || !strings.Contains(body, valid.Number) {
		t.Errorf("after the interval: %d", res.StatusCode)
	}
	if res, _ := get(t, h, "/verifikasi/"+valid.Code, "198.51.100.99"); res.StatusCode != http.StatusOK {
		t.Errorf("another address: %d, want 200", res.StatusCode)
	}
	// The same household on IPv6 counts as one.
	for range letters.LookupBurst {
		get(t, h, "/verifikasi/"+valid.Code, "[2001:db8:1:2::10]")
	}
	if res, _ := get(t, h, "/verifikasi/"+valid.Code, "[2001:db8:1:2::99]"); res.StatusCode != http.StatusTooManyRequests {
		t.Errorf("another address of the same IPv6 /64: %d, want 429", res.StatusCode)
	}
}

func TestWebAskerBehindProxy(t *testing.T) {
	if got := letters.WebAsker(netip.MustParseAddr("2001:db8:1:2:3:4:5:6")); got != "web:2001:db8:1:2::/64" {
		t.Errorf("IPv6 asker = %q", got)
	}
	if got := letters.WebAsker(netip.MustParseAddr("::ffff:203.0.113.9")); got != "web:203.0.113.9" {
		t.Errorf("mapped IPv4 asker = %q", got)
	}
}
