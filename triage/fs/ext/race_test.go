//go:build race

package ext

func init() { raceEnabled = true }
