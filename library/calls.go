package library

import (
	"context"
	"strings"

	"yoyaku/contract"
	"yoyaku/domain"
	"yoyaku/store"
)

// RecordCall records a phone call staff made to the patron of a ready hold on the call list, with its
// outcome: reached (連絡済) or voicemail (留守電) set the 連絡日 today and start the pickup week; no_answer
// (不在) is kept, and once it was recorded on YOYAKU_PHONE_ATTEMPTS different open days the last of them is
// the 連絡日. An unknown outcome is refused (invalid_outcome) before the hold is touched.
func (s *Service) RecordCall(ctx context.Context, id int64, outcome string, staff int64) (store.HoldView, error) {
	o := domain.CallOutcome(strings.TrimSpace(outcome))
	if !o.Valid() {
		return store.HoldView{}, refuse(CodeInvalidOutcome)
	}
	return s.StaffUpdate(ctx, id, contract.UpdateCall, contract.CallRequest{Outcome: o, StaffID: staff})
}
