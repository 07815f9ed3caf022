package ntfsfs

import (
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
)

// ErrNotNTFS is returned by Open when the volume has no NTFS boot sector.
var ErrNotNTFS = errors.New("ntfs: no NTFS boot sector")

// Error is a problem found in the volume, with the volume offset of the
// bytes at fault (-1 when not known).
type Error struct {
	Off   int64
	Entry int64 // MFT entry, -1 when not tied to one
	Msg   string
	Err   error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("ntfs: ")
	if e.Entry >= 0 {
		fmt.Fprintf(&b, "MFT entry %d: ", e.Entry)
	}
	b.WriteString(e.Msg)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if e.Off >= 0 {
		fmt.Fprintf(&b, " at byte %#x", e.Off)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Offset returns the volume offset of the problem.
func (e *Error) Offset() int64 { return e.Off }

// PanicError is a panic recovered from go-ntfs.
type PanicError struct {
	What  string
	Value any
	Stack string
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("ntfs parser failed while %s: %v", e.What, e.Value)
}

// guard runs fn and turns a panic into a *PanicError.
func guard(what string, fn func() error) (err error) {
	return guardEntry(what, -1, fn)
}

// guardEntry is guard for work on an MFT entry (what is completed with
// " MFT entry N" when entry >= 0): the message is only formatted on a panic.
func guardEntry(what string, entry int64, fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if entry >= 0 {
				what = fmt.Sprintf("%s MFT entry %d", what, entry)
			}
			err = &PanicError{What: what, Value: r, Stack: string(debug.Stack())}
		}
	}()
	return fn()
}

// ErrNoEntry is returned by ReadEntry for an entry that was never used or
// is an extension record of another entry.
var ErrNoEntry = errors.New("ntfs: no file in this MFT entry")
