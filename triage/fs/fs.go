// Package fs is the interface between the scan engine and the file-system
// readers: a Format recognises a file system from the first bytes of a
// volume and opens it; an opened FS walks its entries.
//
// Each file system is a package under triage/fs (triage/fs/ntfs) that
// exports its Format. The formats triage knows are listed in one table,
// formats.All in triage/fs/formats; image detection, volume typing and the
// scan engine all consult that table, and nothing else names a file system.
package fs

import (
	"context"
	"io"
	"time"
)

// ProbeSize is how many bytes from the start of a volume a Probe is given
// (fewer when the volume is smaller): enough for a boot sector, the ext
// superblock at 1024 and the ISO 9660 volume descriptors at 32 KiB.
const ProbeSize = 64 << 10

// Format is a file system triage recognises.
type Format struct {
	// Name names the file system in the case ("ntfs") and in messages.
	Name string
	// Probe tells whether b, the first bytes of a volume (at most
	// ProbeSize, fewer when the volume is smaller), hold this file
	// system's boot sector or superblock. It must not keep b.
	Probe func(b []byte) bool
	// Open opens the volume held in r (size bytes from offset 0 of r).
	// base is the offset of the volume in its image: offsets in errors
	// are image offsets. Open is nil for a file system that is recognised
	// but cannot be read yet.
	Open func(r io.ReaderAt, base, size int64, opts Options) (FS, error)
	// Options are the switches this file system takes; the command
	// turns them into flags.
	Options []Option
}

// Kind is the kind of value an Option takes.
type Kind int

// Kinds of options.
const (
	// Switch is an option that is on or off (a boolean flag).
	Switch Kind = iota
	// Text is an option that takes a string (a code page, a time zone).
	Text
)

// Option is a setting of one file system, set by name in Options: a switch
// (the zero Kind) or a string value (Kind Text).
type Option struct {
	Name    string // the flag name, e.g. "skip-metafiles"
	Usage   string // the flag's help
	Kind    Kind
	Default bool // a switch's default
	// DefaultText is a Text option's default value.
	DefaultText string
	// Check validates a Text option's value; the command refuses a value
	// it rejects (a usage error) before anything is read. nil accepts any
	// value.
	Check func(string) error
}

// Options are the values of file-system options by Option.Name: a bool for
// a switch, a string for a Text option. An option that is not set has its
// default.
type Options map[string]any

// Bool returns the value of the switch o.
func (opts Options) Bool(o Option) bool {
	if v, ok := opts[o.Name].(bool); ok {
		return v
	}
	return o.Default
}

// Text returns the value of the Text option o.
func (opts Options) Text(o Option) string {
	if v, ok := opts[o.Name].(string); ok {
		return v
	}
	return o.DefaultText
}

// FS is an opened file system.
type FS interface {
	// Label is the volume label, "" when there is none.
	Label() string
	// Walk calls visit for every entry in a deterministic order, and
	// problem for what goes wrong on the way (a corrupt entry, a
	// directory loop) before going on. Errors given to problem carry
	// their image offset when known (an Offset() int64 method). Walk
	// returns ctx.Err() when cancelled and visit's error when it fails.
	// visit must not keep the *Entry (Walk may reuse it) but may keep its
	// Extra and Open.
	Walk(ctx context.Context, visit func(*Entry) error, problem func(error)) error
}

// Detailer is implemented by an FS that knows more of its volume than the
// label: a serial number, a GUID, the time zone its local times were read
// in. The engine adds the map to the volume's details in the case
// (casedb.Volume.Details), next to "fs_label"; keys start with "fs_".
type Detailer interface {
	Details() map[string]any
}

// Usage is implemented by an FS that can tell cheaply, once opened, how
// many bytes of its volume are in use (its allocated clusters or blocks,
// from its allocation bitmap, table or superblock). The scan takes it as
// the estimate of the content it will read before the walk has counted
// it, for the progress bar's ETA. UsedBytes returns -1 when it cannot
// tell.
type Usage interface {
	UsedBytes() int64
}

