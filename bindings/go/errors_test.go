package logcap

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestCodesMirrorTheHeader(t *testing.T) {
	codes := []Code{ErrNullArgument, ErrInvalidArgument, ErrInvalidHandle, ErrStaleHandle, ErrWrongPipeline,
		ErrConfig, ErrSinkSetup, ErrClosed, ErrQueueFull, ErrTimeout, ErrNotFound, ErrLimit, ErrBufferTooSmall,
		ErrMalformedRecord, ErrSinkFlush, ErrPanic, ErrIO}
	for i, c := range codes {
		if c != Code(i+1) {
			t.Errorf("code %d is %d", i+1, c)
		}
		if c.String() == "unknown result code" || c.String() == "" {
			t.Errorf("code %d has no text", c)
		}
	}
	if Code(9999).String() != "unknown result code" {
		t.Errorf("unknown code text: %q", Code(9999).String())
	}
	if !strings.Contains(ErrStaleHandle.String(), "stale") {
		t.Errorf("stale handle text: %q", ErrStaleHandle.String())
	}
}

func TestErrorIsByCode(t *testing.T) {
	var err error = &Error{Code: ErrClosed, Message: "detail"}
	if !errors.Is(err, ErrClosed) || errors.Is(err, ErrQueueFull) {
		t.Fatal("errors.Is by Code")
	}
	if !errors.Is(err, &Error{Code: ErrClosed}) || errors.Is(err, &Error{Code: ErrTimeout}) {
		t.Fatal("errors.Is by *Error")
	}
	wrapped := fmt.Errorf("context: %w", err)
	var le *Error
	if !errors.Is(wrapped, ErrClosed) || !errors.As(wrapped, &le) || le.Message != "detail" {
		t.Fatal("through a wrapper")
	}
	if got := err.Error(); got != "logcap: "+ErrClosed.String()+": detail" {
		t.Fatalf("Error() = %q", got)
	}
	if got := (&Error{Code: ErrLimit}).Error(); got != "logcap: "+ErrLimit.String() {
		t.Fatalf("Error() without detail = %q", got)
	}
	timeout := ctxError("flush", context.DeadlineExceeded)
	if !errors.Is(timeout, ErrTimeout) || !errors.Is(timeout, context.DeadlineExceeded) {
		t.Fatal("a passed deadline is ErrTimeout and context.DeadlineExceeded")
	}
	if ctxError("flush", context.Canceled) != context.Canceled {
		t.Fatal("a cancellation is the context's error")
	}
}
