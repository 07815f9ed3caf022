//go:build !unix

package casedb

func writable(dir string) bool { return true }
