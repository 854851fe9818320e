package whatsapp

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"go.mau.fi/whatsmeow/types"
)

// ForgetChat removes from whatsmeow's store (the whatsmeow_* tables of the
// database at dsn) what it keeps of a citizen's chat in plain text beyond
// what the session needs: the messages the bot sent them, kept for retry
// receipts (whatsmeow_retry_buffer, which echo a form's answers), and their
// WhatsApp profile names (whatsmeow_contacts). chatID is the chat id the
// bot gave the person (a phone number, or "lid:" and a LID); both of their
// JIDs are forgotten, the other one found through whatsmeow's LID map. The
// Signal sessions, identity keys and that map stay: without them the next
// message from the number could not be read. A store WhatsApp never used
// has nothing to forget.
func ForgetChat(ctx context.Context, dialect, dsn, chatID string) error {
	if err := checkStore(dialect, dsn); err != nil {
		return err
	}
	driver := "pgx"
	if dialect == DialectSQLite {
		driver, dsn = "sqlite", sqliteDSN(dsn)
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return fmt.Errorf("forget a whatsapp chat: open the store: %w", err)
	}
	defer db.Close()
	if ok, err := hasTable(ctx, db, dialect, "whatsmeow_retry_buffer"); err != nil || !ok {
		return err
	}
	jids, err := chatJIDs(ctx, db, chatID)
	if err != nil {
		return err
	}
	for _, q := range []string{
		`DELETE FROM whatsmeow_retry_buffer WHERE chat_jid = $1`,
		`DELETE FROM whatsmeow_contacts WHERE their_jid = $1`,
	} {
		for _, jid := range jids {
			if _, err := db.ExecContext(ctx, q, jid); err != nil {
				return fmt.Errorf("forget a whatsapp chat: %w", err)
			}
		}
	}
	return nil
}

// chatJIDs are the JIDs of a chat id the bot gave: its phone number's and
// its LID's, whichever whatsmeow's LID map knows.
func chatJIDs(ctx context.Context, db *sql.DB, chatID string) ([]string, error) {
	var pn, lid string
	if l, ok := strings.CutPrefix(chatID, lidPrefix); ok {
		lid = l
		err := db.QueryRowContext(ctx, `SELECT pn FROM whatsmeow_lid_map WHERE lid = $1`, lid).Scan(&pn)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("forget a whatsapp chat: its number: %w", err)
		}
	} else {
		pn = chatID
		err := db.QueryRowContext(ctx, `SELECT lid FROM whatsmeow_lid_map WHERE pn = $1`, pn).Scan(&lid)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("forget a whatsapp chat: its LID: %w", err)
		}
	}
	var jids []string
	if pn != "" {
		jids = append(jids, types.NewJID(pn, types.DefaultUserServer).String())
	}
	if lid != "" {
		jids = append(jids, types.NewJID(lid, types.HiddenUserServer).String())
	}
	return jids, nil
}

// hasTable reports whether the store holds table: whatsmeow creates its
// tables when WhatsApp first runs.
func hasTable(ctx context.Context, db *sql.DB, dialect, table string) (bool, error) {
	q := `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = $1`
	if dialect == DialectPostgres {
		q = `SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1`
	}
	var n int
	if err := db.QueryRowContext(ctx, q, table).Scan(&n); err != nil {
		return false, fmt.Errorf("forget a whatsapp chat: look for %s: %w", table, err)
	}
	return n > 0, nil
}
