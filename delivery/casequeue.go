package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/leksono/sapa/internal/pause"
	"github.com/leksono/sapa/services"
	"github.com/leksono/sapa/store/pgstore"
	"github.com/leksono/sapa/store/redisstore"
)

// sealedField names what a queued case is sealed as: it holds NIK numbers.
const sealedField = "queued_case"

// CaseQueue is a conversation.CaseStore that files cases in the database
// and, when the database does not answer, still gives the citizen their
// ticket: the number comes from Redis (shared by every process, seeded from
// the database), and the case waits, sealed, in a durable Redis queue that
// one writer (Core.WriteCases) drains in order, exactly once (the case
// store is idempotent per source message), when the database is back.
type CaseQueue struct {
	db      *pgstore.Store
	states  *redisstore.Store
	queue   *redisstore.Queue
	keys    *pgstore.Keys
	loc     *time.Location
	timeout time.Duration // how long a submission waits for the database
	// shared is true when Redis is a server every process uses: numbers
	// come from its counter then. The in-process store is this process's
	// alone, so another process on the same database would give the same
	// numbers: the database numbers the cases instead.
	shared bool
	log    *slog.Logger
}

// queued is one entry of the queue: a case (the entries of older versions
// are a bare case), or a consent recorded while the database was down.
// One queue keeps them in order: a consent is written before the case that
// followed it.
type queued struct {
	services.NewCase
	Consent *queuedConsent `json:"queued_consent,omitempty"`
}

// queuedConsent is a PrivacyDesk.RecordConsent that waits for the
// database.
type queuedConsent struct {
	Channel, ChatID, Purpose string
	At                       time.Time
}

// ticketRetries bounds how often a submission takes a new number after
// finding its number taken in the database.
const ticketRetries = 3

// SubmitCase implements conversation.CaseStore.
func (q *CaseQueue) SubmitCase(ctx context.Context, nc services.NewCase) (services.Receipt, error) {
	day := nc.SubmittedAt.In(q.loc).Format(time.DateOnly)
	for retry := 0; ; retry++ {
		r, err := q.submit(ctx, day, nc)
		if !errors.Is(err, pgstore.ErrTicketTaken) || retry == ticketRetries {
			return r, err
		}
		// The counter is behind the database: another process numbered
		// from one it did not share, or Redis lost it and was seeded low.
		q.log.Warn("ticket number already taken in the database: numbering the case again", "day", day, "err", err)
		if err := q.catchUp(ctx, day); err != nil {
			return services.Receipt{}, fmt.Errorf("number the case again: %w", err)
		}
	}
}

// submit files nc once: numbered from Redis when Redis is a server every
// process shares, else by the database itself. A number from Redis lets
// the case wait in the queue while the database is down.
func (q *CaseQueue) submit(ctx context.Context, day string, nc services.NewCase) (services.Receipt, error) {
	nc.TicketNumber = 0
	if q.shared {
		n, err := q.states.NextTicketNumber(ctx, day, func(ctx context.Context) (int64, error) {
			return q.db.LastTicketNumber(ctx, day)
		})
		if err != nil {
			// Without a number that no other process can give, the case
			// cannot be promised: the message fails and its channel
			// retries it later.
			return services.Receipt{}, fmt.Errorf("number the case: %w", err)
		}
		nc.TicketNumber = n
	}
	dctx, cancel := context.WithTimeout(ctx, q.timeout)
	r, err := q.db.SubmitCase(dctx, nc)
	cancel()
	if err == nil || ctx.Err() != nil || errors.Is(err, pgstore.ErrTicketTaken) {
		return r, err
	}
	if nc.TicketNumber == 0 || !q.down(ctx) {
		// The database answers: the error is the case's own. Or it has no
		// number to be promised under: the message fails, and its channel
		// tries it again.
		return services.Receipt{}, err
	}
	if perr := q.push(ctx, queued{NewCase: nc}); perr != nil {
		return services.Receipt{}, fmt.Errorf("queue case while the database is down (%w): %w", err, perr)
	}
	ticket := q.db.Ticket(nc.SubmittedAt, nc.TicketNumber)
	q.log.Warn("database unreachable: case queued in Redis, the citizen has their ticket", "ticket", ticket, "err", err)
	return services.Receipt{Ticket: ticket, DueAt: nc.DueAt}, nil
}

// down reports whether the database does not answer.
func (q *CaseQueue) down(ctx context.Context) bool {
	pctx, cancel := context.WithTimeout(ctx, q.timeout)
	defer cancel()
	return q.db.Ping(pctx) != nil
}

