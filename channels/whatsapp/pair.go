package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/mdp/qrterminal/v3"
	"github.com/skip2/go-qrcode"
	"go.mau.fi/whatsmeow"
)

// pairDisplayName is how the bot shows in the phone's Linked devices list
// when paired by code. WhatsApp refuses names that do not look like
// "Browser (OS)".
const pairDisplayName = "Chrome (Linux)"

// errPairing marks a pairing that cannot succeed by trying again.
var errPairing = errors.New("whatsapp pairing failed")

// pair links this bot to a WhatsApp account as a companion device: by QR
// code (printed in the terminal and written to cfg.QRFile) or, when
// cfg.PairPhone is set, by the 8-character code WhatsApp shows for "Link
// with phone number instead". New codes keep coming until the phone links
// or ctx ends; each run of codes that expires starts a new one. It returns
// once the account is linked; the connection then continues on its own.
func (b *Bot) pair(ctx context.Context, c conn) error {
	for attempt := 1; ctx.Err() == nil; attempt++ {
		done, err := b.pairOnce(ctx, c, attempt)
		if done || err != nil {
			return err
		}
		b.log.Info("whatsapp pairing codes expired, asking for new ones")
		c.Disconnect()
	}
	return nil
}

// pairOnce runs one connection's worth of pairing codes. done is true when
// the phone linked; false with a nil error when the codes ran out.
func (b *Bot) pairOnce(ctx context.Context, c conn, attempt int) (done bool, err error) {
	codes, err := c.GetQRChannel(ctx)
	if err != nil {
		return false, fmt.Errorf("%w: get QR channel: %w", errPairing, err)
	}
	if err := b.connectRetrying(ctx, c); err != nil {
		return false, err
	}
	askedPhoneCode := false
	for item := range codes {
		switch item.Event {
		case whatsmeow.QRChannelEventCode:
			if b.cfg.PairPhone != "" {
				if askedPhoneCode {
					continue // the phone code stays valid while this connection lasts
				}
				askedPhoneCode = true
				if err := b.showPhoneCode(ctx, c); err != nil {
					return false, err
				}
				continue
			}
			b.showQR(item.Code, attempt)
		case whatsmeow.QRChannelSuccess.Event:
			b.log.Info("whatsapp paired: this bot is now a linked device of the account")
			b.removeQRFile()
			return true, nil
		case whatsmeow.QRChannelTimeout.Event:
			b.removeQRFile()
			return false, nil
		case whatsmeow.QRChannelErrUnexpectedEvent.Event:
			// Something other than pairing happened first: the store
			// already held a session, so there is nothing to pair.
			b.removeQRFile()
			return true, nil
		case whatsmeow.QRChannelClientOutdated.Event:
			b.removeQRFile()
			return false, fmt.Errorf("%w: WhatsApp refuses this whatsmeow version as outdated: upgrade go.mau.fi/whatsmeow as README.md says and rebuild", errPairing)
		case whatsmeow.QRChannelScannedWithoutMultidevice.Event:
			b.log.Warn("whatsapp QR scanned by a phone without multi-device support: update WhatsApp on the phone and scan again")
		case whatsmeow.QRChannelEventError:
			b.removeQRFile()
			return false, fmt.Errorf("%w: %w", errPairing, item.Error)
		default:
			b.log.Warn("whatsapp pairing: unexpected event", "event", item.Event)
		}
	}
	return false, ctx.Err()
}

// showQR prints the code as a QR in the terminal and writes it as a PNG, for
// a terminal too small or a bot running on a server without one.
func (b *Bot) showQR(code string, attempt int) {
	fmt.Fprintln(b.out, "Scan this code with WhatsApp on the office phone: Settings > Linked devices > Link a device.")
	qrterminal.GenerateHalfBlock(code, qrterminal.L, b.out)
	if err := os.MkdirAll(filepath.Dir(b.cfg.QRFile), 0o700); err != nil {
		b.log.Warn("whatsapp QR image not written", "file", b.cfg.QRFile, "err", err)
		return
	}
	if err := qrcode.WriteFile(code, qrcode.Medium, 512, b.cfg.QRFile); err != nil {
		b.log.Warn("whatsapp QR image not written", "file", b.cfg.QRFile, "err", err)
		return
	}
	// Anyone holding the image can link the account while it is valid.
	_ = os.Chmod(b.cfg.QRFile, 0o600)
	b.log.Info("whatsapp pairing: scan the QR code in the terminal or in the image file; a new code follows when it expires",
		"file", b.cfg.QRFile, "round", attempt)
}

// showPhoneCode asks WhatsApp for a pairing code for cfg.PairPhone and
// prints it, to be typed on that phone.
func (b *Bot) showPhoneCode(ctx context.Context, c conn) error {
	phone := normalizePhone(b.cfg.PairPhone)
	code, err := c.PairPhone(ctx, phone, true, whatsmeow.PairClientChrome, pairDisplayName)
	if err != nil {
		return fmt.Errorf("%w: ask for a pairing code for WHATSAPP_PAIR_PHONE: %w", errPairing, err)
	}
	fmt.Fprintf(b.out, "WhatsApp pairing code: %s\nOn the phone of that number: Settings > Linked devices > Link a device > Link with phone number instead, then type the code.\n", code)
	b.log.Info("whatsapp pairing code printed in the terminal; type it on the phone within a few minutes")
	return nil
}

func (b *Bot) removeQRFile() {
	if b.cfg.QRFile == "" {
		return
	}
	if err := os.Remove(b.cfg.QRFile); err != nil && !errors.Is(err, os.ErrNotExist) {
		b.log.Warn("whatsapp QR image not removed", "file", b.cfg.QRFile, "err", err)
	}
}
