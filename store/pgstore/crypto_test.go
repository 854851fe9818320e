package pgstore_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/leksono/sapa/services"
	"github.com/leksono/sapa/store/pgstore"
)

// testKK is a well-formed KK number, stored next to testNIK.
const testKK = "3307051203150004"

// key32 is a 32-byte key of one repeated byte, in base64.
func key32(b byte) string { return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{b}, 32)) }

// hmacKey is the look-up hash key of every test store.
var hmacKey = key32(0xAA)

func parseKeys(t testing.TB, spec string) *pgstore.Keys {
	t.Helper()
	k, err := pgstore.ParseKeys(spec, hmacKey)
	if err != nil {
		t.Fatalf("ParseKeys(%q): %v", spec, err)
	}
	return k
}

// testKeys are the keys of the package's test stores: one key, "k1".
func testKeys(t testing.TB) *pgstore.Keys { return parseKeys(t, "k1:"+key32(1)) }

func TestParseKeysRejects(t *testing.T) {
	good := key32(1)
	for _, tc := range []struct{ name, spec, mac string }{
		{"empty spec", "", hmacKey},
		{"only commas", " , ,", hmacKey},
		{"no colon", good, hmacKey},
		{"bad id", "k 1:" + good, hmacKey},
		{"id with colon in key part", "k1:" + good + ":x", hmacKey},
		{"short key", "k1:" + base64.StdEncoding.EncodeToString(make([]byte, 16)), hmacKey},
		{"not base64", "k1:%%%%", hmacKey},
		{"duplicate id", "k1:" + good + ",k1:" + key32(2), hmacKey},
		{"empty hmac", "k1:" + good, ""},
		{"short hmac", "k1:" + good, base64.StdEncoding.EncodeToString(make([]byte, 16))},
		{"hmac reuses an encryption key", "k1:" + key32(3) + ",k0:" + good, good},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := pgstore.ParseKeys(tc.spec, tc.mac)
			if err == nil {
				t.Fatalf("ParseKeys accepted %q / %q: %+v", tc.spec, tc.mac, k)
			}
			// Errors must never echo key material.
			for _, secret := range []string{good, key32(3), tc.mac} {
				if secret != "" && strings.Contains(err.Error(), secret) {
					t.Errorf("error %q quotes a key", err)
				}
			}
		})
	}
}

func TestParseKeysVariants(t *testing.T) {
	raw := bytes.Repeat([]byte{0xFB}, 32) // '+' and '/' in standard base64
	spec := fmt.Sprintf(" a:%s , b-2:%s,c_3:%s ",
		base64.StdEncoding.EncodeToString(raw),
		base64.RawURLEncoding.EncodeToString(raw),
		base64.RawStdEncoding.EncodeToString(raw))
	k := parseKeys(t, spec)
	if k.CurrentID() != "a" {
		t.Errorf("current key = %q, want the first, a", k.CurrentID())
	}
}

func TestSealRoundTrip(t *testing.T) {
	k := testKeys(t)
	a, err := k.Seal("nik", testNIK)
	if err != nil {
		t.Fatalf("seal: %v", err)
	}
	b, err := k.Seal("nik", testNIK)
	if err != nil {
		t.Fatalf("seal: %v", err)
	}
	if !strings.HasPrefix(a, "enc:v1:k1:") || !pgstore.Sealed(a) {
		t.Errorf("sealed = %q, want prefix enc:v1:k1:", a)
	}
	if a == b {
		t.Error("two seals of one value are equal: the nonce is not random")
	}
	if strings.Contains(a, testNIK) {
		t.Error("ciphertext holds the plaintext")
	}
	for _, s := range []string{a, b} {
		got, err := k.Open("nik", s)
		if err != nil || got != testNIK {
			t.Errorf("open = %q, %v; want the NIK", got, err)
		}
	}
	if pgstore.Sealed(testNIK) {
		t.Error("a plain NIK reads as sealed")
	}
}

