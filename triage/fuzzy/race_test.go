//go:build race

package fuzzy

func init() { raceEnabled = true }