// Types of an Entry: the record types of the case (casedb.TypeFile...).
const (
	TypeFile    = "file"
	TypeDir     = "dir"
	TypeSymlink = "symlink"
	TypeOther   = "other"
)

// Entry is one file, folder, link or data stream of a file system.
//
// The engine keys an entry by its volume and, unless Key is set, by its
// address and stream: "v<volume>/<Addr>[:<Stream>]".
type Entry struct {
	// Path is the full "/"-separated path from the volume root, starting
	// with "/". It holds the raw name bytes, valid UTF-8 or not.
	Path string
	// Addr is the entry's address in the file system (inode, MFT entry
	// number), -1 for an entry that has none.
	Addr int64
	// Key, when not "", is the key of the entry within its volume
	// instead of Addr[:Stream] (a virtual folder, a carved name). It must
	// not be a decimal number.
	Key     string
	Stream  string // data stream name, "" for the main content
	Type    string // TypeFile, TypeDir, ...
	Size    int64  // the logical size of the content
	Deleted bool
	// LinkTarget is the target of a symbolic link, recorded as is and
	// never followed.
	LinkTarget string
	// Zero times are unknown.
	Mtime, Atime, Ctime, Btime time.Time
	// Extra holds what only this file system knows, recorded as is in the
	// record's extra field ("ntfs_seq", "fn_mtime"...). Never nil.
	Extra map[string]any
	// Open returns the content; nil when the entry has none to read.
	// The reader may implement Incomplete() (string, bool) to say that
	// the bytes it yielded do not cover the whole content.
	Open func() (io.ReadCloser, error)
	// Extents, when not nil, tells where the content lies on the volume,
	// so that the engine can read the volume once in disk order instead
	// of opening each content (see Extent). It returns nil when the
	// content cannot be mapped that way (resident, compressed or
	// encrypted data, a run list it cannot trust): Open is used then.
	// Open must stay usable either way.
	Extents func() []Extent
}

// Extent is one piece of an entry's content: Len bytes at offset Off of
// the content are at offset VolOff of the volume, or are zeros when VolOff
// is negative (a sparse run, bytes past the initialized size). The extents
// of an entry are in content order, contiguous from 0, and cover exactly
// its Size; reading them gives the bytes Open gives, and Open's reader
// reports no Incomplete reason.
type Extent struct {
	Off, VolOff, Len int64
}

// Lister is implemented by an FS that can list its names, as the Sleuth
// Kit's fls -r -p lists them, faster than its Walk gives entries: no
// content, no Extra, a path buffer reused (triage ls --files takes this
// way). List calls visit for every name in the listing's order and problem
// for the same problems Walk gives; it returns ctx.Err() when cancelled
// and visit's error when it fails. visit must not keep the *Name.
type Lister interface {
	List(ctx context.Context, visit func(*Name) error, problem func(error)) error
}

// Name is one row of a listing (Lister): a name as fls -r -p prints it,
// with the columns of fls -l.
type Name struct {
	// Path is the path from the root without its leading "/", the raw
	// name bytes; it is valid until visit returns.
	Path []byte
	// Addr is the address printed (the inode), -1 for none ("-").
	Addr int64
	// NameType and MetaType are fls's letters for the type the name
	// records and the type of the metadata: 'r' file, 'd' folder, 'l'
	// link, 'V' virtual, '-' unknown...
	NameType, MetaType byte
	Deleted            bool
	// Realloc: a deleted name whose metadata is in use again.
	Realloc bool
	// Virtual: an entry the listing adds that the file system does not
	// hold ($OrphanFiles).
	Virtual bool
	// The columns of fls -l: zero times are unknown.
	Size                       int64
	Mtime, Atime, Ctime, Btime time.Time
	UID, GID                   int64
}
