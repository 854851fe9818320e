package dispatch_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/leksono/sapa/channels/dispatch"
	"github.com/leksono/sapa/store/redisstore"
	"github.com/leksono/sapa/store/storetest"
)

var _ dispatch.Journal = (*redisstore.Queue)(nil)

// Replay hands over, oldest first and in batches, what a stopped process
// held, and holds it again: a second crash before the entries are removed
// still keeps them.
func TestReplayHandsOverWhatAStoppedProcessHeld(t *testing.T) {
	rdb, prefix := storetest.Redis(t)
	j := redisstore.NewQueue(rdb, prefix+"{journal}")
	ctx := context.Background()
	var left [][]byte
	for i := range 250 {
		left = append(left, fmt.Appendf(nil, "entry %03d", i))
	}
	if err := j.Hold(ctx, left, nil); err != nil {
		t.Fatal(err)
	}
	var got [][]byte
	n, err := dispatch.Replay(ctx, j, func(raw []byte) { got = append(got, raw) })
	if err != nil || n != 250 {
		t.Fatalf("Replay = %d, %v; want 250", n, err)
	}
	if !slices.EqualFunc(got, left, slices.Equal) {
		t.Fatalf("replayed %d entries, not the 250 held in order", len(got))
	}
	// Still held: the next process sees them again until they are removed.
	again, err := dispatch.Replay(ctx, j, func([]byte) {})
	if err != nil || again != 250 {
		t.Fatalf("second Replay = %d, %v; want the same 250", again, err)
	}
	if err := j.Hold(ctx, nil, got); err != nil {
		t.Fatal(err)
	}
	if n, err := dispatch.Replay(ctx, j, func([]byte) { t.Error("a removed entry was replayed") }); err != nil || n != 0 {
		t.Fatalf("Replay after removal = %d, %v; want 0", n, err)
	}
}

// downJournal is a journal whose Redis does not answer.
type downJournal struct{}

func (downJournal) Hold(context.Context, [][]byte, [][]byte) error { return errors.New("redis down") }
func (downJournal) Requeue(context.Context) (int, error)           { return 0, errors.New("redis down") }
func (downJournal) Pop(context.Context, int, time.Duration) ([][]byte, error) {
	return nil, errors.New("redis down")
}

func TestReplayReportsAJournalThatDoesNotAnswer(t *testing.T) {
	if _, err := dispatch.Replay(context.Background(), downJournal{}, func([]byte) {}); err == nil {
		t.Fatal("Replay succeeded on a journal that does not answer")
	}
}
