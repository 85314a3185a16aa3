package seed

import (
	"fmt"
	"math/rand/v2"

	"yoyaku/domain"
)

type branch struct {
	code, name string
	kind       domain.BranchKind
}

// branches is the library network, in display order.
var branches = []branch{
	{"chuo", "中央図書館", domain.KindLibrary},
	{"kita", "北図書館", domain.KindLibrary},
	{"minami", "南図書館", domain.KindLibrary},
	{"higashi", "東図書館", domain.KindLibrary},
	{"nishi", "西図書館", domain.KindLibrary},
	{"ekimae", "駅前図書館", domain.KindLibrary},
	{"hikari", "ひかり公民館図書室", domain.KindFacility},
	{"midori", "みどり台コミュニティセンター図書室", domain.KindFacility},
	{"sakura", "さくら地区センター読書室", domain.KindFacility},
}

// Where copies live: the central library holds most, facilities few; AV copies stay at libraries.
var (
	bookPool = []string{"chuo", "chuo", "chuo", "chuo", "kita", "kita", "kita", "minami", "minami", "minami",
		"higashi", "higashi", "higashi", "nishi", "nishi", "nishi", "ekimae", "ekimae", "ekimae",
		"hikari", "midori", "sakura"}
	avPool = []string{"chuo", "chuo", "kita", "minami", "higashi", "nishi", "ekimae"}
)

// demoTitles is how many titles the demo catalogue has before the classics; the generated books fill up to it.
const demoTitles = 2100

// availability decides which copies of a title are on loan.
type availability int

const (
	availMixed         availability = iota // each copy on loan now and then
	availAllOnLoan                         // every copy on loan: holds queue
	availOneBranchFree                     // free copies at one branch only
	availAllFree
)

type titleRec struct {
	key                   string // source_key
	title, reading        string
	author, authorReading string
	publisher             string
	year                  int // 0: unknown
	isbn                  string
	format                domain.Format
	series                string // series name, "" for none
	volume                int
	refOnly               bool
	url                   string
	ndc                   string // NDC class ("913.6", "K913" for children's, "E" picture books, "NDC 913" as the index gives it); "" to derive one (shelf.go)

	// Copy layout: copies (0 = choose), oneBranch puts them all at one branch, avail as above.
	nCopies   int
	oneBranch bool
	avail     availability
	copies    []copyRec
}

type copyRec struct {
	barcode string
	branch  string
	onLoan  bool
}

type seriesRec struct{ name, reading string }

// catalogue is the whole demo catalogue, computed without the database so that it is the same on every run.
type catalogue struct {
	series []seriesRec
	titles []titleRec
}

type builder struct {
	rng   *rand.Rand
	seen  map[string]bool // titles already used (e-texts under an "etext:" prefix), to avoid duplicates
	isbns int
	cat   catalogue
}

// demoCatalogue builds the demo catalogue deterministically: a fixed-seed PRNG, fixed word lists.
func demoCatalogue() (catalogue, error) {
	works, err := parseAozora()
	if err != nil {
		return catalogue{}, err
	}
	b := &builder{rng: rand.New(rand.NewPCG(0x796f79616b75, 1)), seen: map[string]bool{}}
	for _, w := range works {
		b.add(titleRec{
			key: "aozora:" + w.id, title: w.title, reading: w.reading, author: w.author,
			authorReading: w.authorReading, publisher: w.publisher, year: w.year, format: domain.FormatBook, ndc: w.ndc,
		})
	}
	b.aozoraETexts(works)
	b.handmadeSeries()
	b.otherETexts()
	b.reference()
	b.magazines()
	b.cds()
	b.dvdsAndVideos()
	for i := 1; len(b.cat.titles) < demoTitles; i++ {
		t := genBook(b.rng)
		if b.seen[t.title] {
			continue
		}
		b.seen[t.title] = true
		t.key = fmt.Sprintf("gen:book:%04d", i)
		t.isbn = b.isbn()
		b.add(t)
	}
	if err := b.classics(); err != nil {
		return catalogue{}, err
	}
	b.layout()
	return b.cat, nil
}

func (b *builder) add(t titleRec) { b.cat.titles = append(b.cat.titles, t) }

