package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/leksono/sapa/channels/telegram/telegramtest"
	"github.com/leksono/sapa/services"
)

// TestConsoleVisitsInABrowser: a citizen books the pick-up of an SKTM by
// chat on the wired bot (fake Bot API, real Redis and PostgreSQL), and the
// unit's officer finds it on the console's day page for that day; a visit
// of today is marked as come with the page's button, and the chat's
// "jadwal" reads the same. Another unit's officer sees neither.
func TestConsoleVisitsInABrowser(t *testing.T) {
	srv := telegramtest.NewServer(t, testToken)
	cfg := serverSettings(t, srv, map[string]string{"CONFIG_DIR": officeWithStaff(t), "CONSOLE_ADDR": "127.0.0.1:0"})
	a := startBot(t, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	base := "http://" + a.console.Addr()
	c := &chats{t: t, srv: srv, seen: map[int64]int{}}
	const kasi, petugasPem, citizen = int64(7002), int64(7003), int64(5570001)
	ctx := context.Background()

	fileSKTM(c, citizen, "Siti Aminah")
	srv.PushText(citizen, citizen, "ya")
	ticket := regexp.MustCompile(`LKS-\d{6}-\d{4}`).FindString(c.next(citizen, "Pilih waktu datang"))
	srv.PushText(citizen, citizen, "1")
	c.next(citizen, "Jadwal kunjungan Anda")
	booked, err := a.cases.TicketVisit(ctx, ticket)
	if err != nil || booked.Status != services.VisitBooked {
		t.Fatalf("the chat's booking = %+v, %v", booked, err)
	}

	// A second case of the unit expected today, booked behind the chat's
	// back as an earlier day's booking would be.
	fileSKTM(c, citizen+1, "Budi Santoso")
	srv.PushText(citizen+1, citizen+1, "ya")
	today := regexp.MustCompile(`LKS-\d{6}-\d{4}`).FindString(c.next(citizen+1, "Nomor tiket"))
	if a.engine.Schedule() == nil {
		t.Fatal("the wired engine keeps no schedule")
	}
	day := time.Now().In(jakarta()).Format(time.DateOnly)
	if _, err := a.cases.BookVisit(ctx, services.NewVisit{
		Ticket: today, ServiceCode: "sktm", Unit: "kesejahteraan_sosial", Purpose: services.VisitPickup,
		Slot: services.Slot{Day: day, Start: "08:00", End: "09:00"}, Capacity: 4, At: time.Now(),
		Channel: "telegram", ChatID: fmt.Sprint(citizen + 1), Lang: "id",
	}); err != nil {
		t.Fatal(err)
	}

	tb := newTab(t, base, 1366, 768)
	tb.login(c, "kasi_kesos", kasi)
	tb.open("/jadwal?tanggal=" + booked.Slot.Day)
	row := fmt.Sprintf("tr[data-ticket=%q]", ticket)
	tb.waitFor(row)
	if got := tb.text(row); !strings.Contains(got, "Siti Aminah") || !strings.Contains(got, "Dijadwalkan") {
		t.Errorf("the booked visit's row: %q", got)
	}
	if booked.Slot.Day > day {
		if n := tb.count(row + " form.arrive"); n != 0 {
			t.Errorf("a visit of a coming day offers to mark it as come")
		}
	}

	tb.open("/jadwal")
	row = fmt.Sprintf("tr[data-ticket=%q]", today)
	tb.waitFor(row)
	tb.shot("visits")
	tb.submit(row + " form.arrive button")
	tb.waitFor("p.notice[role=status]")
	if got := tb.text(row); !strings.Contains(got, "Sudah datang") {
		t.Errorf("after the button, the row says %q", got)
	}
	v, err := a.cases.TicketVisit(ctx, today)
	if err != nil || v.Status != services.VisitVisited || v.DoneBy != "kasi_kesos" {
		t.Errorf("the visit after the button = %+v, %v", v, err)
	}
	// The chat's list is the same schedule.
	srv.PushText(kasi, kasi, "jadwal")
	c.find(kasi, today+" Budi Santoso")

	other := newTab(t, base, 1366, 768)
	other.login(c, "petugas_pem", petugasPem)
	other.open("/jadwal")
	other.waitFor("p.empty")
}

// count is how many elements match the CSS selector.
func (tb *tab) count(css string) int {
	tb.t.Helper()
	n, err := chromedp.Run(tb.ctx, chromedp.Evaluate[int](fmt.Sprintf("document.querySelectorAll(%q).length", css)))
	if err != nil {
		tb.t.Fatalf("count %s: %v", css, err)
	}
	return n
}

// jakarta is the office zone of the shipped configuration.
func jakarta() *time.Location {
	loc, err := time.LoadLocation("Asia/Jakarta")
	if err != nil {
		panic(err)
	}
	return loc
}
