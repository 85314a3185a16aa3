package domain

// MayDefer reports whether a hold in status s can let the next hold in line go first (順位の繰下げ): one
// waiting for a copy (返却待ち, 順番待ち), or whose copy was set aside (確認待ち) or is on the hold shelf
// (利用可能). A series volume only while it waits: once it holds a copy, the next volume may already be on its
// way, and the series would have to wait for this one again.
func MayDefer(s Status, hasCopy, volume bool) bool {
	switch s {
	case StatusQueued:
		return !hasCopy
	case StatusAwaitingPull, StatusReady:
		return !volume
	}
	return false
}