func TestOpenRefusesTampering(t *testing.T) {
	k := parseKeys(t, "k1:"+key32(1)+",k2:"+key32(2))
	sealed, err := k.Seal("nik", testNIK)
	if err != nil {
		t.Fatalf("seal: %v", err)
	}
	body := strings.TrimPrefix(sealed, "enc:v1:k1:")
	raw, err := base64.StdEncoding.DecodeString(body)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	flipped := func(i int) string {
		b := bytes.Clone(raw)
		b[i] ^= 0x01
		return "enc:v1:k1:" + base64.StdEncoding.EncodeToString(b)
	}
	cases := map[string]struct{ field, value string }{
		"flipped nonce byte":      {"nik", flipped(0)},
		"flipped ciphertext byte": {"nik", flipped(len(raw) / 2)},
		"flipped tag byte":        {"nik", flipped(len(raw) - 1)},
		"truncated":               {"nik", "enc:v1:k1:" + base64.StdEncoding.EncodeToString(raw[:len(raw)-1])},
		"too short":               {"nik", "enc:v1:k1:AAAA"},
		"key id swapped":          {"nik", "enc:v1:k2:" + body},
		"unknown key id":          {"nik", "enc:v1:k9:" + body},
		"other field":             {"kk", sealed},
		"not base64":              {"nik", "enc:v1:k1:!!"},
		"no key id":               {"nik", "enc:v1:" + body},
		"plaintext":               {"nik", testNIK},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := k.Open(tc.field, tc.value)
			if err == nil {
				t.Fatalf("Open accepted it: %q", got)
			}
			if strings.Contains(err.Error(), testNIK) {
				t.Errorf("error %q quotes the NIK", err)
			}
		})
	}
}

func TestRotation(t *testing.T) {
	old := parseKeys(t, "k1:"+key32(1))
	sealedOld, err := old.Seal("kk", testKK)
	if err != nil {
		t.Fatalf("seal: %v", err)
	}
	rotated := parseKeys(t, "k2:"+key32(2)+",k1:"+key32(1))
	if got, err := rotated.Open("kk", sealedOld); err != nil || got != testKK {
		t.Errorf("rotated keys open old value = %q, %v; want the KK", got, err)
	}
	sealedNew, err := rotated.Seal("kk", testKK)
	if err != nil {
		t.Fatalf("seal: %v", err)
	}
	if !strings.HasPrefix(sealedNew, "enc:v1:k2:") {
		t.Errorf("rotated keys seal with %q, want the new key k2", sealedNew)
	}
	if _, err := old.Open("kk", sealedNew); err == nil {
		t.Error("old keys opened a value of a key they do not have")
	}
	retired := parseKeys(t, "k2:"+key32(2))
	if _, err := retired.Open("kk", sealedOld); err == nil {
		t.Error("a retired key still opens")
	}
	if old.Hash(testNIK) != rotated.Hash(testNIK) {
		t.Error("rotating the encryption keys changed the look-up hash")
	}
}

func TestHash(t *testing.T) {
	k := testKeys(t)
	h := k.Hash(testNIK)
	if len(h) != 64 || strings.Trim(h, "0123456789abcdef") != "" {
		t.Errorf("hash = %q, want 64 hex digits", h)
	}
	if k.Hash("3307.0541-0790 0001") != h {
		t.Error("separators change the hash")
	}
	if k.Hash("3307054107900002") == h {
		t.Error("two NIKs share a hash")
	}
	other, err := pgstore.ParseKeys("k1:"+key32(1), key32(0xBB))
	if err != nil {
		t.Fatal(err)
	}
	if other.Hash(testNIK) == h {
		t.Error("the hash does not depend on the HMAC key")
	}
	if k.Hash("") != "" || k.Hash(" - ") != "" {
		t.Error("an empty NIK has a hash")
	}
}

func TestOpenWithoutKeys(t *testing.T) { eachBackend(t, testOpenWithoutKeys) }

func testOpenWithoutKeys(t *testing.T, b backend) {
	ctx := context.Background()
	where := b.fresh(t)
	o := options(t)
	o.Keys = nil
	if s, err := b.open(ctx, where, o); err == nil {
		_ = s.Close()
		t.Fatal("a store without keys opened without AllowPlaintext")
	} else if !strings.Contains(err.Error(), "DATA_KEYS") {
		t.Errorf("error %q does not name DATA_KEYS", err)
	}
	o.AllowPlaintext = true
	s, err := b.open(ctx, where, o)
	if err != nil {
		t.Fatalf("open in plaintext mode: %v", err)
	}
	defer s.Close()
	rec, err := s.SubmitCase(ctx, sample(1))
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	c, _, err := s.CaseByTicket(ctx, rec.Ticket)
	if err != nil || c.FormData["nik"] != testNIK {
		t.Fatalf("case = %v, %v; want the NIK back", c.FormData, err)
	}
	if _, err := s.CasesByNIK(ctx, testNIK); !errors.Is(err, pgstore.ErrNoKeys) {
		t.Errorf("CasesByNIK in plaintext mode: err = %v, want ErrNoKeys", err)
	}
}

