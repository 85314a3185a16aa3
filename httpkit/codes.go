package httpkit

// The error codes: every code the API and the pages answer, with its HTTP status and its message, in one
// table. The codes and their statuses are part of the contract (api/openapi.yaml).

import (
	"net/http"

	"yoyaku/contract"
	"yoyaku/domain"
	"yoyaku/library"
)

// Code is a machine-readable error code.
type Code = domain.Code

// Error codes.
const (
	// Every request.
	CodeNotFound              = contract.ErrNotFound // a route, an ID or a hold: one code
	CodeMethodNotAllowed Code = "method_not_allowed"
	CodeBadRequest            = contract.ErrBadRequest
	CodeTooLarge         Code = "payload_too_large"
	CodeInternal         Code = "internal_error"
	CodeUnavailable           = library.CodeUnavailable // a dependency is down, whoever noticed

	// Logins, sessions and the pages' CSRF tokens (api/session.go, httpkit/session.go, httpkit/csrf.go).
	CodeInvalidCredentials Code = "invalid_credentials"
	CodeTooManyAttempts    Code = "too_many_attempts"
	CodeUnauthenticated    Code = "unauthenticated"
	// CodeCSRFFailed: an unsafe request to a web page without the page's CSRF token.
	CodeCSRFFailed Code = "csrf_failed"

	// The hold lifecycle and the staff scans.

	// The reservation basket and the patron's contact settings.

	// The staff catalogue and patron maintenance (staff_catalogue.go); invalid_email and too_many_emails also answer the patron's contact settings.

	// Refusals only the patron pages have (the JSON API answers invalid_request for them).
	CodeNothingSelected Code = "nothing_selected"
	CodePickupRequired  Code = "pickup_required"
	CodeSeriesTooFew    Code = "series_too_few"
	// CodeAnyCount: いずれか予約 from the basket with 1 or more than 5 titles ticked.
	CodeAnyCount Code = "any_count"
)

// codeSpec is what a code means over HTTP: the status it is answered with, and its message in Japanese (the
// default) and English. The patron-facing wording follows the library's guide where it has one.
type codeSpec struct {
	status int
	Ja, En string
}

