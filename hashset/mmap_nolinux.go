//go:build unix && !linux

package hashset

import "errors"

func anonHuge(n int) ([]byte, func() error, error) {
	return nil, nil, errors.New("not supported")
}