// withKK is sample(i) with a KK number and a phone, as the SKTM form has.
func withKK(i int) services.NewCase {
	nc := sample(i)
	nc.Form["kk"] = testKK
	nc.Form["telepon"] = "6281234567890"
	return nc
}

func TestEncryptedAtRest(t *testing.T) { eachBackend(t, testEncryptedAtRest) }

func testEncryptedAtRest(t *testing.T, b backend) {
	ctx := context.Background()
	s, where := openStore(t, b)
	nc := withKK(1)
	nc.Form["nik"] = "3307 0541 0790 0001" // typed with spaces
	rec, err := s.SubmitCase(ctx, nc)
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	other := withKK(2)
	other.Form["nik"] = "3307051708900001"
	rec2, err := s.SubmitCase(ctx, other)
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	at := nc.SubmittedAt.Add(time.Hour)
	if _, _, err := s.ChangeStatus(ctx, pgstore.StatusChange{Ticket: rec.Ticket, To: services.StatusVerifying, Actor: "budi", At: at}); err != nil {
		t.Fatalf("change status: %v", err)
	}
	if _, _, err := s.Assign(ctx, rec.Ticket, "budi", "camat", at); err != nil {
		t.Fatalf("assign: %v", err)
	}
	changed, _, err := s.AddEvent(ctx, rec.Ticket, pgstore.EventNote, "budi", "berkas lengkap", at)
	if err != nil {
		t.Fatalf("add event: %v", err)
	}
	if changed.FormData["kk"] != testKK {
		t.Errorf("AddEvent returned kk %q, want it decrypted", changed.FormData["kk"])
	}

	// Every read path returns the plaintext.
	c, _, err := s.CaseByTicket(ctx, rec.Ticket)
	if err != nil {
		t.Fatalf("case by ticket: %v", err)
	}
	if c.FormData["nik"] != nc.Form["nik"] || c.FormData["kk"] != testKK || c.FormData["tujuan"] != "beasiswa" {
		t.Errorf("CaseByTicket form = %v, want the submitted values", c.FormData)
	}
	open, err := s.OpenCases(ctx, pgstore.CaseFilter{})
	if err != nil || len(open) != 2 || open[0].FormData["kk"] != testKK {
		t.Errorf("OpenCases = %d cases, %v; want 2 with kk decrypted", len(open), err)
	}
	mine, err := s.CitizenCases(ctx, nc.Channel, nc.ChatID, 0)
	if err != nil || len(mine) != 1 || mine[0].FormData["kk"] != testKK {
		t.Errorf("CitizenCases = %v, %v; want one with kk decrypted", mine, err)
	}
	one, _, err := s.CitizenCase(ctx, rec.Ticket, nc.Channel, nc.ChatID)
	if err != nil || one.FormData["kk"] != testKK {
		t.Errorf("CitizenCase kk = %q, %v; want it decrypted", one.FormData["kk"], err)
	}
	view, _, err := s.Desk().Case(ctx, rec.Ticket)
	if err != nil || view.Form["kk"] != testKK {
		t.Errorf("Desk().Case kk = %q, %v; want it decrypted", view.Form["kk"], err)
	}

	// Found by NIK, however it is typed, and only that NIK's cases.
	found, err := s.CasesByNIK(ctx, "3307-0541-0790-0001")
	if err != nil {
		t.Fatalf("cases by NIK: %v", err)
	}
	if len(found) != 1 || found[0].Ticket != rec.Ticket || found[0].FormData["kk"] != testKK || found[0].Citizen == nil {
		t.Errorf("CasesByNIK = %+v, want only %s, decrypted, citizen loaded", found, rec.Ticket)
	}
	if found, err := s.CasesByNIK(ctx, "3307051708900001"); err != nil || len(found) != 1 || found[0].Ticket != rec2.Ticket {
		t.Errorf("CasesByNIK of the other NIK = %v, %v; want %s", found, err, rec2.Ticket)
	}
	if found, err := s.CasesByNIK(ctx, "3307059999999999"); err != nil || len(found) != 0 {
		t.Errorf("CasesByNIK of an unknown NIK = %v, %v; want none", found, err)
	}

	// At rest: sealed in the JSON, other fields still plain and queryable.
	raw := rawDB(t, b, where)
	var stored string
	if err := raw.Raw(`SELECT CAST(form_data AS TEXT) FROM cases WHERE ticket = ?`, rec.Ticket).Row().Scan(&stored); err != nil {
		t.Fatalf("read form_data: %v", err)
	}
	if !strings.Contains(stored, `"nik":"enc:v1:k1:`) && !strings.Contains(stored, `"nik": "enc:v1:k1:`) {
		t.Errorf("stored form %s: nik not sealed with k1", stored)
	}
	if !strings.Contains(stored, "beasiswa") {
		t.Errorf("stored form %s lost the plain field", stored)
	}
	if n := count(t, raw, `SELECT count(*) FROM cases WHERE nik_hash <> '' `); n != 2 {
		t.Errorf("%d cases have a NIK hash, want 2", n)
	}
	if n := count(t, raw, indexNamed(b), "idx_cases_nik_hash"); n != 1 {
		t.Errorf("index idx_cases_nik_hash: %d, want 1", n)
	}

	// The check must be able to find a value: the plain field proves it
	// looks in the right places.
	if hits := plaintextHits(t, b, raw, "beasiswa"); len(hits) == 0 {
		t.Fatal("the column scan does not even find the plain field: it is blind")
	}
	for _, secret := range []string{testNIK, testKK, "3307051708900001", "3307 0541 0790 0001"} {
		if hits := plaintextHits(t, b, raw, secret); len(hits) > 0 {
			t.Errorf("plaintext %s found in %v", services.MaskID(secret), hits)
		}
	}
}

