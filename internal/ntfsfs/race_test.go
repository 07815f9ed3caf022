//go:build race

package ntfsfs

func init() { raceEnabled = true }
