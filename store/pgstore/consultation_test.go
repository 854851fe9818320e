package pgstore_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/leksono/sapa/consultation"
	"github.com/leksono/sapa/store/pgstore"
)

var consultAt = time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)

func roadConsultation() consultation.Consultation {
	return consultation.Consultation{
		Code: "jalan-2027", Title: "Jalan 2027", Background: "Dana cukup untuk tiga ruas.", Question: "Mana dulu?",
		Kind: consultation.KindRanking, Comment: true, Closes: consultAt.Add(14 * 24 * time.Hour),
		Options: []consultation.Option{{Code: "sawangan", Label: "Sawangan"}, {Code: "besani", Label: "Besani"}, {Code: "timbang", Label: "Timbang"}},
	}
}

func TestConsultationAnswers(t *testing.T) { eachBackend(t, testConsultationAnswers) }

func testConsultationAnswers(t *testing.T, b backend) {
	ctx := context.Background()
	s, where := openStore(t, b)
	c := roadConsultation()
	if err := s.PublishConsultation(ctx, c, consultAt); err != nil {
		t.Fatal(err)
	}
	if err := s.PublishConsultation(ctx, c, consultAt); !errors.Is(err, pgstore.ErrConsultationExists) {
		t.Errorf("published twice: %v", err)
	}
	a := consultation.Answer{Ranking: []string{"besani", "sawangan"}, Village: "33.07.05.2005", Comment: "Jalan Besani berlubang dalam"}
	replaced, err := s.AnswerConsultation(ctx, c.Code, "telegram", "1001", a, consultAt.Add(time.Hour))
	if err != nil || replaced {
		t.Fatalf("first answer: replaced %v, %v", replaced, err)
	}
	// The same person changes their answer: still one answer.
	a.Ranking = []string{"timbang"}
	replaced, err = s.AnswerConsultation(ctx, c.Code, "telegram", "1001", a, consultAt.Add(2*time.Hour))
	if err != nil || !replaced {
		t.Fatalf("changed answer: replaced %v, %v", replaced, err)
	}
	got, ok, err := s.MyAnswer(ctx, c.Code, "telegram", "1001")
	if err != nil || !ok || strings.Join(got.Ranking, ",") != "timbang" || got.Comment != a.Comment {
		t.Errorf("my answer = %+v, %v, %v", got, ok, err)
	}
	if _, err := s.AnswerConsultation(ctx, c.Code, "telegram", "1002", consultation.Answer{Ranking: []string{"nowhere"}}, consultAt); !errors.Is(err, consultation.ErrUnknownOption) {
		t.Errorf("an unknown proposal: %v", err)
	}
	// The comment is sealed at rest.
	raw := rawDB(t, b, where)
	var stored string
	if err := raw.Raw(`SELECT comment FROM consultation_answers`).Scan(&stored).Error; err != nil {
		t.Fatal(err)
	}
	if !pgstore.Sealed(stored) || strings.Contains(stored, "Besani") {
		t.Errorf("comment stored as %q, want it sealed", stored)
	}
	// The database refuses a second row for one person, whatever the code does.
	err = raw.Exec(`INSERT INTO consultation_answers (consultation_id, identity, channel, chat_id, answered_at, updated_at)
		SELECT consultation_id, identity, 'whatsapp', '6281', answered_at, updated_at FROM consultation_answers`).Error
	if err == nil {
		t.Error("a second answer of the same identity was stored")
	}
	comments, err := s.ConsultationComments(ctx, c.Code)
	if err != nil || len(comments) != 1 || comments[0].Text != a.Comment || comments[0].Quoted {
		t.Fatalf("comments = %+v, %v", comments, err)
	}
	if err := s.QuoteComment(ctx, c.Code, comments[0].ID, true); err != nil {
		t.Fatal(err)
	}
	_, r, err := s.ConsultationResults(ctx, c.Code)
	if err != nil || r.Answers != 1 || len(r.Quotes) != 1 || r.Quotes[0] != a.Comment {
		t.Errorf("results = %+v, %v", r, err)
	}
	closed, err := s.CloseConsultation(ctx, c.Code, consultAt.Add(3*time.Hour))
	if err != nil || !closed {
		t.Fatalf("close: %v, %v", closed, err)
	}
	if again, err := s.CloseConsultation(ctx, c.Code, consultAt.Add(4*time.Hour)); err != nil || again {
		t.Errorf("closed twice: %v, %v", again, err)
	}
	if _, err := s.AnswerConsultation(ctx, c.Code, "telegram", "1001", a, consultAt.Add(5*time.Hour)); !errors.Is(err, consultation.ErrClosed) {
		t.Errorf("answer after closing: %v", err)
	}
	if err := s.SetResponse(ctx, c.Code, "Jalan Timbang diperbaiki Maret 2027.", consultAt.Add(6*time.Hour)); err != nil {
		t.Fatal(err)
	}
	p, err := s.Consultation(ctx, c.Code)
	if err != nil || p.Status != consultation.StatusClosed || p.Response == "" || len(p.Options) != 3 {
		t.Errorf("consultation = %+v, %v", p, err)
	}
	open, err := s.Consultations(ctx, true, consultAt.Add(7*time.Hour), 0)
	if err != nil || len(open) != 0 {
		t.Errorf("open after closing = %+v, %v", open, err)
	}
	past, err := s.Consultations(ctx, false, consultAt.Add(7*time.Hour), 0)
	if err != nil || len(past) != 1 {
		t.Errorf("past = %+v, %v", past, err)
	}
}

