package api

// Texts of the staff console for ready mail that did not arrive: an e-mail patron none of whose addresses
// accepted the ready mail is on the 連絡リスト with the refused addresses and the mail server's replies
// (staff_call_list.html), phoned on the first registered number or, without one, followed up otherwise.

func init() {
	addTexts(map[string][2]string{
		"staff.call.mail_refused": {"メール不達", "Mail refused"},
		"staff.call.mail_help":    {"「メール不達」の利用者は、選択したアドレスのメールがすべて受け取りを拒否されたため、この一覧に載っています。連絡したら「連絡済」を押してください。", "Patrons marked “Mail refused” are listed because every address they chose refused the ready mail. Press 連絡済 once you have reached them."},
		"staff.call.no_phone":     {"電話番号の登録なし（窓口・郵送などで連絡）", "No phone registered (reach them at the desk or by post)"},
	})
}
