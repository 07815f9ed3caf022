//go:build race

package exfat

func init() { raceEnabled = true }