func indexNamed(b backend) string {
	if b.postgres() {
		return `SELECT count(*) FROM pg_indexes WHERE indexname = ?`
	}
	return `SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = ?`
}

// plaintextHits lists the "table.column" of every column, of every table
// of the database, whose text holds needle.
func plaintextHits(t testing.TB, b backend, db *gorm.DB, needle string) []string {
	t.Helper()
	type col struct{ Table, Column string }
	var cols []col
	var q string
	if b.postgres() {
		q = `SELECT table_name AS "table", column_name AS "column" FROM information_schema.columns
			WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`
	} else {
		q = `SELECT m.name AS "table", p.name AS "column" FROM sqlite_master m, pragma_table_info(m.name) p
			WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.cid`
	}
	if err := db.Raw(q).Scan(&cols).Error; err != nil {
		t.Fatalf("list columns: %v", err)
	}
	tables := map[string]bool{}
	for _, c := range cols {
		tables[c.Table] = true
	}
	for _, want := range []string{"cases", "citizens", "case_events", "consents", "deletion_requests", "case_reads"} {
		if !tables[want] {
			t.Fatalf("column scan sees no table %s among %v", want, tables)
		}
	}
	var hits []string
	for _, c := range cols {
		var n int64
		stmt := fmt.Sprintf(`SELECT count(*) FROM %q WHERE CAST(%q AS TEXT) LIKE ?`, c.Table, c.Column)
		if err := db.Raw(stmt, "%"+needle+"%").Row().Scan(&n); err != nil {
			t.Fatalf("scan %s.%s: %v", c.Table, c.Column, err)
		}
		if n > 0 {
			hits = append(hits, c.Table+"."+c.Column)
		}
	}
	return hits
}

func TestTamperedRowRefused(t *testing.T) { eachBackend(t, testTamperedRowRefused) }

