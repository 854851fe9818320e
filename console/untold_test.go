package console_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"
)

// #16.15 in the console: an officer acting on the case of a citizen whose
// chat refuses the bot is told, on the case page, that the citizen was NOT
// told, and nothing is sent to that chat.
func TestConsoleSaysWhenTheCitizenWasNotTold(t *testing.T) {
	t.Parallel()
	d := newDesk(t)
	ticket := d.file("1003", "Siti Aminah", "")
	if _, err := d.store.MarkUnreachable(context.Background(), "telegram", "1003", time.Now()); err != nil {
		t.Fatal(err)
	}
	b := d.browser()
	d.login(b, "petugas_kesos", "9002")
	page := "/kasus/" + ticket
	_, where, body := b.post(page, url.Values{"aksi": {"verifikasi"}})
	if !strings.Contains(where, "hasil=unreachable") {
		t.Fatalf("verify a blocked citizen's case: at %s, want hasil=unreachable", where)
	}
	if !strings.Contains(body, "warga TIDAK bisa diberi tahu") || strings.Contains(body, "Warga sudah diberi tahu") {
		t.Errorf("the case page does not say the citizen was not told")
	}
	if got := d.notes.to("1003"); len(got) != 0 {
		t.Errorf("a blocked chat was sent %q", got)
	}
}
