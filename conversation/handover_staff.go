package conversation

import (
	"cmp"
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/leksono/sapa/casework"
	"github.com/leksono/sapa/services"
)

// The officers' chat commands on conversations: "percakapan" lists the
// open ones; "balas 12 <pesan>", "ambil 12", "alihkan 12 <unit|petugas>",
// "selesai 12", "jadikan 12 <layanan>" and "lihat 12" act on one. A number
// where a ticket would stand is what tells a conversation from a case.

// handoverNumber reads a conversation's number as officers type it: "12"
// or "#12".
func handoverNumber(s string) (int64, bool) {
	n, err := strconv.ParseInt(strings.TrimPrefix(s, "#"), 10, 64)
	return n, err == nil && n > 0
}

// staffHandover handles a command on conversations, and reports whether
// it was one.
func (e *Engine) staffHandover(ctx context.Context, t *turn, o services.Officer, cmd string, fields []string) (bool, error) {
	if e.handovers == nil {
		return false, nil
	}
	switch cmd {
	case cmdConversations:
		return true, e.staffConversations(ctx, t, o)
	case cmdReply, cmdTransfer, cmdToCase:
	case cmdTake, cmdDone, cmdShow:
		if len(fields) < 2 {
			return false, nil
		}
		if _, ok := handoverNumber(fields[1]); !ok {
			return false, nil // a ticket: the case command
		}
	default:
		return false, nil
	}
	if len(fields) < 2 {
		t.say(e.tr(t, "handover.staff.need_number", map[string]string{"command": fields[0]}))
		return true, nil
	}
	number, ok := handoverNumber(fields[1])
	if !ok {
		t.say(e.tr(t, "handover.staff.need_number", map[string]string{"command": fields[0]}))
		return true, nil
	}
	args := map[string]string{"number": strconv.FormatInt(number, 10)}
	// The rest of the message as typed, line breaks kept: an answer to a
	// citizen may have several lines.
	rest := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(t.text), fields[0])), fields[1]))
	var (
		out casework.HandoverOutcome
		err error
	)
	switch cmd {
	case cmdShow:
		h, msgs, err := e.work.Conversation(ctx, o, number)
		if err != nil {
			return true, e.handoverRefused(t, number, out, err)
		}
		t.say(e.tr(t, "handover.staff.thread_title", map[string]string{
			"number": args["number"], "unit": e.tr(t, "unit."+h.Unit, nil), "state": e.tr(t, "handover.state."+string(h.State), nil),
			"name": cmp.Or(h.CitizenName, e.tr(t, "staff.actor_citizen", nil)), "channel": h.Channel,
		}) + "\n" + e.work.Transcript(h, msgs, 20))
		return true, nil
	case cmdReply:
		var file *services.StoredFile
		if len(t.in.Attachments) > 0 {
			f, refused, err := e.keepFile(ctx, t, t.in.Attachments[0])
			if err != nil {
				return true, err
			}
			if refused != "" {
				t.say(e.refusal(t, refused))
				return true, nil
			}
			file = &f
		}
		if rest == "" && file == nil {
			t.say(e.tr(t, "handover.staff.need_text", args))
			return true, nil
		}
		out, err = e.work.ReplyHandover(ctx, o, number, rest, file)
		if err != nil {
			return true, e.handoverRefused(t, number, out, err)
		}
		if out.Citizen.Told() {
			t.say(e.tr(t, "handover.staff.replied", args))
		} else {
			args["reason"] = e.untoldReason(t, out.Citizen)
			t.say(e.tr(t, "handover.staff.replied_untold", args))
		}
	case cmdTake:
		if out, err = e.work.TakeHandover(ctx, o, number); err != nil {
			return true, e.handoverRefused(t, number, out, err)
		}
		t.say(e.tr(t, "handover.staff.taken", args))
	case cmdTransfer:
		if out, err = e.work.TransferHandover(ctx, o, number, rest); err != nil {
			args["target"] = rest
			return true, e.handoverRefused(t, number, out, err)
		}
		args["target"] = e.tr(t, "unit."+out.Handover.Unit, nil)
		if a, ok := e.staff.Officer(out.Handover.Holder); ok && out.Handover.Holder != "" {
			args["target"] = a.Name
		}
		t.say(e.tr(t, "handover.staff.transferred", args))
	case cmdDone, cmdToCase:
		service := ""
		if cmd == cmdToCase {
			service = e.serviceCode(rest)
			if service == "" {
				args["service"] = rest
				return true, e.handoverRefused(t, number, out, casework.ErrNoService, args)
			}
		}
		if out, err = e.work.CloseHandover(ctx, o, number, service); err != nil {
			return true, e.handoverRefused(t, number, out, err)
		}
		if service != "" {
			args["service"] = e.serviceName(t, service)
			t.say(e.tr(t, "handover.staff.suggested", args))
		} else {
			t.say(e.tr(t, "handover.staff.closed", args))
		}
	}
	return true, nil
}