// push seals an entry (it holds NIK numbers, chat ids) and queues it.
func (q *CaseQueue) push(ctx context.Context, e queued) error {
	raw, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("queue for the database: %w", err)
	}
	sealed, err := q.keys.Seal(sealedField, string(raw))
	if err != nil {
		return fmt.Errorf("queue for the database: %w", err)
	}
	return q.queue.Push(ctx, []byte(sealed))
}

// catchUp moves the day's Redis counter past the database's last ticket.
func (q *CaseQueue) catchUp(ctx context.Context, day string) error {
	if !q.shared {
		return nil // the database numbers by itself
	}
	last, err := q.db.LastTicketNumber(ctx, day)
	if err != nil {
		return err
	}
	return q.states.RaiseTicketNumber(ctx, day, last)
}

// drain writes queued cases to the database in order until ctx is done. Run
// it in one process at a time (a lease): order is kept by one writer.
func (q *CaseQueue) drain(ctx context.Context) error {
	if _, err := q.queue.Requeue(ctx); err != nil {
		q.log.Warn("case queue: requeue on start failed", "err", err)
	}
	wait := time.Second
	lastSeed := time.Time{}
	for ctx.Err() == nil {
		if time.Since(lastSeed) > time.Minute {
			q.seed(ctx)
			lastSeed = time.Now()
		}
		msgs, err := q.queue.Pop(ctx, 20, time.Second)
		if err != nil {
			q.log.Warn("case queue: pop failed", "err", err)
			pause.For(ctx, wait)
			continue
		}
		failed := false
		for _, m := range msgs {
			if permanent, err := q.write(ctx, m); permanent {
				// A message that can never be read (another key set, a
				// corrupted value) would block every case behind it.
				q.log.Error("case queue: unreadable queued case dropped; restore its key to recover it from a Redis backup", "err", err)
			} else if err != nil {
				q.log.Warn("case queue: database still unreachable, retrying", "err", err)
				failed = true
				break
			}
			if err := q.queue.Ack(ctx, m); err != nil {
				q.log.Warn("case queue: ack failed; the case will be written again (idempotent)", "err", err)
			}
		}
		if failed {
			if _, err := q.queue.Requeue(ctx); err != nil {
				q.log.Warn("case queue: requeue failed", "err", err)
			}
			pause.For(ctx, wait)
			wait = min(2*wait, 30*time.Second)
			continue
		}
		wait = time.Second
	}
	return nil
}

// seed sets today's and tomorrow's ticket counters in Redis from the
// database while it answers, so a citizen gets a number even when the
// database fails before the day's first case.
func (q *CaseQueue) seed(ctx context.Context) {
	now := time.Now().In(q.loc)
	for _, d := range []time.Time{now, now.AddDate(0, 0, 1)} {
		day := d.Format(time.DateOnly)
		last, err := q.db.LastTicketNumber(ctx, day)
		if err == nil {
			err = q.states.SeedTicketNumber(ctx, day, last)
		}
		if err != nil {
			q.log.Warn("ticket counter not seeded; retrying in a minute", "day", day, "err", err)
		}
	}
}

// write files one queued case; permanent reports an error that retrying
// cannot cure.
func (q *CaseQueue) write(ctx context.Context, sealed []byte) (permanent bool, err error) {
	raw, err := q.keys.Open(sealedField, string(sealed))
	if err != nil {
		return true, fmt.Errorf("open queued case: %w", err)
	}
	var e queued
	if err := json.Unmarshal([]byte(raw), &e); err != nil {
		return true, fmt.Errorf("decode queued case: %w", err)
	}
	if c := e.Consent; c != nil {
		if err := q.db.RecordConsent(ctx, c.Channel, c.ChatID, c.Purpose, c.At); err != nil {
			return false, fmt.Errorf("write queued consent: %w", err)
		}
		q.log.Info("queued consent written", "channel", c.Channel)
		return false, nil
	}
	nc := e.NewCase
	r, err := q.db.SubmitCase(ctx, nc)
	if errors.Is(err, pgstore.ErrTicketTaken) {
		// The number promised while the database was down went to another
		// case meanwhile (Redis lost its counter and was seeded low): the
		// case is kept under the next free number rather than lost.
		promised := q.db.Ticket(nc.SubmittedAt, nc.TicketNumber)
		nc.TicketNumber = 0
		if r, err = q.db.SubmitCase(ctx, nc); err == nil {
			q.log.Error("queued case filed under another ticket than the citizen was given: theirs went to another case", "promised", promised, "ticket", r.Ticket)
			return false, nil
		}
	}
	if err != nil {
		return false, fmt.Errorf("write queued case: %w", err)
	}
	q.log.Info("queued case written", "ticket", r.Ticket)
	return false, nil
}
