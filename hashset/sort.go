package hashset

import (
	"bytes"
	"encoding/binary"
)

// sortRecords sorts the fixed-width records of a (size bytes each) in
// ascending byte order, using tmp (at least len(a) bytes) as scratch. It is
// a most-significant-digit radix sort: 16 bits at the top level, 8 bits
// below, insertion sort for small buckets.
func sortRecords(a, tmp []byte, size int) {
	n := len(a) / size
	if n < 2 {
		return
	}
	if n <= 32 {
		insertionSort(a, size, 0)
		return
	}
	var count [1<<16 + 1]int
	for i := 0; i < len(a); i += size {
		count[int(binary.BigEndian.Uint16(a[i:]))+1]++
	}
	for i := 1; i < len(count); i++ {
		count[i] += count[i-1]
	}
	pos := count
	tmp = tmp[:len(a)]
	for i := 0; i < len(a); i += size {
		k := binary.BigEndian.Uint16(a[i:])
		copy(tmp[pos[k]*size:], a[i:i+size])
		pos[k]++
	}
	copy(a, tmp)
	for k := 0; k < 1<<16; k++ {
		lo, hi := count[k]*size, count[k+1]*size
		if hi-lo > size {
			msd(a[lo:hi], tmp[lo:hi], size, 2)
		}
	}
}

// msd sorts a by the bytes from off on.
func msd(a, tmp []byte, size, off int) {
	n := len(a) / size
	if n <= 32 || off >= size {
		if off < size {
			insertionSort(a, size, off)
		}
		return
	}
	var count [257]int
	for i := off; i < len(a); i += size {
		count[int(a[i])+1]++
	}
	for i := 1; i < len(count); i++ {
		count[i] += count[i-1]
	}
	if count[256] == count[int(a[off])+1] && count[int(a[off])] == 0 {
		// every record has the same byte here
		msd(a, tmp, size, off+1)
		return
	}
	pos := count
	for i := 0; i < len(a); i += size {
		k := a[i+off]
		copy(tmp[pos[k]*size:], a[i:i+size])
		pos[k]++
	}
	copy(a, tmp)
	for k := 0; k < 256; k++ {
		lo, hi := count[k]*size, count[k+1]*size
		if hi-lo > size {
			msd(a[lo:hi], tmp[lo:hi], size, off+1)
		}
	}
}

func insertionSort(a []byte, size, off int) {
	var cur [64]byte
	for i := size; i < len(a); i += size {
		if bytes.Compare(a[i-size+off:i], a[i+off:i+size]) <= 0 {
			continue
		}
		copy(cur[:size], a[i:i+size])
		j := i
		for j > 0 && bytes.Compare(a[j-size+off:j], cur[off:size]) > 0 {
			copy(a[j:j+size], a[j-size:j])
			j -= size
		}
		copy(a[j:j+size], cur[:size])
	}
}

// dedupe removes adjacent equal records of the sorted a and returns the
// shortened slice.
func dedupe(a []byte, size int) []byte {
	if len(a) <= size {
		return a
	}
	w := size
	for r := size; r < len(a); r += size {
		if !bytes.Equal(a[r:r+size], a[w-size:w]) {
			if w != r {
				copy(a[w:w+size], a[r:r+size])
			}
			w += size
		}
	}
	return a[:w]
}
