package pgstore_test

import (
	"bytes"
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/leksono/sapa/services"
	"github.com/leksono/sapa/store/pgstore"
)

// Every committed change to a case is told to OnChange, with its ticket:
// filing, a status change, an assignment, a note, more files. A refused
// change and a repeated submission tell nothing new.
func TestOnChange(t *testing.T) { eachBackend(t, testOnChange) }

func testOnChange(t *testing.T, b backend) {
	ctx := context.Background()
	s, _ := openStore(t, b)
	var mu sync.Mutex
	var told []string
	s.OnChange(func(ticket string) {
		mu.Lock()
		defer mu.Unlock()
		told = append(told, ticket)
	})
	nc := sample(1)
	nc.Kind, nc.ServiceCode, nc.Confidentiality = services.KindComplaint, "pengaduan", services.ConfidentialNormal
	r, err := s.SubmitCase(ctx, nc)
	if err != nil {
		t.Fatal(err)
	}
	at := nc.SubmittedAt.Add(time.Hour)
	if _, _, err := s.ChangeStatus(ctx, services.StatusChange{Ticket: r.Ticket, To: services.StatusVerifying, Actor: "budi", At: at}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.ChangeStatus(ctx, services.StatusChange{Ticket: r.Ticket, To: services.StatusDone, Actor: "budi", At: at}); err == nil {
		t.Fatal("verifikasi -> selesai accepted")
	}
	if _, _, err := s.Assign(ctx, r.Ticket, "budi", "sari", at); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.AddEvent(ctx, r.Ticket, services.EventNote, "budi", "berkas lengkap", at); err != nil {
		t.Fatal(err)
	}
	if err := s.AddAttachments(ctx, r.Ticket, []services.StoredFile{photoA}, at); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SubmitCase(ctx, nc); err != nil { // the same message again
		t.Fatal(err)
	}
	// A case numbered by the caller (one statement on PostgreSQL), twice.
	numbered := sample(2)
	numbered.TicketNumber = 7
	r2, err := s.SubmitCase(ctx, numbered)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SubmitCase(ctx, numbered); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := append(slices.Repeat([]string{r.Ticket}, 5), r2.Ticket); !slices.Equal(told, want) {
		t.Errorf("told %v, want %v", told, want)
	}
}

// A derived key is the same for the same keys and purpose, and differs
// between purposes and from every key it came from.
func TestDerive(t *testing.T) {
	a, b := testKeys(t), parseKeys(t, "k9:"+key32(9))
	link := a.Derive("console-link")
	if len(link) != 32 || !bytes.Equal(link, b.Derive("console-link")) {
		t.Errorf("derived keys differ for the same look-up key: %x, %x", link, b.Derive("console-link"))
	}
	if bytes.Equal(link, a.Derive("console-code")) {
		t.Error("two purposes derived the same key")
	}
	other, err := pgstore.ParseKeys("k1:"+key32(1), key32(0xBB))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(link, other.Derive("console-link")) {
		t.Error("another look-up key derived the same key")
	}
}
