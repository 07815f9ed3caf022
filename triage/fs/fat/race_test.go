//go:build race

package fat

func init() { raceEnabled = true }
