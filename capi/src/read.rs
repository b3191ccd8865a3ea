//! `lfm_pager`: every page of a paginated method, normalized, retried, each item once.

use std::ffi::c_char;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use super::args::{catch, free_box, guard, handle};
use super::call::call_flags;
use super::client::lfm_client;
use super::error::{lfm_error, lfm_status};
use super::sign::lfm_param;
use lfm::client::Client;
use lfm::read::{Mark, Pager, Retry};

/// A walk over every page of a paginated method (user.getRecentTracks,
/// user.getLovedTracks, user.getTopArtists), handing out the normalized items of each page
/// (see LFM_CALL_NORMALIZE) exactly once.
///
/// It follows `totalPages`; for user.getRecentTracks it drops the now-playing item without
/// losing the play it pushed off page 1, freezes the window at the newest play when the walk
/// starts (plays scrobbled meanwhile do not shift its pages), keeps plays that share a
/// second across page boundaries, and applies `from`/`to` inclusively. Each page is retried
/// through transient failures (Last.fm errors 8, 11, 16, 29, HTTP 5xx and 429, network
/// errors, timeouts): 6 attempts, waits of 1 s doubling or the server's suggestion, each at
/// most 15 minutes, unless lfm_pager_set_max_attempts() or lfm_pager_set_max_wait_ms() say
/// otherwise; requests are paced by the client's rate limit. When the attempts are used up,
/// lfm_pager_next() fails and the pager stays on the same page: call it again to go on, or
/// save lfm_pager_state() and lfm_pager_resume() later, even in another process.
///
/// The pager holds its own reference to the client: freeing the client first is safe
/// (its settings are those of the client when the pager calls). Thread-safety: a pager may
/// be moved between threads; calls on one pager are serialized (a second thread waits
/// while lfm_pager_next() blocks), so use each pager from one thread at a time. Free with
/// lfm_pager_free().
///
/// Methods: lfm_pager_open(), lfm_pager_open_after(), lfm_pager_resume(), lfm_pager_next(),
/// lfm_pager_total(), lfm_pager_total_pages(), lfm_pager_page(), lfm_pager_state(),
/// lfm_pager_mark(), lfm_pager_set_max_attempts(), lfm_pager_set_max_wait_ms(),
/// lfm_pager_free().
pub struct lfm_pager {
    walk: Mutex<Walk>,
}

/// The pager and what the C functions report about it.
struct Walk {
    pager: Pager<Arc<Client>>,
    /// The policy last given to the pager, changed one field at a time by the setters.
    retry: Retry,
    /// The page the latest lfm_pager_next() delivered (0 before the first).
    pages_done: u32,
}

impl lfm_pager {
    fn new(pager: Pager<Arc<Client>>) -> lfm_pager {
        let pages_done = pager.page().saturating_sub(1);
        lfm_pager {
            walk: Mutex::new(Walk {
                pager,
                retry: Retry::default(),
                pages_done,
            }),
        }
    }

