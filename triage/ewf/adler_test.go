package ewf

import "hash/adler32"

func adlerSum(b []byte) uint32 { return adler32.Checksum(b) }
