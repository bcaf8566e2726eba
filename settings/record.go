package settings

import (
	"bytes"
	"fmt"
	"strings"
)

// A record is the bytes of one FCB entry: the name, '=', the raw value
// (settings_line.c without the old base64 encoding). An empty value marks a
// deletion.

func checkKey(key string) error {
	if key == "" || strings.ContainsAny(key, "=\x00") {
		return fmt.Errorf("%w: %q", ErrInvalidKey, key)
	}
	return nil
}

// encode appends the record of key and value to dst.
func encode(dst []byte, key string, value []byte) []byte {
	dst = append(dst, key...)
	dst = append(dst, '=')
	return append(dst, value...)
}

// decode splits a record; ok is false for bytes that are not a record.
func decode(rec []byte) (name, value []byte, ok bool) {
	i := bytes.IndexByte(rec, '=')
	if i <= 0 {
		return nil, nil, false
	}
	return rec[:i], rec[i+1:], true
}