    /// The walk, also after a panic in an earlier call (its state stays consistent: a
    /// failed page is asked again).
    fn lock(&self) -> MutexGuard<'_, Walk> {
        self.walk
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Borrow the pager behind a handle.
///
/// # Safety
/// `pager` is NULL or a live lfm_pager.
pub(crate) unsafe fn pager_arg<'a>(pager: *const lfm_pager) -> lfm::Result<&'a lfm_pager> {
    // SAFETY: forwarded contract.
    unsafe { handle(pager, "pager") }
}

/// Apply `flags` (LFM_CALL_* bits) to a new pager: the bits of the calls (signing, session
/// key, POST) are used; LFM_CALL_NORMALIZE and LFM_CALL_RETRY are what a pager always does.
fn with_flags(pager: Pager<Arc<Client>>, flags: u32) -> lfm::Result<Pager<Arc<Client>>> {
    let (flags, _always) = call_flags(flags)?;
    Ok(pager.with_flags(flags))
}

/// Open a pager over `method` (user.getRecentTracks, user.getLovedTracks or
/// user.getTopArtists; another method is LFM_ERR_INVALID_ARGUMENT) with the method's own
/// parameters, e.g. `user`. Among them may be `limit` (items per page, default 200; at
/// least 2 for recent tracks) and, for user.getRecentTracks only, `from` and `to` (Unix
/// seconds, both inclusive); `page` may not (see lfm_pager_resume()). `flags` are
/// LFM_CALL_* bits for each page's call (LFM_CALL_SIGNED, LFM_CALL_SESSION, LFM_CALL_POST;
/// LFM_CALL_NORMALIZE and LFM_CALL_RETRY are accepted and change nothing: a pager always
/// normalizes and retries); unknown bits are LFM_ERR_INVALID_ARGUMENT.
///
/// `out_pager` (required) receives the pager; free it with lfm_pager_free(). Does no I/O:
/// errors of the method (an unknown user) come from the first lfm_pager_next().
#[no_mangle]
pub unsafe extern "C" fn lfm_pager_open(
    client: *mut lfm_client,
    method: *const c_char,
    params: *const lfm_param,
    n_params: usize,
    flags: u32,
    out_pager: *mut *mut lfm_pager,
    out_err: *mut *mut lfm_error,
) -> lfm_status {
    guard(out_err, || {
        let out_pager = arg!(out out_pager);
        let pairs = arg!(params params, n_params);
        let pager = Pager::open(arg!(client_arc client), arg!(str method), &pairs)?;
        out_pager.set_box(lfm_pager::new(with_flags(pager, flags)?));
        Ok(())
    })
}

/// Open a pager for an incremental import of user.getRecentTracks: as lfm_pager_open(),
/// but delivering only the plays newer than `mark_json` (from lfm_pager_mark() at the end
/// of an earlier walk), and those at its second that it does not hold, so that plays
/// sharing the mark's second are neither lost nor repeated. A `from` among `params` is
/// replaced by the mark. A `mark_json` that is not a mark, or a method that is not a
/// timeline, is LFM_ERR_INVALID_ARGUMENT. `out_pager` (required) receives the pager; free
/// it with lfm_pager_free(). Does no I/O.
#[no_mangle]
pub unsafe extern "C" fn lfm_pager_open_after(
    client: *mut lfm_client,
    method: *const c_char,
    params: *const lfm_param,
    n_params: usize,
    flags: u32,
    mark_json: *const c_char,
    out_pager: *mut *mut lfm_pager,
    out_err: *mut *mut lfm_error,
) -> lfm_status {
    guard(out_err, || {
        let out_pager = arg!(out out_pager);
        let pairs = arg!(params params, n_params);
        let mark = Mark::from_json(arg!(str mark_json))?;
        let pager = Pager::open(arg!(client_arc client), arg!(str method), &pairs)?.after(mark)?;
        out_pager.set_box(lfm_pager::new(with_flags(pager, flags)?));
        Ok(())
    })
}

/// Open the pager that `state_json` (from lfm_pager_state()) describes, on `client`: it
/// continues exactly where that pager was (the page it was to ask for next, the window,
/// the plays already delivered), without a gap or a repeat. `flags` as for
/// lfm_pager_open() (they are not part of the state). The retry settings are the defaults
/// again, and lfm_pager_total() and lfm_pager_total_pages() are -1 until the next page. A
/// `state_json` that is not a pager state is LFM_ERR_INVALID_ARGUMENT. `out_pager`
/// (required) receives the pager; free it with lfm_pager_free(). Does no I/O.
#[no_mangle]
pub unsafe extern "C" fn lfm_pager_resume(
    client: *mut lfm_client,
    state_json: *const c_char,
    flags: u32,
    out_pager: *mut *mut lfm_pager,
    out_err: *mut *mut lfm_error,
) -> lfm_status {
    guard(out_err, || {
        let out_pager = arg!(out out_pager);
        let pager = Pager::resume(arg!(client_arc client), arg!(str state_json))?;
        out_pager.set_box(lfm_pager::new(with_flags(pager, flags)?));
        Ok(())
    })
}

/// The next page: `*out_json_page` (required) receives a JSON array of the page's new
/// items, normalized (see LFM_CALL_NORMALIZE; a recent track is an object with `name`,
/// `artist.name`, `album.name`, `date.uts` as a number, ...), never empty; free it with
/// lfm_string_free(). At the end of the walk it is NULL and the status LFM_OK (and stays
/// so on further calls).
///
/// Errors: those of lfm_call() for the page, after the retries (the message starts with
/// the method and page number); a reply that is not JSON is LFM_ERR_PARSE. After an error
/// the pager stays on the failed page: call again to retry it. Blocks for the page's
/// request, its retries and their waits (see lfm_pager_set_max_wait_ms()), and the rate
/// limit's pacing; a recent-tracks walk may ask page 1 twice (once to fix its window when
/// a track is playing).
#[no_mangle]
pub unsafe extern "C" fn lfm_pager_next(
    pager: *mut lfm_pager,
    out_json_page: *mut *mut c_char,
    out_err: *mut *mut lfm_error,
) -> lfm_status {
    guard(out_err, || {
        let out_json_page = arg!(out out_json_page);
        let mut walk = arg!(pager pager).lock();
        match walk.pager.next_page()? {
            Some(page) => {
                walk.pages_done = page.number;
                out_json_page.set_string(page.to_json())
            }
            None => {
                let pages = walk.pager.total().map_or(0, |t| t.pages);
                walk.pages_done = walk.pages_done.max(pages);
                Ok(())
            }
        }
    })
}

/// A number the pager reports, or -1 for a NULL pager (no error channel).
fn report(pager: *const lfm_pager, what: impl FnOnce(&Walk) -> Option<i64>) -> i64 {
    catch(-1, || {
        // SAFETY: API contract: NULL or a live pager.
        match unsafe { pager.as_ref() } {
            Some(p) => what(&p.lock()).unwrap_or(-1),
            None => -1,
        }
    })
}

/// The number of items in all, as Last.fm reported it in the latest page's reply (for
/// user.getRecentTracks, the plays in the window, without the now-playing item); -1 before
/// the first page (and after lfm_pager_resume(), until the next page) or for NULL.
/// Thread-safe; waits while another thread is in lfm_pager_next() on this pager.
#[no_mangle]
pub unsafe extern "C" fn lfm_pager_total(pager: *const lfm_pager) -> i64 {
    report(pager, |w| {
        w.pager
            .total()
            .map(|t| i64::try_from(t.items).unwrap_or(i64::MAX))
    })
}

/// The number of pages in all, as Last.fm reported it in the latest page's reply; -1 before
/// the first page (and after lfm_pager_resume(), until the next page) or for NULL. With
/// lfm_pager_page(), the progress of a walk. Thread-safe; waits as lfm_pager_total().
#[no_mangle]
pub unsafe extern "C" fn lfm_pager_total_pages(pager: *const lfm_pager) -> i64 {
    report(pager, |w| w.pager.total().map(|t| i64::from(t.pages)))
}

/// The pages done: the number of the page the latest lfm_pager_next() delivered, 0 before
/// the first (after lfm_pager_resume(), the page before the one it continues at), and
/// lfm_pager_total_pages() once the walk has ended; -1 for NULL. Thread-safe; waits as
/// lfm_pager_total().
#[no_mangle]
pub unsafe extern "C" fn lfm_pager_page(pager: *const lfm_pager) -> i64 {
    report(pager, |w| Some(i64::from(w.pages_done)))
}

/// Everything needed to continue this walk later, as a JSON string for
/// lfm_pager_resume(): save it after each page (or after an error) to survive the process
/// being killed. `out_json` (required) receives it; free it with lfm_string_free(). It
/// holds the method's parameters (a `user` name, never a session key or credential).
/// Thread-safe; waits as lfm_pager_total().
#[no_mangle]
pub unsafe extern "C" fn lfm_pager_state(
    pager: *const lfm_pager,
    out_json: *mut *mut c_char,
    out_err: *mut *mut lfm_error,
) -> lfm_status {
    guard(out_err, || {
        let out_json = arg!(out out_json);
        out_json.set_string(arg!(pager pager).lock().pager.state())
    })
}

/// Where the next incremental import starts, for lfm_pager_open_after(): the newest second
/// delivered so far and the plays delivered at it, as a JSON string (user.getRecentTracks
/// only). Take it when the walk has ended, and store it. `out_json` (required) receives it,
/// or NULL when the pager has no mark (nothing delivered yet, or not a timeline); free it
/// with lfm_string_free(). Thread-safe; waits as lfm_pager_total().
#[no_mangle]
pub unsafe extern "C" fn lfm_pager_mark(
    pager: *const lfm_pager,
    out_json: *mut *mut c_char,
    out_err: *mut *mut lfm_error,
) -> lfm_status {
    guard(out_err, || {
        let out_json = arg!(out out_json);
        match arg!(pager pager).lock().pager.mark() {
            Some(mark) => out_json.set_string(mark.to_json()),
            None => Ok(()),
        }
    })
}

/// The pager's retry policy, changed by `change`, handed to its walk.
fn set_retry(
    pager: *const lfm_pager,
    out_err: *mut *mut lfm_error,
    change: impl FnOnce(&mut Retry) -> lfm::Result<()>,
) -> lfm_status {
    guard(out_err, || {
        let mut walk = arg!(pager pager).lock();
        let mut retry = walk.retry.clone();
        change(&mut retry)?;
        walk.pager.set_retry(retry.clone());
        walk.retry = retry;
        Ok(())
    })
}

/// The attempts each page gets in all, the first included (>= 1; default 6). 1 turns
/// retrying off: a failure comes back from lfm_pager_next() at once. Thread-safe; applies
/// to the next page.
#[no_mangle]
pub unsafe extern "C" fn lfm_pager_set_max_attempts(
    pager: *mut lfm_pager,
    attempts: u32,
    out_err: *mut *mut lfm_error,
) -> lfm_status {
    set_retry(pager, out_err, |retry| {
        if attempts == 0 {
            return Err(lfm::Error::invalid("attempts must be at least 1"));
        }
        retry.max_attempts = attempts;
        Ok(())
    })
}

/// The longest wait between two attempts at a page, in milliseconds (default 900000, 15
/// minutes), the server's suggestion included: after error 29 the client suggests 30 s and
/// more, and a pager that must not block that long (a UI, a test) lowers this. 0 retries at
/// once. A walk then blocks at most (attempts - 1) times this per page, plus its requests.
/// Thread-safe; applies to the next wait.
#[no_mangle]
pub unsafe extern "C" fn lfm_pager_set_max_wait_ms(
    pager: *mut lfm_pager,
    max_wait_ms: u32,
    out_err: *mut *mut lfm_error,
) -> lfm_status {
    set_retry(pager, out_err, |retry| {
        retry.max_wait = Duration::from_millis(u64::from(max_wait_ms));
        Ok(())
    })
}

/// Free a pager (and its reference to the client). NULL is fine. No call on this pager may
/// be running or start afterwards.
#[no_mangle]
pub unsafe extern "C" fn lfm_pager_free(pager: *mut lfm_pager) {
    // SAFETY: NULL or from lfm_pager_open/_open_after/_resume, freed once (the API contract).
    unsafe { free_box(pager) }
}
