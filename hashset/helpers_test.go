package hashset

import "sort"

func slicesSort(s []string) { sort.Strings(s) }
