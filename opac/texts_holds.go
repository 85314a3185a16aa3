package opac

import (
	"yoyaku/httpkit"
)

// The wording of 予約状況's explanations and of the hold page (hold.go): the guide's 状態表示/説明 table, its
// notices, the reasons a button is absent, and the timeline. Kept apart from texts.go and joined into
// PatronTexts when the package starts.

// holdTexts is joined into PatronTexts by init.
var holdTexts = httpkit.TextTable{
	// The guide's 状態表示/説明, one per shown status (domain.Status codes), in its own words. The guide's
	// "about 5 minutes" for 予約申込 and 取消申込 is left out: approval here takes well under a second.
	"explain.requested":       {"システム上で予約が承認されるまでは、仮予約の状態となります。", "A provisional hold until the system approves it."},
	"explain.awaiting_pull":   {"図書館に空いている資料があり、資料を確保するまで表示されます。", "A copy is free at a library; shown until staff secure it."},
	"explain.awaiting_return": {"図書館に貸出中の資料があり、予約待ち順位が 1 番目の表示です。資料が返却されましたら、次のご利用が可能です。", "The copies are on loan and you are first in the queue: you are next once a copy is returned."},
	"explain.waiting":         {"予約待ち順位の数字が表示されます。", "Your place in the queue is shown."},
	"explain.suspended": {"ご自身で予約を休止している状態です。休止中も予約の順番は保たれますが、順位は表示されず、資料は後の方に先に用意されます。指定した日になると自動で再開します（「再開」ボタンでいつでも再開できます）。休止中の予約も予約点数に含まれます。",
		"You have paused this hold. It keeps its place in the queue but shows no position, and copies go to the holds behind it meanwhile. It is active again by itself on the date you chose (or at once with “Resume”). It still counts towards your hold limit."},
	"explain.investigating":    {"図書館の窓口で、図書館に所蔵していない資料の予約を受け付けた場合に表示されます。購入検討中や、相互貸借（県立・他市町村図書館より貸借手続き）手配中の予約も含まれます。", "A hold taken at the counter for a title the library does not own, including purchases under consideration and inter-library loans (from the prefectural or other municipal libraries) being arranged."},
	"explain.in_transit":       {"ご希望の受取館以外で返却、確保されたので、受取館に配送している状態です。", "A copy was returned or secured at another library and is on its way to your pickup place."},
	"explain.preparing":        {"上下巻など揃いで用意する資料のうち、前の巻が用意できるまで、後の巻について表示されます。", "For volumes provided in order (e.g. volumes 1 and 2): shown for a later volume until the earlier one is ready."},
	"explain.on_order":         {"書店発注中で入荷待ちです。", "Ordered from a bookseller; awaiting delivery."},
	"explain.ready":            {"受取館に用意されており、ご利用ができる状態です。「連絡日」欄に日付が入っている場合は、すでに連絡済みのものです。", "Ready for you at your pickup place. A date in “Contacted” means you have been told."},
	"explain.cancel_requested": {"パスワードで予約の取消を受け付けた場合、取消承認されるまでは仮申込みの状態となります。", "Your cancellation was received; it is provisional until approved."},
	"explain.cancelled":        {"予約取消をした資料が表示されます。取消の理由が「本人取消」「期限切れ」と表示される場合があります。なお、このデータは取り消してから 1 週間表示されます。", "A cancelled hold. The reason may be “Cancelled by you” or “Expired”. It stays listed for 1 week after the cancellation."},
	"explain.cancelled.patron": {"パスワードで自分が予約取消をした資料。", "A hold you cancelled yourself."},
	"explain.cancelled.expired": {"利用可能であったが、連絡してから 1 週間過ぎてもご利用がなく、キャンセルとなった資料。",
		"It was ready, but was not collected within 1 week of the contact, so it was cancelled."},
	"explain.cancelled.other_edition": {"いずれか予約で、ほかの版（資料）が用意できたため終わった予約。予約点数には数えません。",
		"Part of an any-of hold: another edition was provided for you, so this one ended. It no longer counts."},
	"explain.fulfilled": {"貸出済みの資料です。", "You have borrowed it."},

	"holds.explain_title":  {"状態表示の説明", "What the statuses mean"},
	"holds.explain_status": {"状態表示", "Status"},
	"holds.explain_text":   {"説明", "Meaning"},
	"holds.ready_title":    {"ご用意できている資料", "Ready for you"},
	"holds.ready_lead": {"以下の資料は受取館に用意されています。連絡日を含めて 1 週間以内にお越しください。",
		"These holds are ready at your pickup place. Please collect them within 1 week counting the contact date."},
	"holds.not_contacted":          {"未連絡", "Not yet contacted"},
	"holds.deadline_after_contact": {"連絡日から 1 週間", "1 week from the contact date"},
	"holds.detail":                 {"詳細", "details"},
	"holds.cancel_note":            {"図書館からの連絡: %s", "From the library: %s"},

	// Why a hold has no 予約内容変更 / 予約取消 button (the guide, 3. and 4.).
	"holds.why.counter": {"窓口にてリクエストカードでお申込みされた予約については、インターネットでの受取場所の変更・取消ができません。ご面倒でも各図書館に連絡してください。",
		"Holds requested at the counter on a request card cannot be changed or cancelled online. Please contact the library."},
	"holds.why.ready": {"すでに「利用可能」として用意されている資料は、インターネットからの受取館変更・取消ができません。ご面倒でも各図書館に連絡してください。",
		"A hold already ready for pickup cannot be changed or cancelled online. Please contact the library."},
	"holds.why.in_transit": {"「配送中」の資料は、インターネットからの受取館変更・取消ができません。ご面倒でも各図書館に連絡してください。",
		"A copy in transit cannot be changed or cancelled online. Please contact the library."},
	"holds.why.cancel_requested": {"取消を申し込み済みです。取消承認されるまでお待ちください。", "You have asked to cancel it; please wait for the approval."},

	// 休止 (suspend until a date) and 再開.
	"holds.suspend":       {"休止", "Suspend"},
	"holds.suspend_until": {"再開する日", "Active again on"},
	"holds.resume":        {"再開", "Resume"},
	"holds.suspended":     {"予約を休止しました。指定した日に自動で再開します。", "The hold is suspended; it is active again by itself on the date you chose."},
	"holds.resumed":       {"予約を再開しました。", "The hold is active again."},

	// The guide's notices.
	"holds.notice.time": {"資料の手配には、時間がかかります。また予約をかけた時点で、資料の状態が利用可能（図書館の棚にある）状態であっても、貸出になってしまう場合もありますので、あらかじめご了承ください。",
		"Arranging a copy takes time. A copy that was on the shelf when you placed the hold may still be borrowed by someone else before it is secured for you."},
	"holds.notice.series": {"シリーズ予約を選択すると、前の順番の資料が用意されないと、次の順番の資料は在庫があっても用意されません。また、次の順番の資料がとどくまでに時間がかかることもあります。",
		"With a series hold, a volume is not prepared until the one before it is ready, even when a copy is on the shelf; the next volume may take time to arrive."},
	"holds.notice.series_later": {"※シリーズもの等で、後の巻から読むのをご希望する場合は、受取館の窓口にお尋ねください。",
		"To read a later volume first, please ask at the counter of your pickup place."},
	"holds.notice.counter": {"窓口にてリクエストカードでお申込みされた予約については、インターネットでの受取場所の変更・取消ができません。窓口で予約をした場合、ご自身では順番の変更はできなくなります。窓口でお申し出ください。",
		"Holds requested at the counter on a request card cannot be changed, cancelled or reordered online: please ask at the counter."},

	// 予約かごへ while logged out: the ticked titles wait for the login.
	"login.adds":        {"ログインすると、選んだ資料 %d 点を予約かごへ入れます。", "Once you log in, the %d title(s) you checked go into your basket."},
	"basket.added_none": {"選んだ資料はすでに予約かごに入っています。", "The titles you chose are already in your basket."},

	// The hold page (GET /holds/{id}).
	"hold.title":          {"予約詳細", "Hold details"},
	"hold.timeline":       {"予約の経過", "History"},
	"hold.when":           {"日時", "When"},
	"hold.what":           {"内容", "What happened"},
	"hold.status_after":   {"状態", "Status"},
	"hold.cancel_note":    {"図書館からの連絡", "From the library"},
	"hold.explain":        {"状態の説明", "What the status means"},
	"hold.origin":         {"予約方法", "Placed through"},
	"hold.origin.web":     {"インターネット・館内 OPAC", "Online"},
	"hold.origin.counter": {"窓口（リクエストカード）", "At the counter (request card)"},
	"hold.series":         {"シリーズ予約 %d 番目", "Series hold, no. %d"},

	// いずれか予約 (any-of groups): the block on 予約状況 and the hold page's list of the other members.
	"holds.group":      {"いずれか予約（%d点のうちどれか1点）", "Any-of hold (any one of %d)"},
	"holds.group_hint": {"どれか1点が用意できたら、ほかの予約は「他の版で用意」で終わります。", "Once one of them is ready for you, the others end as “Another edition provided”."},
	"hold.group":       {"いずれか予約", "Any-of hold"},
	"hold.group_lead":  {"%d点のうちどれか1点を用意する予約の1つです。ほかの予約:", "One of %d holds of which any one is provided. The others:"},

	// 用意できる目安 (estimate.go): the range, then one line on what it came from.
	"estimate.label":             {"用意できる目安", "Estimated ready"},
	"estimate.line":              {"用意できる目安：%s", "Estimated ready: %s"},
	"estimate.range":             {"%s〜%sごろ", "%s – %s"},
	"estimate.day":               {"%sごろ", "around %s"},
	"estimate.unknown":           {"未定", "unknown"},
	"estimate.basis.measured":    {"前に %d 件の予約があり、貸出できる資料は %d 冊です。当館の返却実績 %d 件から計算した目安です。", "%d hold(s) ahead of yours and %d copy(ies); estimated from %d returns measured at this library."},
	"estimate.basis.loan_period": {"前に %d 件の予約があり、貸出できる資料は %d 冊です。貸出期間（%d 日）から計算した目安です。", "%d hold(s) ahead of yours and %d copy(ies); estimated from the loan period (%d days)."},
	"estimate.basis.no_copy":     {"貸出できる資料が今はないため、目安を計算できません。", "No copy can be lent now, so there is no estimate."},

	// Timeline entries, by the op the event log keeps (activities' step ops), and two read from the hold.
	"timeline.placed":               {"予約を受け付けました", "Hold placed"},
	"timeline.contact_date":         {"連絡日（この日を含めて 1 週間が取置期間です）", "Contact date (the week to collect counts from it)"},
	"timeline.approve":              {"予約が承認されました", "Hold approved"},
	"timeline.copy:assigned":        {"空いている資料をこの予約に割り当てました", "A free copy was set aside for this hold"},
	"timeline.copy:secured":         {"返却された資料を確保しました", "A returned copy was secured"},
	"timeline.copy:arrived":         {"資料が受取館に届きました", "The copy arrived at the pickup place"},
	"timeline.pull":                 {"資料を棚から確保しました", "The copy was taken from the shelf"},
	"timeline.missing":              {"確保しようとした資料が見つからず、別の資料を待ちます", "The copy could not be found; waiting for another"},
	"timeline.receive":              {"資料が受取館に届きました", "The copy arrived at the pickup place"},
	"timeline.order":                {"書店に発注しました", "Ordered from a bookseller"},
	"timeline.ill":                  {"相互貸借を手配しました", "Inter-library loan arranged"},
	"timeline.arrived":              {"資料が入荷しました", "The title was received"},
	"timeline.contacted":            {"電話で連絡しました", "You were called"},
	"timeline.call:reached":         {"電話で連絡しました", "You were called"},
	"timeline.call:voicemail":       {"電話をしました（留守番電話に伝言）", "We called and left a message"},
	"timeline.call:no_answer":       {"電話をしましたが、ご不在でした", "We called; there was no answer"},
	"timeline.cancel_request":       {"取消を申し込みました", "You asked to cancel"},
	"timeline.cancel:patron":        {"本人取消", "Cancelled by you"},
	"timeline.cancel:expired":       {"期限切れ（取置期限を過ぎました）", "Expired (not collected in time)"},
	"timeline.cancel:staff":         {"図書館が取り消しました", "Cancelled by the library"},
	"timeline.cancel:other_edition": {"いずれか予約のほかの版が用意できたため、この予約は終わりました", "Another edition of the any-of hold was provided: this hold ended"},
	"timeline.checkout":             {"貸出しました", "Borrowed"},
	"timeline.pickup":               {"受取館を変更しました", "The pickup place was changed"},
	"timeline.proceed":              {"前の巻が用意できたので、この巻の手配を始めました", "The earlier volume is ready: this one is being arranged"},
	"timeline.resume":               {"この巻の手配を再開しました", "Arranging this volume again"},
	"timeline.suspend":              {"予約を休止しました", "You suspended the hold"},
	"timeline.unsuspend":            {"予約を再開しました", "You resumed the hold"},
	"timeline.unsuspend:timer":      {"休止期間が終わり、予約を再開しました", "The suspension ended: the hold is active again"},
	"timeline.other":                {"状態が変わりました", "The status changed"},
	"timeline.extend":               {"取置期限を延長しました", "You extended the pickup deadline"},

	// 取置延長: the button on 予約状況 and the hold page, or why there is none for a ready hold.
	"holds.extend":              {"取置期限を延長", "Extend the pickup deadline"},
	"holds.extend.hint":         {"取置期限を 1 回だけ 7 日間延長できます。", "You can extend the pickup deadline by 7 days, once."},
	"holds.extend.done":         {"取置期限を 7 日間延長しました。", "The pickup deadline was extended by 7 days."},
	"holds.extended":            {"延長済", "extended"},
	"holds.extend.why.extended": {"取置期限の延長は 1 回限りです（延長済み）。", "The pickup deadline can be extended once only, and it already was."},
	"holds.extend.why.others":   {"この資料を待っている方がいるため、取置期限は延長できません。", "Others are waiting for this title, so the pickup deadline cannot be extended."},
	"holds.extend.why.not_contacted": {"取置期限の延長は、ご連絡の後にできるようになります。",
		"The pickup deadline can be extended once you have been contacted."},

	// 順位の繰下げ: the button on 予約状況 and the hold page, with its one-line explanation.
	"timeline.defer": {"次の方に順番を譲りました", "You let the next in line go first"},
	// 臨時休館: an emergency closing of the pickup branch moved the deadline (activities.Redate).
	"timeline.redate": {"受取館の臨時休館のため、取置期限を延長しました", "The pickup branch closed at short notice: the pickup deadline was moved"},
	"holds.defer":     {"順番を譲る", "Let the next go first"},
	"holds.defer.hint": {"後ろで待っている方に先を譲り、そのすぐ後ろでお待ちいただきます（用意済みの資料はその方に回ります）。",
		"The next person waiting goes first and you wait right behind them (a copy set aside for you goes to them)."},
	"holds.defer.done": {"次の方に順番を譲りました。", "You let the next in line go first."},
}

func init() { PatronTexts.Add(holdTexts) }
