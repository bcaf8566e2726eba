package fcb_test

import "time"

func nowNs() int64 { return time.Now().UnixNano() }
