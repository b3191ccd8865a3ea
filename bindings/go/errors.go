package lfm

// #include <lfm.h>
import "C"

import (
	"errors"
	"fmt"
	"time"
)

// Status is liblfm's lfm_status: StatusOK or one of the failure kinds. A Status is also an
// error value usable as an errors.Is target: errors.Is(err, lfm.StatusTimeout).
type Status int32

// The lfm_status values (stable; new ones are only appended).
const (
	StatusOK              Status = C.LFM_OK
	StatusInvalidArgument Status = C.LFM_ERR_INVALID_ARGUMENT // NULL, bad UTF-8, bad option, reserved name
	StatusNetwork         Status = C.LFM_ERR_NETWORK          // DNS, connect, TLS, reset
	StatusTimeout         Status = C.LFM_ERR_TIMEOUT          // the client's timeout fired
	StatusHTTP            Status = C.LFM_ERR_HTTP             // HTTP error without a Last.fm error body
	StatusParse           Status = C.LFM_ERR_PARSE            // a 2xx body that is not the expected JSON
	StatusAPI             Status = C.LFM_ERR_API              // a Last.fm error: see Error.APICode
	StatusInsecure        Status = C.LFM_ERR_INSECURE         // a password over plain http
	StatusNoSession       Status = C.LFM_ERR_NO_SESSION       // a session call without a session key
	StatusIO              Status = C.LFM_ERR_IO               // a local file could not be read or written
	StatusPanic           Status = C.LFM_ERR_PANIC            // a bug inside liblfm, caught at its boundary
)

// String is liblfm's static English text for the status.
func (s Status) String() string { return C.GoString(C.lfm_status_str(C.lfm_status(s))) }

// Error makes a Status an error, so that it can be an errors.Is target.
func (s Status) Error() string { return "lfm: " + s.String() }

// Error is a failed liblfm call. Get it with errors.As(err, &lerr) where lerr is *lfm.Error.
type Error struct {
	Status     Status        // never StatusOK
	APICode    int           // Last.fm's error code for StatusAPI (4 wrong password, 9 bad session, 29 rate limit...), else 0
	HTTPStatus int           // the HTTP status of the reply behind the error, 0 when there was none
	RetryAfter time.Duration // a suggested wait before retrying, 0 when none
	Retryable  bool          // whether the same request may succeed later
	Message    string        // human-readable; never contains a password, session key or secret
}

func (e *Error) Error() string {
	if e.APICode != 0 {
		return fmt.Sprintf("lfm: %s (Last.fm error %d): %s", e.Status, e.APICode, e.Message)
	}
	return fmt.Sprintf("lfm: %s: %s", e.Status, e.Message)
}

// Is reports whether target is this error's Status, so errors.Is(err, lfm.StatusAPI) works.
func (e *Error) Is(target error) bool {
	s, ok := target.(Status)
	return ok && s == e.Status
}

// ErrClosed is returned by methods of a Client or Queue after Close.
var ErrClosed = errors.New("lfm: use of a closed Client or Queue")

// takeError converts a status and its C error (which it frees) into a Go error; nil for OK.
func takeError(status C.lfm_status, cerr *C.lfm_error) error {
	defer C.lfm_error_free(cerr)
	if status == C.LFM_OK {
		return nil
	}
	e := &Error{
		Status:     Status(status),
		APICode:    int(C.lfm_error_api_code(cerr)),
		HTTPStatus: int(C.lfm_error_http_status(cerr)),
		RetryAfter: time.Duration(C.lfm_error_retry_after_ms(cerr)) * time.Millisecond,
		Retryable:  bool(C.lfm_error_is_retryable(cerr)),
		Message:    C.GoString(C.lfm_error_message(cerr)),
	}
	if e.Message == "" {
		e.Message = e.Status.String()
	}
	return e
}
