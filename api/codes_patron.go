package api

// Codes of the reservation basket and the patron's contact settings (API.md). The e-mail codes
// invalid_email and too_many_emails are shared with staff patron maintenance (errors.go).
const (
	CodeBasketFull     Code = "basket_full"
	CodeEmailRequired  Code = "email_required"
	CodeUnknownPhone   Code = "unknown_phone"
	CodeInvalidContact Code = "invalid_contact"
)

// The wording follows the library's guide where it has one.
var patronMessages = map[Code][2]string{
	CodeBasketFull: {"予約かごには10点まで入れる事ができます。",
		"The reservation basket holds at most 10 titles."},
	CodeEmailRequired: {"該当する E-mail アドレスが存在しません",
		"No e-mail address is registered: enter an address."},
	CodeUnknownPhone: {"図書館に登録している電話連絡先のみ選択できます。連絡先電話番号を追加する場合は、図書館窓口で手続きをしてください。",
		"Choose one of the phone numbers registered at the library; new numbers are added at the library counter."},
	CodeInvalidContact: {"予約連絡方法が正しくありません。", "The contact method must be email, phone or none."},
}

func init() {
	for code, m := range patronMessages {
		messages[code] = m
	}
}
