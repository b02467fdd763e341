//go:build repoll_no_ctl_batch

package repoll_test

import "testing"

func TestCtlBatch(t *testing.T) {
	t.Skip("skipped only because include/repoll.h has no repoll_ctl_batch yet (library before v0.2): built with -tags repoll_no_ctl_batch")
}
