//go:build race

package main

func init() { reportRaceEnabled = true }