// Codes is the table of every code. A code is answered with its status (statusOf); the refusals of workflows
// and activities (package contract) and of the library's operations (package library) are in it, which
// TestCodeTable checks.
var Codes = map[Code]codeSpec{
	// Every request.
	CodeNotFound: {http.StatusNotFound,
		"お探しのものは見つかりません。",
		"Not found."},
	CodeMethodNotAllowed: {http.StatusMethodNotAllowed,
		"この操作は利用できません。",
		"Method not allowed."},
	CodeBadRequest: {http.StatusBadRequest,
		"リクエストの形式が正しくありません。",
		"The request is malformed."},
	CodeTooLarge: {http.StatusRequestEntityTooLarge,
		"リクエストが大きすぎます。",
		"The request body is too large."},
	CodeInternal: {http.StatusInternalServerError,
		"システムエラーが発生しました。しばらくしてから再度お試しください。",
		"Internal error. Please try again later."},
	CodeUnavailable: {http.StatusServiceUnavailable,
		"ただいま処理できません。しばらくしてから再度お試しください。",
		"The service is temporarily unavailable. Please try again later."},

	// Logins, sessions and the pages' CSRF tokens (api/session.go, httpkit/session.go, httpkit/csrf.go).
	CodeInvalidCredentials: {http.StatusUnauthorized,
		"図書館利用券番号またはパスワードが正しくありません。",
		"The library card number or password is incorrect."},
	library.CodeInvalidCardNumber: {http.StatusUnprocessableEntity,
		"図書館利用券番号は7桁の数字で入力してください。",
		"Enter the library card number as 7 digits."},
	CodeTooManyAttempts: {http.StatusTooManyRequests,
		"ログインの失敗が続いたため、しばらくログインできません。時間をおいて再度お試しください。",
		"Too many failed logins. Please wait a while and try again."},
	CodeUnauthenticated: {http.StatusUnauthorized,
		"ログインしてください。",
		"Please log in."},
	CodeCSRFFailed: {http.StatusForbidden,
		"画面の有効期限が切れました。もう一度操作してください。",
		"This page has expired. Please go back, reload it and try again."},

	// The catalogue search (catalogue.go).
	library.CodeInvalidQuery: {http.StatusUnprocessableEntity,
		"検索条件が正しくありません。ページは1から10000、表示件数は1から100、出版年は1から9999で指定し、キーワードは各項目200文字以内でご入力ください。",
		"The search is not valid: page must be 1 to 10000, per_page 1 to 100, year 1 to 9999, the format one of book, magazine, cd, video, dvd, etext, the ISBN digits, and each field at most 200 characters (16 keywords in all)."},

	// The hold lifecycle and the staff scans.
	library.CodeUnknownBranch: {http.StatusUnprocessableEntity,
		"指定の館はありません。",
		"No such branch."},
	contract.ErrPickupNotAllowed: {http.StatusUnprocessableEntity,
		"指定の館では受け取れません。",
		"This item cannot be picked up at the chosen place (CDs, videos and DVDs only at the 6 libraries)."},
	library.CodeHoldLimitExceeded: {http.StatusUnprocessableEntity,
		"予約可能点数を越えています。",
		"You have reached your hold limit (in total or for this format)."},
	library.CodeNotHoldable: {http.StatusUnprocessableEntity,
		"この資料は予約できません（禁帯出・電子テキスト）。",
		"This item cannot be held (reference only or e-text)."},
	library.CodeAlreadyHeld: {http.StatusConflict,
		"すでに予約している資料です。",
		"You already hold this title."},
	contract.ErrNotChangeable: {http.StatusConflict,
		"この予約はインターネットから変更できません。各図書館にご連絡ください。",
		"This hold cannot be changed online. Please contact the library."},
	contract.ErrNotSuspendable: {http.StatusConflict,
		"この予約は休止できません。休止できるのは返却待ち・順番待ちの予約です。",
		"This hold cannot be suspended: only a hold waiting for a copy can be."},
	contract.ErrNotSuspended: {http.StatusConflict,
		"この予約は休止中ではありません。",
		"This hold is not suspended."},
	contract.ErrInvalidDate: {http.StatusUnprocessableEntity,
		"休止する期限は、明日から90日先までの日付を指定してください。",
		"Choose a date from tomorrow up to 90 days ahead."},
	contract.ErrNotCancellable: {http.StatusConflict,
		"この予約はインターネットから取り消せません。各図書館にご連絡ください。",
		"This hold cannot be cancelled online. Please contact the library."},
	// 取置延長 (POST /api/v1/holds/{id}/extend).
	contract.ErrNotReady: {http.StatusConflict,
		"取置期限を延長できるのは、ご利用可能（受取館に用意済み）の予約だけです。",
		"Only a hold that is ready for pickup can have its pickup deadline extended."},
	contract.ErrAlreadyExtended: {http.StatusConflict,
		"取置期限の延長は1回限りです。この予約はすでに延長しています。",
		"A pickup deadline can be extended once only, and this hold's already was."},
	contract.ErrOthersWaiting: {http.StatusConflict,
		"この資料を待っている方がいるため、取置期限を延長できません。",
		"Others are waiting for this title, so the pickup deadline cannot be extended."},
	// 順位の繰下げ (POST /api/v1/holds/{id}/defer).
	contract.ErrNotDeferrable: {http.StatusConflict,
		"この予約は順番を譲れません。譲れるのは返却待ち・順番待ち・確認待ち・ご利用可能の予約です。",
		"This hold cannot let the next go first: only a hold that is waiting, set aside or ready for pickup can."},
	contract.ErrNobodyBehind: {http.StatusConflict,
		"この予約の後に待っている方がいないため、順番を譲れません。",
		"Nobody is waiting behind this hold, so there is no one to let go first."},
	contract.ErrNotOnPullList: {http.StatusConflict,
		"この資料は確認待ちリストにありません。",
		"This copy is not on this branch's pull list."},
	contract.ErrNotOnCallList: {http.StatusConflict,
		"この予約は連絡リストにありません。",
		"This hold is not on the call list."},
	contract.ErrNotExpectedHere: {http.StatusConflict,
		"この資料はこの館に配送される予定ではありません。",
		"This copy is not expected at this branch."},
	contract.ErrHeldForAnother: {http.StatusConflict,
		"この資料は他の利用者の予約資料です。",
		"This copy is held for another patron."},
	contract.ErrNotAvailable: {http.StatusConflict,
		"この資料は現在貸出できません。",
		"This copy cannot be lent now."},
	contract.ErrStale: {http.StatusConflict,
		"処理が重なりました。もう一度お試しください。",
		"The hold changed meanwhile. Please try again."},
	contract.ErrBarcodeTaken: {http.StatusConflict,
		"このバーコードは別の資料に登録されています。",
		"This barcode belongs to another title."},
	library.CodeOwnedTitle: {http.StatusConflict,
		"この資料は所蔵しています（貸出できる資料があります）。リクエストではなく、通常の予約をしてください。",
		"The library owns this title and has a copy to lend: place a normal hold on it instead of a request."},
	library.CodeInvalidRequest: {http.StatusUnprocessableEntity,
		"入力内容に誤りがあります。",
		"The request is invalid."},
	library.CodeInvalidOutcome: {http.StatusUnprocessableEntity,
		"連絡結果は連絡済・留守電・不在のいずれかです。",
		"The call's outcome must be reached, voicemail or no_answer."},
	library.CodeInvalidBarcode: {http.StatusUnprocessableEntity,
		"バーコードの形式が正しくありません。",
		"The barcode is not valid."},

	// The reservation basket and the patron's contact settings.
	library.CodeBasketFull: {http.StatusUnprocessableEntity,
		"予約かごには10点まで入れる事ができます。",
		"The reservation basket holds at most 10 titles."},
	library.CodeEmailRequired: {http.StatusUnprocessableEntity,
		"該当する E-mail アドレスが存在しません",
		"No e-mail address is registered: enter an address."},
	library.CodeUnknownPhone: {http.StatusUnprocessableEntity,
		"図書館に登録している電話連絡先のみ選択できます。連絡先電話番号を追加する場合は、図書館窓口で手続きをしてください。",
		"Choose one of the phone numbers registered at the library; new numbers are added at the library counter."},
	library.CodeInvalidContact: {http.StatusUnprocessableEntity,
		"予約連絡方法が正しくありません。",
		"The contact method must be email, phone or none."},

	// The staff catalogue and patron maintenance (staff_catalogue.go); invalid_email and too_many_emails also answer the patron's contact settings.
	library.CodeInvalidTitle: {http.StatusUnprocessableEntity,
		"タイトルを500文字以内で入力してください。",
		"Enter a title of at most 500 characters."},
	library.CodeInvalidFormat: {http.StatusUnprocessableEntity,
		"資料種別が正しくありません。",
		"The format must be book, magazine, cd, video, dvd or etext."},
	library.CodeInvalidISBN: {http.StatusUnprocessableEntity,
		"ISBNは10桁または13桁で入力してください。",
		"Enter the ISBN as 10 or 13 digits."},
	library.CodeInvalidURL: {http.StatusUnprocessableEntity,
		"電子テキストには http(s) の URL が必要です。電子テキスト以外には URL を指定できません。",
		"An e-text needs an http(s) URL; other formats cannot have one."},
	library.CodeInvalidYear: {http.StatusUnprocessableEntity,
		"出版年は1から9999の間で入力してください。",
		"Enter a year between 1 and 9999."},
	library.CodeInvalidSeries: {http.StatusUnprocessableEntity,
		"シリーズの指定が正しくありません。",
		"The series is not valid."},
	library.CodeDuplicateVolume: {http.StatusConflict,
		"このシリーズのこの巻は既に登録されています。",
		"This volume of the series is already registered."},
	library.CodeInvalidName: {http.StatusUnprocessableEntity,
		"氏名を入力してください。",
		"Enter the name."},
	library.CodeInvalidPassword: {http.StatusUnprocessableEntity,
		"パスワードは8文字以上72バイト以内で入力してください。",
		"Enter a password of 8 to 72 bytes."},
	library.CodeInvalidEmail: {http.StatusUnprocessableEntity,
		"E-mail アドレスが正しくありません。",
		"The e-mail address is not valid."},
	library.CodeTooManyEmails: {http.StatusUnprocessableEntity,
		"E-mail アドレスは2件まで登録できます。",
		"At most 2 e-mail addresses can be registered."},
	library.CodeInvalidPhone: {http.StatusUnprocessableEntity,
		"電話番号は数字とハイフンで6文字以上20文字以内で入力してください。",
		"Enter the phone number as 6 to 20 digits and hyphens."},
	library.CodeCardNumberTaken: {http.StatusConflict,
		"この図書館利用券番号は既に使われています。",
		"This library card number is already in use."},
	library.CodeInvalidCallNumber: {http.StatusUnprocessableEntity,
		"請求記号は制御文字を含まない40文字以内で入力してください。",
		"Enter a call number of at most 40 characters, without control characters."},
	// The staff's reports (api/reports.go, console/reports.go).
	library.CodeInvalidRatio: {http.StatusUnprocessableEntity,
		"予約倍率（所蔵1冊あたりの予約件数）は、0より大きく100以下の数値で指定してください。",
		"Give the hold ratio as a number above 0 and at most 100."},
	library.CodeInvalidShelf: {http.StatusUnprocessableEntity,
		"配架場所は制御文字を含まない40文字以内で入力してください。",
		"Enter a shelf location of at most 40 characters, without control characters."},

	// Branch calendars and emergency closings (api/staff_calendar.go).
	library.CodeInvalidCalendar: {http.StatusUnprocessableEntity,
		"休館日の指定が正しくありません。曜日は sun〜sat、日付は YYYY-MM-DD で重複なく、理由は100文字以内で入力してください。",
		"The calendar is not valid: weekly closing days are sun to sat (each once), dates YYYY-MM-DD (each once, at most 1000), reasons at most 100 characters without control characters."},
	library.CodeInvalidClosure: {http.StatusUnprocessableEntity,
		"臨時休館の指定が正しくありません。開始日と終了日を YYYY-MM-DD で（終了日は今日以降、期間は1年以内）、理由を100文字以内で入力してください。",
		"The closing is not valid: from and to are YYYY-MM-DD, from not after to, to not before today, at most a year; the reason is required, at most 100 characters."},

	// Refusals only the patron pages have (the JSON API answers invalid_request for them).
	CodeNothingSelected: {http.StatusUnprocessableEntity,
		"資料を選択してください。",
		"Select at least one title."},
	CodePickupRequired: {http.StatusUnprocessableEntity,
		"予約受取館/場所を選択してください。",
		"Choose the pickup place."},
	CodeSeriesTooFew: {http.StatusUnprocessableEntity,
		"シリーズ予約に変更する予約を2点以上選択してください。",
		"Select at least two holds to turn into a series hold."},
	CodeAnyCount: {http.StatusUnprocessableEntity,
		"いずれか予約は、資料を2点から5点まで選択してください。",
		"For an any-of hold, select 2 to 5 titles."},
}

// StatusOf is the HTTP status of a code: its status in codes, 500 for a code not in the table.
func StatusOf(code Code) int {
	if m, ok := Codes[code]; ok {
		return m.status
	}
	return http.StatusInternalServerError
}

// messageIn is the code's message in lang ("en" or else Japanese); a code not in the table has
// internal_error's.
func messageIn(lang string, code Code) string {
	m, ok := Codes[code]
	if !ok {
		m = Codes[CodeInternal]
	}
	if lang == "en" {
		return m.En
	}
	return m.Ja
}
