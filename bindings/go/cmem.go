package lfm

// #include <stdlib.h>
// #include <lfm.h>
import "C"

import (
	"strings"
	"unsafe"
)

// cArena owns the C copies of Go strings made for one call; free releases them all.
// A Go string with a NUL byte cannot cross into C intact, so it is refused.
type cArena struct {
	ptrs []unsafe.Pointer
	err  error
}

func (a *cArena) str(s string) *C.char {
	if strings.IndexByte(s, 0) >= 0 && a.err == nil {
		a.err = &Error{Status: StatusInvalidArgument, Message: "a string contains a NUL byte"}
	}
	p := C.CString(s)
	a.ptrs = append(a.ptrs, unsafe.Pointer(p))
	return p
}

// optStr maps "" to NULL ("not sent").
func (a *cArena) optStr(s string) *C.char {
	if s == "" {
		return nil
	}
	return a.str(s)
}

func (a *cArena) free() {
	for _, p := range a.ptrs {
		C.free(p)
	}
	a.ptrs = nil
}

// params converts Go parameters into a slice of lfm_param (holding only C pointers, so it
// may be passed to C); nil for none.
func (a *cArena) params(ps []Param) (*C.lfm_param, C.size_t) {
	if len(ps) == 0 {
		return nil, 0
	}
	out := make([]C.lfm_param, len(ps))
	for i, p := range ps {
		out[i].name = a.str(p.Name)
		out[i].value = a.str(p.Value)
	}
	return &out[0], C.size_t(len(ps))
}

func (a *cArena) track(t *Track) C.lfm_track {
	var c C.lfm_track
	c.artist = a.str(t.Artist)
	c.track = a.str(t.Title)
	c.album = a.optStr(t.Album)
	c.album_artist = a.optStr(t.AlbumArtist)
	c.mbid = a.optStr(t.MBID)
	c.timestamp = C.int64_t(t.Timestamp)
	c.duration_secs = C.uint32_t(t.DurationSecs)
	c.track_number = C.uint32_t(t.TrackNumber)
	c.chosen_by_user = C.int32_t(t.ChosenByUser)
	return c
}

// goTrack copies a library track (borrowed) into Go.
func goTrack(t *C.lfm_track) Track {
	return Track{
		Artist:       goString(t.artist),
		Title:        goString(t.track),
		Album:        goString(t.album),
		AlbumArtist:  goString(t.album_artist),
		MBID:         goString(t.mbid),
		Timestamp:    int64(t.timestamp),
		DurationSecs: uint32(t.duration_secs),
		TrackNumber:  uint32(t.track_number),
		ChosenByUser: Chosen(t.chosen_by_user),
	}
}

// goCorrections copies borrowed corrected names; NULL gives "".
func goCorrections(artist, title, album *C.char) Corrections {
	return Corrections{Artist: goString(artist), Title: goString(title), Album: goString(album)}
}

// takeString copies a library string into Go and frees it; NULL gives "".
func takeString(s *C.char) string {
	if s == nil {
		return ""
	}
	defer C.lfm_string_free(s)
	return C.GoString(s)
}

// goString copies a borrowed C string; NULL gives "".
func goString(s *C.char) string {
	if s == nil {
		return ""
	}
	return C.GoString(s)
}
