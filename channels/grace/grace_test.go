package grace

import (
	"context"
	"testing"
	"time"
)

func TestContextOutlivesItsParentByTheGrace(t *testing.T) {
	t.Parallel()
	parent, cancel := context.WithCancel(context.Background())
	ctx, release := Context(parent, 50*time.Millisecond)
	defer release()
	cancel()
	if ctx.Err() != nil {
		t.Fatalf("grace context cancelled with its parent")
	}
	select {
	case <-ctx.Done():
	case <-time.After(time.Second):
		t.Fatalf("grace context not cancelled after the grace period")
	}
}

func TestReleaseCancelsAtOnce(t *testing.T) {
	t.Parallel()
	ctx, release := Context(context.Background(), time.Hour)
	release()
	if ctx.Err() == nil {
		t.Errorf("release did not cancel the context")
	}
}