// TestOnePersonTwoChannels: a person who answers on Telegram and on
// WhatsApp counts once when their Telegram chat is linked to the phone
// number of their WhatsApp chat; the result goes to where they answered
// last.
func TestOnePersonTwoChannels(t *testing.T) { eachBackend(t, testOnePersonTwoChannels) }

func testOnePersonTwoChannels(t *testing.T, b backend) {
	ctx := context.Background()
	s, _ := openStore(t, b)
	c := roadConsultation()
	if err := s.PublishConsultation(ctx, c, consultAt); err != nil {
		t.Fatal(err)
	}
	if err := s.LinkPhone(ctx, "telegram", "1001", "0812-3456-7890", consultAt); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AnswerConsultation(ctx, c.Code, "telegram", "1001", consultation.Answer{Ranking: []string{"besani"}}, consultAt.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	replaced, err := s.AnswerConsultation(ctx, c.Code, "whatsapp", "6281234567890", consultation.Answer{Ranking: []string{"sawangan"}}, consultAt.Add(2*time.Minute))
	if err != nil || !replaced {
		t.Fatalf("WhatsApp answer of the linked person: replaced %v, %v", replaced, err)
	}
	// An unlinked Telegram chat is another person.
	if replaced, err := s.AnswerConsultation(ctx, c.Code, "telegram", "2002", consultation.Answer{Ranking: []string{"besani"}}, consultAt.Add(3*time.Minute)); err != nil || replaced {
		t.Fatalf("another person: replaced %v, %v", replaced, err)
	}
	_, r, err := s.ConsultationResults(ctx, c.Code)
	if err != nil || r.Answers != 2 {
		t.Fatalf("answers = %d, %v; want 2 (one person on two channels, and another)", r.Answers, err)
	}
	for _, o := range r.Options {
		if o.Code == "sawangan" && o.Votes != 1 || o.Code == "besani" && o.Votes != 1 {
			t.Errorf("option %s has %d first places", o.Code, o.Votes)
		}
	}
	who, err := s.Answerers(ctx, c.Code)
	if err != nil || len(who) != 2 || who[0] != (pgstore.Recipient{Channel: "whatsapp", ChatID: "6281234567890"}) {
		t.Errorf("answerers = %+v, %v", who, err)
	}
	times, err := s.NewIdentityTimes(ctx, c.Code)
	if err != nil || len(times) != 2 {
		t.Errorf("new identities = %v, %v; want both (neither wrote to the office before)", times, err)
	}
}

func TestSubscriptions(t *testing.T) { eachBackend(t, testSubscriptions) }

func testSubscriptions(t *testing.T, b backend) {
	ctx := context.Background()
	s, _ := openStore(t, b)
	const sawangan, besani = "33.07.05.2001", "33.07.05.2005"
	for _, sub := range []struct{ chat, scope string }{{"1", consultation.Kecamatan}, {"1", sawangan}, {"2", sawangan}, {"3", besani}} {
		if added, err := s.Subscribe(ctx, "telegram", sub.chat, sub.scope, consultAt); err != nil || !added {
			t.Fatalf("subscribe %+v: %v, %v", sub, added, err)
		}
	}
	if added, err := s.Subscribe(ctx, "telegram", "1", sawangan, consultAt); err != nil || added {
		t.Errorf("subscribed twice: %v, %v", added, err)
	}
	got, err := s.Subscribers(ctx, sawangan)
	if err != nil || len(got) != 2 {
		t.Errorf("Sawangan's announcement goes to %+v, %v; want chats 1 (once) and 2", got, err)
	}
	got, err = s.Subscribers(ctx, consultation.Kecamatan)
	if err != nil || len(got) != 3 {
		t.Errorf("the kecamatan's goes to %+v, %v; want 3 chats", got, err)
	}
	scopes, err := s.Subscriptions(ctx, "telegram", "1")
	if err != nil || len(scopes) != 2 || scopes[0] != consultation.Kecamatan {
		t.Errorf("subscriptions = %q, %v", scopes, err)
	}
	// Announcements queued and not sent yet are dropped with the
	// subscriptions; chat 2 still gets its own.
	if _, err := s.EnqueueBroadcast(ctx, "announce:x", pgstore.BroadcastKindAnnouncement, []pgstore.Outgoing{
		{Recipient: pgstore.Recipient{Channel: "telegram", ChatID: "1"}, Text: "a"},
		{Recipient: pgstore.Recipient{Channel: "telegram", ChatID: "2"}, Text: "a"},
		{Recipient: pgstore.Recipient{Channel: "telegram", ChatID: "3"}, Text: "a"},
	}, consultAt); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Unsubscribe(ctx, "telegram", "2"); err != nil {
		t.Fatal(err)
	}
	if _, total, err := s.BroadcastProgress(ctx, "announce:x"); err != nil || total != 2 {
		t.Errorf("after chat 2 unsubscribed, %d messages queued, %v; want 2", total, err)
	}
	if _, err := s.Subscribe(ctx, "telegram", "2", sawangan, consultAt); err != nil {
		t.Fatal(err)
	}
	// Erasure on request ends the subscriptions too, and drops the
	// messages that name the chat.
	req, err := s.RequestDeletion(ctx, "telegram", "3", consultAt)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CompleteDeletion(ctx, req.ID, "camat", consultAt); err != nil {
		t.Fatal(err)
	}
	if scopes, err := s.Subscriptions(ctx, "telegram", "3"); err != nil || len(scopes) != 0 {
		t.Errorf("subscriptions after erasure = %q, %v", scopes, err)
	}
	if _, total, err := s.BroadcastProgress(ctx, "announce:x"); err != nil || total != 1 {
		t.Errorf("after chat 3's erasure, %d messages queued, %v; want 1", total, err)
	}
	n, err := s.Unsubscribe(ctx, "telegram", "1")
	if err != nil || n != 2 {
		t.Errorf("unsubscribe: %d, %v", n, err)
	}
	counts, err := s.SubscriberCounts(ctx)
	if err != nil || counts[sawangan] != 1 || counts[besani] != 0 || counts[consultation.Kecamatan] != 0 {
		t.Errorf("counts = %v, %v", counts, err)
	}
}

// TestMergeMovesConsultations: a WhatsApp person first known by their LID,
// then by their number, is one person for the consultations too: their
// subscription moves, and of their two answers the newer counts.
func TestMergeMovesConsultations(t *testing.T) { eachBackend(t, testMergeMovesConsultations) }

func testMergeMovesConsultations(t *testing.T, b backend) {
	ctx := context.Background()
	s, _ := openStore(t, b)
	c := roadConsultation()
	if err := s.PublishConsultation(ctx, c, consultAt); err != nil {
		t.Fatal(err)
	}
	const lid, phone = "lid:98765", "6281234567890"
	if _, err := s.Subscribe(ctx, "whatsapp", lid, consultation.Kecamatan, consultAt); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AnswerConsultation(ctx, c.Code, "whatsapp", phone, consultation.Answer{Ranking: []string{"besani"}}, consultAt.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AnswerConsultation(ctx, c.Code, "whatsapp", lid, consultation.Answer{Ranking: []string{"timbang"}}, consultAt.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.MergeCitizen(ctx, "whatsapp", lid, phone); err != nil {
		t.Fatal(err)
	}
	if scopes, err := s.Subscriptions(ctx, "whatsapp", phone); err != nil || len(scopes) != 1 {
		t.Errorf("subscriptions of the number = %q, %v", scopes, err)
	}
	_, r, err := s.ConsultationResults(ctx, c.Code)
	if err != nil || r.Answers != 1 {
		t.Fatalf("answers = %d, %v; want 1", r.Answers, err)
	}
	got, ok, err := s.MyAnswer(ctx, c.Code, "whatsapp", phone)
	if err != nil || !ok || got.Ranking[0] != "timbang" {
		t.Errorf("the answer kept = %+v, %v, %v; want the newer", got, ok, err)
	}
}