func (b *builder) isbn() string {
	b.isbns++
	return domain.ISBN13(fmt.Sprintf("9784%08d", 90000000+b.isbns))
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func personName(r *rand.Rand) word {
	return join(" ", pick(r, familyNames), pick(r, givenNames))
}

// year is a publication year, mostly recent as in a public library's open shelves.
func year(r *rand.Rand) int {
	if r.IntN(10) < 7 {
		return 2000 + r.IntN(26)
	}
	return 1965 + r.IntN(35)
}

// genBook composes a plausible book: fiction, non-fiction, local interest or a picture book.
func genBook(r *rand.Rand) titleRec {
	var t word
	var ndc string
	switch k := r.IntN(20); {
	case k < 9: // fiction
		ndc = "913.6"
		a, c := pick(r, nouns), pick(r, nouns)
		for c == a {
			c = pick(r, nouns)
		}
		switch r.IntN(5) {
		case 0, 1:
			t = join("の", a, c)
		case 2:
			t = cat(pick(r, adjectives), a)
		case 3:
			t = join("と", a, c)
		default:
			t = cat(a, word{"をさがして", "をさがして"})
		}
	case k < 14:
		p := pick(r, topicPatterns)
		tp := pick(r, topics)
		t, ndc = cat(p.pre, tp, p.post), topicNDC[tp.w]
	case k < 17:
		t, ndc = cat(pick(r, places), pick(r, placePatterns)), "291"
	default:
		t, ndc = join("の", pick(r, animals), pick(r, childEvents)), "E"
	}
	t = cat(t, pick(r, editions))
	a := personName(r)
	return titleRec{
		title: t.w, reading: t.r, author: a.w, authorReading: a.r, publisher: pick(r, publishers),
		year: year(r), format: domain.FormatBook, ndc: ndc,
	}
}

// aozoraETexts offers a few Aozora works also as e-texts linking to their card at Aozora Bunko.
func (b *builder) aozoraETexts(works []aozoraWork) {
	per := map[string]int{}
	for _, w := range works {
		u := aozoraCardURL(w)
		if u == "" || per[w.people[0].name] >= 3 || b.seen["etext:"+w.title] {
			continue
		}
		per[w.people[0].name]++
		b.seen["etext:"+w.title] = true
		b.add(titleRec{
			key: "aozora-etext:" + w.id, title: w.title, reading: w.reading, author: w.author,
			authorReading: w.authorReading, publisher: "青空文庫", format: domain.FormatEText, url: u,
		})
	}
}

func (b *builder) addSeries(name word) string {
	b.cat.series = append(b.cat.series, seriesRec{name.w, name.r})
	return name.w
}

// handmadeSeries adds series with a fixed copy layout, so that series holds have something to show:
// a first volume all on loan with a later one on the shelf (準備中), 上・中・下, numbered volumes, AV volumes.
func (b *builder) handmadeSeries() {
	type vol struct {
		label, reading string // appended to the series name
		avail          availability
		copies         int
		oneBranch      bool
	}
	jouge := []vol{{"上", "じょう", availAllOnLoan, 2, false}, {"下", "げ", availAllFree, 2, false}}
	list := []struct {
		name    word
		author  word
		pub     string
		format  domain.Format
		refOnly bool
		year    int
		vols    []vol
	}{
		{word{"風の回廊", "かぜのかいろう"}, word{"桜井 悠人", "さくらい ゆうと"}, "東雲社", domain.FormatBook, false, 2019, jouge},
		{word{"海辺の図書館", "うみべのとしょかん"}, word{"水野 千尋", "みずの ちひろ"}, "青葉書房", domain.FormatBook, false, 2022,
			[]vol{{"上", "じょう", availAllFree, 3, false}, {"下", "げ", availOneBranchFree, 3, false}}},
		{word{"星降る港の物語", "ほしふるみなとのものがたり"}, word{"長谷川 奈緒", "はせがわ なお"}, "朝凪社", domain.FormatBook, false, 2015,
			[]vol{{"上", "じょう", availMixed, 3, false}, {"中", "ちゅう", availAllOnLoan, 2, false}, {"下", "げ", availAllFree, 1, true}}},
		{word{"霧島探偵事務所", "きりしまたんていじむしょ"}, word{"岡田 哲也", "おかだ てつや"}, "北斗書林", domain.FormatBook, false, 2018,
			[]vol{{"1 消えた時計塔", "1 きえたとけいとう", availAllOnLoan, 3, false},
				{"2 硝子の証言", "2 がらすのしょうげん", availOneBranchFree, 3, false},
				{"3 雨の日の依頼人", "3 あめのひのいらいにん", availAllFree, 2, false},
				{"4 灯台守の秘密", "4 とうだいもりのひみつ", availMixed, 2, false},
				{"5 真夜中の列車", "5 まよなかのれっしゃ", availAllFree, 1, true},
				{"6 最後の約束", "6 さいごのやくそく", availAllOnLoan, 1, false}}},
		{word{"こぐまのポロ", "こぐまのポロ"}, word{"小川 ひかり", "おがわ ひかり"}, "星灯社", domain.FormatBook, false, 2012,
			[]vol{{"1 はじめてのおつかい", "1 はじめてのおつかい", availMixed, 4, false},
				{"2 もりのピクニック", "2 もりのピクニック", availAllFree, 3, false},
				{"3 ゆきのひのともだち", "3 ゆきのひのともだち", availAllOnLoan, 2, false},
				{"4 うみへいこう", "4 うみへいこう", availMixed, 2, false},
				{"5 ポロのたんじょうび", "5 ポロのたんじょうび", availAllFree, 2, true}}},
		{word{"はじめてのプログラミング", "はじめてのプログラミング"}, word{"竹内 亮", "たけうち りょう"}, "港北出版", domain.FormatBook, false, 2021,
			[]vol{{"1 きほん編", "1 きほんへん", availAllFree, 2, false}, {"2 ゲームをつくろう", "2 ゲームをつくろう", availAllOnLoan, 2, false},
				{"3 ロボットをうごかそう", "3 ロボットをうごかそう", availAllFree, 1, true}}},
		{word{"日本の城めぐり", "にほんのしろめぐり"}, word{"藤田 正樹", "ふじた まさき"}, "山桜書院", domain.FormatBook, false, 2016,
			[]vol{{"1 東日本編", "1 ひがしにほんへん", availMixed, 2, false}, {"2 中部・近畿編", "2 ちゅうぶ・きんきへん", availMixed, 2, false},
				{"3 中国・四国編", "3 ちゅうごく・しこくへん", availAllFree, 2, false}, {"4 九州・沖縄編", "4 きゅうしゅう・おきなわへん", availAllFree, 1, false}}},
		{word{"映像で見る日本の歴史", "えいぞうでみるにほんのれきし"}, word{"学習映像社 制作", "がくしゅうえいぞうしゃ"}, "学習映像社", domain.FormatDVD, false, 2010,
			[]vol{{"1 縄文から平安まで", "1 じょうもんからへいあんまで", availAllOnLoan, 1, false},
				{"2 鎌倉から江戸まで", "2 かまくらからえどまで", availAllFree, 2, false},
				{"3 明治から現代まで", "3 めいじからげんだいまで", availAllFree, 1, false}}},
		{word{"朗読 日本の名作", "ろうどく にほんのめいさく"}, word{"西村 静香 朗読", "にしむら しずか"}, "潮騒レコード", domain.FormatCD, false, 2008,
			[]vol{{"1", "1", availAllFree, 2, false}, {"2", "2", availAllOnLoan, 1, false}, {"3", "3", availAllFree, 1, false}}},
		{word{"わかば市史", "わかばしし"}, word{"わかば市史編さん委員会 編", "わかばしし へんさんいいんかい"}, "わかば市", domain.FormatBook, true, 1990,
			[]vol{{"第1巻 原始・古代", "だい1かん げんし・こだい", availAllFree, 2, false},
				{"第2巻 中世", "だい2かん ちゅうせい", availAllFree, 2, false},
				{"第3巻 近世", "だい3かん きんせい", availAllFree, 2, false},
				{"第4巻 近代", "だい4かん きんだい", availAllFree, 2, false},
				{"第5巻 現代", "だい5かん げんだい", availAllFree, 2, false}}},
	}
	for si, s := range list {
		name := b.addSeries(s.name)
		for vi, v := range s.vols {
			t := titleRec{
				key:   fmt.Sprintf("gen:series:%02d:%02d", si+1, vi+1),
				title: s.name.w + " " + v.label, reading: s.name.r + " " + v.reading,
				author: s.author.w, authorReading: s.author.r, publisher: s.pub, year: s.year + vi,
				format: s.format, series: name, volume: vi + 1, refOnly: s.refOnly,
				nCopies: v.copies, oneBranch: v.oneBranch, avail: v.avail,
			}
			if s.format == domain.FormatBook {
				t.isbn = b.isbn()
			}
			b.add(t)
		}
	}
}

// otherETexts are local digital archives, read online only.
func (b *builder) otherETexts() {
	for i, y := range []int{2022, 2023, 2024, 2025} {
		b.add(titleRec{
			key:   fmt.Sprintf("gen:etext:%02d", i+1),
			title: fmt.Sprintf("わかば市報 縮刷版 %d年", y), reading: fmt.Sprintf("わかばしほう しゅくさつばん %dねん", y),
			author: "わかば市広報課 編", authorReading: "わかばし こうほうか", publisher: "わかば市", year: y + 1,
			format: domain.FormatEText, url: fmt.Sprintf("https://www.example.jp/wakaba/shiho/%d.pdf", y),
		})
	}
}

// reference adds reference-only works (禁帯出): dictionaries, chronologies, handbooks, yearbooks, maps.
func (b *builder) reference() {
	n := 0
	for i, s := range refSubjects {
		for j := 0; j < 2; j++ {
			k := refKinds[(i+j*2)%len(refKinds)]
			t := cat(s, k)
			ed := personName(b.rng)
			n++
			b.add(titleRec{
				key: fmt.Sprintf("gen:ref:%03d", n), title: t.w, reading: t.r,
				author: ed.w + " 編", authorReading: ed.r,
				publisher: pick(b.rng, publishers), year: 1990 + b.rng.IntN(35), isbn: b.isbn(),
				format: domain.FormatBook, refOnly: true,
			})
		}
	}
	for _, y := range []int{2023, 2024, 2025} {
		n++
		b.add(titleRec{
			key: fmt.Sprintf("gen:ref:%03d", n), title: fmt.Sprintf("わかば市統計書 %d年版", y),
			reading: fmt.Sprintf("わかばしとうけいしょ %dねんばん", y), author: "わかば市企画課 編",
			authorReading: "わかばし きかくか", publisher: "わかば市", year: y, format: domain.FormatBook, refOnly: true,
		})
	}
}

// magazines adds recent issues; the newest issue of each magazine stays in the library (禁帯出), as usual.
func (b *builder) magazines() {
	for mi, m := range magazines {
		issues := 9
		step := 12 / m.perYear
		if m.perYear < 12 {
			issues = 4
		}
		// Newest issue first: 2026年10月号 back in steps of the publication interval.
		for i := 0; i < issues; i++ {
			mon := 10 - i*step
			y := 2026
			for mon < 1 {
				mon += 12
				y--
			}
			label, lreading := fmt.Sprintf("%d年%d月号", y, mon), fmt.Sprintf("%dねん%dがつごう", y, mon)
			if m.perYear == 4 {
				season := []word{{"冬号", "ふゆごう"}, {"春号", "はるごう"}, {"夏号", "なつごう"}, {"秋号", "あきごう"}}[(mon-1)/3]
				label, lreading = fmt.Sprintf("%d年%s", y, season.w), fmt.Sprintf("%dねん%s", y, season.r)
			}
			b.add(titleRec{
				key: fmt.Sprintf("gen:mag:%02d:%d%02d", mi+1, y, mon), title: m.name.w + " " + label,
				reading: m.name.r + " " + lreading, publisher: m.publisher, year: y,
				format: domain.FormatMagazine, refOnly: i == 0, nCopies: 1 + b.rng.IntN(2),
			})
		}
	}
}

func (b *builder) cds() {
	for i, c := range classical {
		p := personName(b.rng)
		b.add(titleRec{
			key: fmt.Sprintf("gen:cd:c%02d", i+1), title: c.composer.w + "：" + c.work.w,
			reading: c.composer.r + " " + c.work.r,
			author:  c.composer.w + " 作曲 / " + p.w + " " + c.role, authorReading: c.composer.r + " / " + p.r,
			publisher: pick(b.rng, musicLabels), year: 1990 + b.rng.IntN(35), format: domain.FormatCD,
		})
	}
	for i, th := range cdThemes {
		for v := 1; v <= 5; v++ {
			b.add(titleRec{
				key: fmt.Sprintf("gen:cd:t%02d:%d", i+1, v), title: fmt.Sprintf("%s %d", th.w, v),
				reading: fmt.Sprintf("%s %d", th.r, v), publisher: pick(b.rng, musicLabels),
				year: 1995 + b.rng.IntN(30), format: domain.FormatCD,
			})
		}
	}
}

func (b *builder) dvdsAndVideos() {
	n := 0
	next := func() int { n++; return n }
	for i, tp := range topics {
		if i%3 == 2 {
			continue
		}
		t := cat(word{"DVDで学ぶ", "ディーブイディーでまなぶ"}, tp)
		a := personName(b.rng)
		b.add(titleRec{
			key: fmt.Sprintf("gen:dvd:%03d", next()), title: t.w, reading: t.r, author: a.w + " 監修",
			authorReading: a.r, publisher: pick(b.rng, videoLabels), year: 2005 + b.rng.IntN(20), format: domain.FormatDVD,
		})
	}
	for _, pl := range places {
		t := cat(word{"映像紀行 ", "えいぞうきこう "}, pl)
		b.add(titleRec{
			key: fmt.Sprintf("gen:dvd:%03d", next()), title: t.w, reading: t.r,
			publisher: pick(b.rng, videoLabels), year: 2000 + b.rng.IntN(25), format: domain.FormatDVD,
		})
	}
	for i := 0; i < 15; i++ {
		f := cat(pick(b.rng, adjectives), pick(b.rng, nouns))
		a := personName(b.rng)
		b.add(titleRec{
			key: fmt.Sprintf("gen:dvd:%03d", next()), title: "映画「" + f.w + "」", reading: "えいが「" + f.r + "」",
			author: a.w + " 監督", authorReading: a.r, publisher: pick(b.rng, videoLabels),
			year: 1995 + b.rng.IntN(30), format: domain.FormatDVD,
		})
	}
	n = 0
	for i, pl := range places {
		t := cat(word{"記録映像 ", "きろくえいぞう "}, pl, word{"の祭り", "のまつり"})
		b.add(titleRec{
			key: fmt.Sprintf("gen:video:%03d", next()), title: t.w, reading: t.r,
			publisher: videoLabels[i%len(videoLabels)], year: 1982 + b.rng.IntN(20), format: domain.FormatVideo,
		})
	}
	for i := 0; i < 10; i++ {
		tp := topics[i*3]
		t := cat(tp, word{"講座 ビデオ版", "こうざ ビデオばん"})
		a := personName(b.rng)
		b.add(titleRec{
			key: fmt.Sprintf("gen:video:%03d", next()), title: t.w, reading: t.r, author: a.w + " 講師",
			authorReading: a.r, publisher: pick(b.rng, videoLabels), year: 1985 + b.rng.IntN(20), format: domain.FormatVideo,
		})
	}
}

// layout gives every title its copies and barcodes and decides which are on loan. Barcodes are numbered in
// catalogue order, so the same catalogue always gets the same barcodes.
func (b *builder) layout() {
	r := b.rng
	seq := 0
	for i := range b.cat.titles {
		t := &b.cat.titles[i]
		if t.format == domain.FormatEText {
			continue
		}
		pool := bookPool
		if t.format.IsAV() {
			pool = avPool
		}
		n := t.nCopies
		if n == 0 {
			n = []int{1, 1, 1, 2, 2, 2, 2, 3, 3, 4}[r.IntN(10)]
			if t.refOnly {
				n = 1 + r.IntN(2)
			}
		}
		avail := t.avail
		if avail == availMixed && t.nCopies == 0 && !t.refOnly {
			switch k := r.IntN(100); {
			case k < 8:
				avail = availAllOnLoan
			case k < 18 && n >= 2:
				avail = availOneBranchFree
			}
		}
		oneBranch := t.oneBranch || (t.nCopies == 0 && r.IntN(100) < 15)
		var where []string
		switch {
		case t.refOnly:
			where = []string{"chuo", pick(r, avPool[2:])} // the central library always, maybe one more library
		case oneBranch:
			where = []string{pick(r, pool)}
		default:
			where = distinct(r, pool, n)
		}
		free := where[r.IntN(len(where))] // the branch that keeps its copies under availOneBranchFree
		for c := 0; c < n; c++ {
			seq++
			br := where[c%len(where)]
			onLoan := false
			switch {
			case t.refOnly:
			case avail == availAllOnLoan:
				onLoan = true
			case avail == availOneBranchFree:
				onLoan = br != free || (len(where) == 1 && c > 0)
			case avail == availMixed:
				onLoan = r.IntN(100) < 12
			}
			t.copies = append(t.copies, copyRec{barcode: fmt.Sprintf("1%09d", seq), branch: br, onLoan: onLoan})
		}
	}
}

// distinct picks up to n different branches from a weighted pool.
func distinct(r *rand.Rand, pool []string, n int) []string {
	var out []string
	for tries := 0; len(out) < n && tries < 50; tries++ {
		c := pick(r, pool)
		dup := false
		for _, o := range out {
			dup = dup || o == c
		}
		if !dup {
			out = append(out, c)
		}
	}
	return out
}