// serviceCode finds the service an officer named, by code or keyword.
func (e *Engine) serviceCode(typed string) string {
	typed = normalize(typed)
	if typed == "" {
		return ""
	}
	for _, svc := range e.catalog.Services {
		if svc.Code == typed {
			return svc.Code
		}
		for _, k := range svc.Keywords {
			if normalize(k) == typed {
				return svc.Code
			}
		}
	}
	return ""
}

// untoldReason says why a citizen could not be told.
func (e *Engine) untoldReason(t *turn, n casework.Notice) string {
	if n == casework.Erased {
		return e.tr(t, "staff.untold.erased", nil)
	}
	return e.tr(t, "staff.untold.failed", nil)
}

// handoverRefused answers an action on a conversation the desk refused, or
// returns the error that kept it from being done.
func (e *Engine) handoverRefused(t *turn, number int64, out casework.HandoverOutcome, err error, extra ...map[string]string) error {
	args := map[string]string{"number": strconv.FormatInt(number, 10)}
	for _, x := range extra {
		for k, v := range x {
			args[k] = v
		}
	}
	switch {
	case errors.Is(err, services.ErrNoHandover):
		t.say(e.tr(t, "handover.staff.not_found", args))
	case errors.Is(err, services.ErrHandoverClosed):
		t.say(e.tr(t, "handover.staff.already_closed", args))
	case errors.Is(err, services.ErrHandoverHeld):
		args["officer"] = out.Handover.Holder
		if a, ok := e.staff.Officer(out.Handover.Holder); ok {
			args["officer"] = a.Name
		}
		t.say(e.tr(t, "handover.staff.held_by", args))
	case errors.Is(err, casework.ErrNoTarget):
		args["target"] = cmp.Or(args["target"], "-")
		args["units"] = strings.Join(e.catalog.Office.Units, ", ")
		t.say(e.tr(t, "handover.staff.unknown_target", args))
	case errors.Is(err, casework.ErrNoService):
		var codes []string
		for _, svc := range e.catalog.Services {
			codes = append(codes, svc.Code)
		}
		args["service"] = cmp.Or(args["service"], "-")
		args["services"] = strings.Join(codes, ", ")
		t.say(e.tr(t, "handover.staff.unknown_service", args))
	default:
		return err
	}
	return nil
}

// staffConversations lists the open conversations the officer may see.
func (e *Engine) staffConversations(ctx context.Context, t *turn, o services.Officer) error {
	list, err := e.work.Conversations(ctx, o)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		t.say(e.tr(t, "handover.staff.list_empty", nil))
		return nil
	}
	lines := []string{e.tr(t, "handover.staff.list_title", map[string]string{"count": strconv.Itoa(len(list))})}
	for _, h := range list {
		state := e.tr(t, "handover.state."+string(h.State), nil)
		if a, ok := e.staff.Officer(h.Holder); ok && h.Holder != "" {
			state += " (" + a.Name + ")"
		}
		lines = append(lines, e.tr(t, "handover.staff.list_line", map[string]string{
			"number": strconv.FormatInt(h.Number, 10), "unit": e.tr(t, "unit."+h.Unit, nil), "state": state,
			"name": cmp.Or(h.CitizenName, e.tr(t, "staff.actor_citizen", nil)), "since": e.formatDateTime(t, h.OpenedAt),
		}))
	}
	t.say(strings.Join(lines, "\n"))
	return nil
}

// staffHelp is what "bantuan" tells an officer: the case commands and,
// when citizens can talk to a person, the conversation commands.
func (e *Engine) staffHelp(t *turn) string {
	help := e.tr(t, "staff.help", nil)
	if e.handovers != nil {
		help += "\n" + e.tr(t, "handover.staff.help", nil)
	}
	return help
}
