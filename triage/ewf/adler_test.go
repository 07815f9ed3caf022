package ewf

import "hash/adler32"

func adler(b []byte) uint32 { return adler32.Checksum(b) }
