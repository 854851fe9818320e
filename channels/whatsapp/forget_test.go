package whatsapp

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"go.mau.fi/whatsmeow/proto/waAdv"
	"go.mau.fi/whatsmeow/types"
)

// TestForgetChatErasesWhatWhatsmeowKeepsOfIt: the messages the bot sent a
// citizen, kept in plain text for retry receipts, and their profile names
// go, under their number and their LID alike; another citizen's stay. A
// store WhatsApp never used has nothing to forget.
func TestForgetChatErasesWhatWhatsmeowKeepsOfIt(t *testing.T) {
	ctx := context.Background()
	if err := ForgetChat(ctx, DialectSQLite, filepath.Join(t.TempDir(), "empty.db"), "6281298765432"); err != nil {
		t.Fatalf("forget on a store WhatsApp never used: %v", err)
	}

	dsn := filepath.Join(t.TempDir(), "sapa.db")
	st, err := openStore(ctx, DialectSQLite, dsn, newWALogger(quietLog(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	dev := st.NewDevice()
	dev.ID = &types.JID{User: "6281999999999", Device: 7, Server: types.DefaultUserServer}
	dev.Account = &waAdv.ADVSignedDeviceIdentity{Details: []byte{1}, AccountSignature: make([]byte, 64),
		AccountSignatureKey: make([]byte, 32), DeviceSignature: make([]byte, 64)}
	if err := dev.Save(ctx); err != nil {
		t.Fatal(err)
	}
	_ = st.Close()

	db, err := sql.Open("sqlite", sqliteDSN(dsn))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	our := dev.ID.String()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`INSERT INTO whatsmeow_lid_map (lid, pn) VALUES ('99887766', '6281298765432')`)
	for i, jid := range []string{"6281298765432@s.whatsapp.net", "99887766@lid", "6281311112222@s.whatsapp.net"} {
		exec(`INSERT INTO whatsmeow_retry_buffer (our_jid, chat_jid, message_id, format, plaintext, timestamp)
			VALUES ($1, $2, $3, 'wa', $4, 1)`, our, jid, "M"+string(rune('1'+i)), []byte("Nama: Wiryo Sukarto, alamat Dusun Kalitengah"))
		exec(`INSERT INTO whatsmeow_contacts (our_jid, their_jid, push_name) VALUES ($1, $2, 'Wiryo')`, our, jid)
	}

	if err := ForgetChat(ctx, DialectSQLite, dsn, "6281298765432"); err != nil {
		t.Fatalf("ForgetChat: %v", err)
	}
	for _, table := range []string{"whatsmeow_retry_buffer", "whatsmeow_contacts"} {
		col := "chat_jid"
		if table == "whatsmeow_contacts" {
			col = "their_jid"
		}
		var left []string
		rows, err := db.QueryContext(ctx, `SELECT `+col+` FROM `+table)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			left = append(left, s)
		}
		rows.Close()
		if len(left) != 1 || left[0] != "6281311112222@s.whatsapp.net" {
			t.Errorf("%s keeps %v, want only the other citizen's row", table, left)
		}
	}
	// The same chat named by its LID, as the bot names a person it knows
	// no number of.
	exec(`INSERT INTO whatsmeow_contacts (our_jid, their_jid, push_name) VALUES ($1, '99887766@lid', 'Wiryo')`, our)
	if err := ForgetChat(ctx, DialectSQLite, dsn, "lid:99887766"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM whatsmeow_contacts WHERE their_jid = '99887766@lid'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("the LID's contact row stays (%d, %v)", n, err)
	}
}
