package lfm

// #include <stdint.h>
// #include <lfm.h>
//
// // Defined in logexport.go (an //export'ed Go function; message is const in fact).
// extern void lfmGoLog(void *user_data, int32_t level, char *message);
//
// static void lfm_go_log(void *user_data, int32_t level, const char *message) {
// 	lfmGoLog(user_data, level, (char *)message);
// }
//
// // handle is a runtime/cgo.Handle, passed through user_data as an integer (never a Go
// // pointer); 0 turns logging off.
// static lfm_status lfm_go_set_logger(lfm_client *c, int32_t max_level, uintptr_t handle,
// 		lfm_error **err) {
// 	return lfm_client_set_logger(c, handle ? lfm_go_log : NULL, max_level, (void *)handle, err);
// }
import "C"

import (
	"fmt"
	"runtime/cgo"
)

// LogLevel is the severity of a log line; more severe is smaller.
type LogLevel int32

const (
	LogError LogLevel = C.LFM_LOG_ERROR // a call failed and retrying will not help
	LogWarn  LogLevel = C.LFM_LOG_WARN  // a call failed and may succeed later
	LogInfo  LogLevel = C.LFM_LOG_INFO  // sessions established, queue flush summaries
	LogDebug LogLevel = C.LFM_LOG_DEBUG // every request (secrets redacted), HTTP status, duration
)

func (l LogLevel) String() string {
	switch l {
	case LogError:
		return "ERROR"
	case LogWarn:
		return "WARN"
	case LogInfo:
		return "INFO"
	case LogDebug:
		return "DEBUG"
	}
	return fmt.Sprintf("LogLevel(%d)", int32(l))
}

// clearLogger takes the Go logger off the library's client; c.mu is write-held.
func (c *Client) clearLogger() {
	var cerr *C.lfm_error
	_ = takeError(C.lfm_go_set_logger(c.h, C.int32_t(LogError), 0, &cerr), cerr)
}

// SetLogger sends the client's log lines at level or more severe to fn; a nil fn turns
// logging off. DEBUG logs every request (method, URL, parameters, HTTP status, duration);
// WARN and ERROR log failures; INFO logs sessions established and queue flush summaries.
// Passwords, session keys, tokens, signatures, the API key and the secret never appear.
//
// fn runs on whichever goroutine or OS thread makes the call that logs, possibly several at
// once: it must be safe for concurrent use, should return quickly, and must not call
// methods of this Client (SetLogger and Close would deadlock). A panic in fn is recovered
// and reported on standard error; the line is dropped.
//
// SetLogger waits for calls in flight (like Close), then installs fn and releases the
// previous one. The client keeps fn reachable until it is replaced or the client is closed;
// if fn refers to the client, call Close, as the finalizer cannot run.
func (c *Client) SetLogger(level LogLevel, fn func(level LogLevel, message string)) error {
	var h cgo.Handle
	if fn != nil {
		h = cgo.NewHandle(fn)
	}
	// The write lock: no call that could still use the old handle is in flight.
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.h == nil {
		if h != 0 {
			h.Delete()
		}
		return ErrClosed
	}
	var cerr *C.lfm_error
	if err := takeError(C.lfm_go_set_logger(c.h, C.int32_t(level), C.uintptr_t(h), &cerr), cerr); err != nil {
		if h != 0 {
			h.Delete()
		}
		return err
	}
	if c.logger != 0 {
		c.logger.Delete()
	}
	c.logger = h
	return nil
}
