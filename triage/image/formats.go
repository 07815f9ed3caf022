package image

import (
	"github.com/triagekit/triage/triage/ewf"
	"github.com/triagekit/triage/triage/qcow2"
	"github.com/triagekit/triage/triage/vhd"
	"github.com/triagekit/triage/triage/vhdx"
	"github.com/triagekit/triage/triage/vmdk"
)

// formats is the table of container formats: the one place that names
// them. Detect and Open try them in order on the first and last matchSize
// bytes of a file; a file no format matches is read as raw (or split raw,
// or a device). A new format is one package that reads it and one line
// here.
var formats = []format{
	{name: "e01", kind: KindEWF, match: matchEWF, open: openEWF, label: ewf.MetadataLabel},
	{name: "vhd", kind: KindVHD, match: vhd.IsVHD, open: openVHD, label: vhd.MetadataLabel},
	{name: "qcow2", kind: KindQCOW2, match: qcow2.IsQCOW2, open: openQCOW2, label: qcow2.MetadataLabel},
	{name: "vmdk", kind: KindVMDK, match: vmdk.IsVMDK, open: openVMDK, label: vmdk.MetadataLabel},
	{name: "vhdx", kind: KindVHDX, match: vhdx.IsVHDX, open: openVHDX, label: vhdx.MetadataLabel},
}

// Kinds of the virtual-disk formats.
const (
	KindVHD   Kind = "vhd"
	KindVHDX  Kind = "vhdx"
	KindVMDK  Kind = "vmdk"
	KindQCOW2 Kind = "qcow2"
)

// format is one container format.
type format struct {
	name string // Info.Format of its images
	kind Kind   // what Detect returns for it
	// match tells the format from the first and the last bytes of a file
	// (at most matchSize of each; a file shorter than 2*matchSize gives
	// overlapping slices). A VHD, for one, is recognised by its footer.
	match func(head, tail []byte) bool
	// open opens the image whose first (or only) file is path, with the
	// options (parents of a differencing disk). The image implements the
	// optional interfaces of package container that the format supports.
	open func(path string, o OpenOptions) (Image, error)
	// label names the flattened keys of the metadata the format records
	// on the evidence item, for reports; nil when it records none.
	label func(key string) (string, bool)
}

// matchSize is how many bytes from each end of a file a match sees.
const matchSize = 4096

func matchEWF(head, _ []byte) bool { return ewf.IsEWF(head) }

func openEWF(path string, _ OpenOptions) (Image, error) {
	r, err := ewf.Open(path)
	if err != nil {
		return nil, err
	}
	return r, nil
}

func openVHD(path string, o OpenOptions) (Image, error) {
	r, err := vhd.Open(path, o.Parents...)
	if err != nil {
		return nil, err
	}
	return r, nil
}

func openQCOW2(path string, o OpenOptions) (Image, error) {
	r, err := qcow2.Open(path, o.Parents...)
	if err != nil {
		return nil, err
	}
	return r, nil
}

func openVMDK(path string, o OpenOptions) (Image, error) {
	r, err := vmdk.Open(path, o.Parents...)
	if err != nil {
		return nil, err
	}
	return r, nil
}

func openVHDX(path string, o OpenOptions) (Image, error) {
	r, err := vhdx.Open(path, o.Parents...)
	if err != nil {
		return nil, err
	}
	return r, nil
}
