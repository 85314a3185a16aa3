package api

// Codes of the hold lifecycle and staff scans (API.md).
const (
	CodeUnavailable          Code = "unavailable"
	CodeUnknownBranch        Code = "unknown_branch"
	CodePickupNotAllowed     Code = "pickup_not_allowed"
	CodeHoldLimitExceeded    Code = "hold_limit_exceeded"
	CodeNotHoldable          Code = "not_holdable"
	CodeAlreadyHeld          Code = "already_held"
	CodeNotChangeable        Code = "not_changeable"
	CodeNotCancellable       Code = "not_cancellable"
	CodeNotOnPullList        Code = "not_on_pull_list"
	CodeNotExpectedHere      Code = "not_expected_here"
	CodeHeldForAnotherPatron Code = "held_for_another_patron"
	CodeNotAvailable         Code = "not_available"
	CodeStaleTransition      Code = "stale_transition"
	CodeBarcodeTaken         Code = "barcode_taken"
	CodeInvalidRequest       Code = "invalid_request"
)

// The patron-facing wording follows the library's guide where it has one.
var holdMessages = map[Code][2]string{
	CodeUnavailable:          {"ただいま処理できません。しばらくしてから再度お試しください。", "The service is temporarily unavailable. Please try again later."},
	CodeUnknownBranch:        {"指定の館はありません。", "No such branch."},
	CodePickupNotAllowed:     {"指定の館では受け取れません。", "This item cannot be picked up at the chosen place (CDs, videos and DVDs only at the 6 libraries)."},
	CodeHoldLimitExceeded:    {"予約可能点数を越えています。", "You have reached your hold limit (in total or for this format)."},
	CodeNotHoldable:          {"この資料は予約できません（禁帯出・電子テキスト）。", "This item cannot be held (reference only or e-text)."},
	CodeAlreadyHeld:          {"すでに予約している資料です。", "You already hold this title."},
	CodeNotChangeable:        {"この予約はインターネットから変更できません。各図書館にご連絡ください。", "This hold cannot be changed online. Please contact the library."},
	CodeNotCancellable:       {"この予約はインターネットから取り消せません。各図書館にご連絡ください。", "This hold cannot be cancelled online. Please contact the library."},
	CodeNotOnPullList:        {"この資料は確認待ちリストにありません。", "This copy is not on this branch's pull list."},
	CodeNotExpectedHere:      {"この資料はこの館に配送される予定ではありません。", "This copy is not expected at this branch."},
	CodeHeldForAnotherPatron: {"この資料は他の利用者の予約資料です。", "This copy is held for another patron."},
	CodeNotAvailable:         {"この資料は現在貸出できません。", "This copy cannot be lent now."},
	CodeStaleTransition:      {"処理が重なりました。もう一度お試しください。", "The hold changed meanwhile. Please try again."},
	CodeBarcodeTaken:         {"このバーコードは別の資料に登録されています。", "This barcode belongs to another title."},
	CodeInvalidRequest:       {"入力内容に誤りがあります。", "The request is invalid."},
}

func init() {
	for code, m := range holdMessages {
		messages[code] = m
	}
}

// CodeInvalidBarcode: a scanned barcode is not one of ours in shape.
const CodeInvalidBarcode Code = "invalid_barcode"

func init() {
	messages[CodeInvalidBarcode] = [2]string{"バーコードの形式が正しくありません。", "The barcode is not valid."}
}
