// Package lfm is a Go binding of liblfm, a thread-safe client for the Last.fm web API 2.0
// (and servers that speak it: Libre.fm, self-hosted ones).
//
//	client, err := lfm.NewClient(apiKey, apiSecret)
//	if err != nil { ... }
//	defer client.Close()
//	session, err := client.GetMobileSession("rj", password)
//	var lerr *lfm.Error
//	if errors.As(err, &lerr) && lerr.APICode == 4 { /* wrong password */ }
//	res, err := client.Scrobble([]lfm.Track{{Artist: "Björk", Title: "Jóga", Timestamp: started}})
//
// # Building
//
// The package uses cgo and pkg-config: install liblfm (make install PREFIX=...), then point
// PKG_CONFIG_PATH at PREFIX/lib/pkgconfig. The default links the shared library (the
// loader must find liblfm.so.0 at run time: a system path, LD_LIBRARY_PATH, or
// CGO_LDFLAGS=-Wl,-rpath,PREFIX/lib); `-tags lfm_static` links liblfm.a instead, using
// pkg-config --static for the system libraries it needs. Only the standard library is used.
//
// # Concurrency
//
// A Client or Queue may be used from any number of goroutines at once. Blocking calls
// (anything that talks to the server) hold the goroutine's OS thread for at most the
// client's timeout (30 s by default); there is no thread-local state, so goroutines moving
// between threads is fine. Close waits for calls in flight on that object, then frees it;
// later calls return ErrClosed. A finalizer closes objects that were not closed, but Close
// them yourself: finalizers run late, if at all.
//
// # Scrobbling from a player
//
// A Scrobbler is told what the player does (Play, Pause, Resume, Seek, Stop) and decides
// when a play counts, sends now playing, and delivers due plays from its own thread through
// a durable queue file. Its Events channel (buffered; the oldest event is dropped when it is
// full) reports what it did. Close it; undelivered plays stay in the file.
//
// # Reading
//
// CallNormalize gives replies one stable shape; CallRetry retries transient failures.
// Client.OpenPager walks every page of a paginated method: call Pager.Next until io.EOF.
//
// # Logging
//
// Client.SetLogger sends the library's log lines (secrets redacted) to a Go function. It
// is called on whichever thread logs, possibly several at once, so it must be safe for
// concurrent use; it must not call the client's methods.
package lfm