func testTamperedRowRefused(t *testing.T, b backend) {
	ctx := context.Background()
	s, where := openStore(t, b)
	rec, err := s.SubmitCase(ctx, withKK(1))
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	other, err := s.SubmitCase(ctx, withKK(2))
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	raw := rawDB(t, b, where)
	// Move case 2's sealed kk into case 1's nik: a valid ciphertext, but of
	// another field.
	var form2 string
	if err := raw.Raw(`SELECT CAST(form_data AS TEXT) FROM cases WHERE ticket = ?`, other.Ticket).Row().Scan(&form2); err != nil {
		t.Fatal(err)
	}
	kk := sealedValue(t, form2, "kk")
	var form1 string
	if err := raw.Raw(`SELECT CAST(form_data AS TEXT) FROM cases WHERE ticket = ?`, rec.Ticket).Row().Scan(&form1); err != nil {
		t.Fatal(err)
	}
	nik := sealedValue(t, form1, "nik")
	tampered := strings.Replace(form1, nik, kk, 1)
	if err := raw.Exec(`UPDATE cases SET form_data = ? WHERE ticket = ?`, tampered, rec.Ticket).Error; err != nil {
		t.Fatalf("tamper: %v", err)
	}
	_, _, err = s.CaseByTicket(ctx, rec.Ticket)
	if err == nil {
		t.Fatal("a ciphertext moved to another field was accepted")
	}
	if strings.Contains(err.Error(), testNIK) || strings.Contains(err.Error(), testKK) {
		t.Errorf("error %q quotes a number", err)
	}
	if _, err := s.OpenCases(ctx, pgstore.CaseFilter{}); err == nil {
		t.Error("OpenCases accepted the tampered case")
	}
}

// sealedValue finds the sealed value of field in a stored JSON form.
func sealedValue(t testing.TB, form, field string) string {
	t.Helper()
	for _, sep := range []string{`":"`, `": "`} {
		if _, rest, ok := strings.Cut(form, `"`+field+sep); ok {
			v, _, _ := strings.Cut(rest, `"`)
			if pgstore.Sealed(v) {
				return v
			}
		}
	}
	t.Fatalf("no sealed %s in %s", field, form)
	return ""
}

func TestReseal(t *testing.T) { eachBackend(t, testReseal) }

func testReseal(t *testing.T, b backend) {
	ctx := context.Background()
	where := b.fresh(t)
	reopen := func(o pgstore.Options) *pgstore.Store {
		t.Helper()
		s, err := b.open(ctx, where, o)
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	// A legacy row, written before encryption was configured.
	plainOpts := options(t)
	plainOpts.Keys, plainOpts.AllowPlaintext = nil, true
	legacy, err := reopen(plainOpts).SubmitCase(ctx, withKK(1))
	if err != nil {
		t.Fatalf("submit plaintext: %v", err)
	}
	// A row sealed with the first key.
	old, err := reopen(options(t)).SubmitCase(ctx, withKK(2))
	if err != nil {
		t.Fatalf("submit with k1: %v", err)
	}

	o := options(t)
	o.Keys = parseKeys(t, "k2:"+key32(2)+",k1:"+key32(1))
	s := reopen(o)
	if found, err := s.CasesByNIK(ctx, testNIK); err != nil || len(found) != 1 {
		t.Errorf("before reseal, CasesByNIK = %d cases, %v; want only the sealed one", len(found), err)
	}
	n, err := s.Reseal(ctx)
	if err != nil {
		t.Fatalf("reseal: %v", err)
	}
	if n != 2 {
		t.Errorf("reseal rewrote %d cases, want 2", n)
	}
	if n, err := s.Reseal(ctx); err != nil || n != 0 {
		t.Errorf("second reseal rewrote %d, %v; want 0", n, err)
	}

	// Only k2 is needed now.
	o.Keys = parseKeys(t, "k2:"+key32(2))
	s = reopen(o)
	for _, ticket := range []string{legacy.Ticket, old.Ticket} {
		c, _, err := s.CaseByTicket(ctx, ticket)
		if err != nil || c.FormData["nik"] != testNIK || c.FormData["kk"] != testKK {
			t.Errorf("%s after reseal = %v, %v; want both numbers", ticket, c.FormData, err)
		}
	}
	if found, err := s.CasesByNIK(ctx, testNIK); err != nil || len(found) != 2 {
		t.Errorf("after reseal, CasesByNIK = %d cases, %v; want both", len(found), err)
	}
	raw := rawDB(t, b, where)
	for _, secret := range []string{testNIK, testKK} {
		if hits := plaintextHits(t, b, raw, secret); len(hits) > 0 {
			t.Errorf("after reseal, plaintext %s found in %v", services.MaskID(secret), hits)
		}
	}
	if n := count(t, raw, `SELECT count(*) FROM cases WHERE CAST(form_data AS TEXT) LIKE '%enc:v1:k1:%'`); n != 0 {
		t.Errorf("%d cases still sealed with k1", n)
	}
}
