package bench

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"yoyaku/internal/apiclient"
)

// Search queries a patron might type, by length in characters: kanji, kana and katakana, most of them words
// the catalogue contains (the demo records and the bulk titles' vocabulary), a few with no match at all.
var searchQueries = map[int][]string{
	1: {"海", "空", "星", "森", "風", "月", "夜", "街", "猫", "庭", "港", "雨", "雪", "花", "鳥", "夢", "扉", "窓",
		"川", "駅", "桜", "影", "光", "声", "歌", "島", "鍵", "夏", "冬", "春", "秋", "朝", "舟", "鯨", "石", "恋",
		"死", "犬", "ね", "う", "ト", "本", "旅", "詩", "鬼", "龍"},
	2: {"東京", "京都", "奈良", "江戸", "鎌倉", "九州", "四国", "横浜", "大阪", "金沢", "日光", "出雲", "熊野",
		"記憶", "約束", "手紙", "灯台", "時計", "坂道", "列車", "硝子", "地図", "黄昏", "珈琲", "本屋", "少年",
		"少女", "旅人", "魔法", "王国", "砂漠", "園芸", "俳句", "短歌", "将棋", "囲碁", "介護", "登山", "書道",
		"茶道", "相続", "睡眠", "手話", "防災", "哲学", "気象", "漢方", "佐藤", "鈴木", "高橋", "田中", "山田",
		"夏目", "宮沢", "芥川", "うみ", "ねこ", "ヨガ", "歴史", "入門", "宇宙", "量子"},
	5: {"はじめての", "よくわかる", "京都の歴史", "東京の鉄道", "奈良の祭り", "江戸の四季", "九州の自然",
		"四国の民話", "横浜の歴史", "大阪の鉄道", "金沢の四季", "出雲の民話", "熊野の自然", "日光の歴史",
		"小さな約束", "青い図書館", "静かな記憶", "秘密の手紙", "最後の約束", "少年の約束", "統計学入門",
		"英会話入門", "天文学入門", "心理学入門", "経済学入門", "俳句の基本", "将棋の基本", "としょかん",
		"銀河鉄道の", "吾輩は猫で", "こころの旅", "量子計算機"},
}

// searchLengths are the query lengths measured, in order.
var searchLengths = []int{1, 2, 5}

// queryPlan returns n queries of the given length, drawn from searchQueries in a shuffled order (the same for
// the same seed).
func queryPlan(length, n int, rng *rand.Rand) []string {
	words := searchQueries[length]
	out := make([]string, 0, n)
	for len(out) < n {
		perm := rng.Perm(len(words))
		for _, i := range perm {
			if len(out) == n {
				break
			}
			out = append(out, words[i])
		}
	}
	return out
}

// errNoSearch says the API has no catalogue search (GET /api/v1/titles is not routed).
var errNoSearch = errors.New("GET /api/v1/titles is not available")

// runSearch sends the queries of each length through GET /api/v1/titles?q=… from clients concurrent clients,
// each taking the next query of the plan as soon as its previous one is answered (so a latency is the
// server's answer time under that much concurrent search load, plus loopback), after a few unmeasured
// warm-up queries sent one after another.
func runSearch(ctx context.Context, api *apiclient.Client, n, clients int, rng *rand.Rand) ([]SearchLength, error) {
	type answer struct {
		Total int `json:"total"`
	}
	query := func(q string) (time.Duration, int, error) {
		var a answer
		start := time.Now()
		err := api.Do(ctx, http.MethodGet, "/api/v1/titles?"+url.Values{"q": {q}}.Encode(), "", nil, &a)
		d := time.Since(start)
		var se *apiclient.StatusError
		if errors.As(err, &se) && (se.Status == http.StatusNotFound || se.Status == http.StatusMethodNotAllowed) {
			return 0, 0, fmt.Errorf("%w: %v", errNoSearch, err)
		}
		return d, a.Total, err
	}
	for _, q := range []string{"海", "東京", "はじめての", "猫", "歴史", "京都の歴史", "星", "記憶", "夏目", "本"} {
		if _, _, err := query(q); err != nil {
			return nil, err
		}
	}
	clients = max(clients, 1)
	method := "GET /api/v1/titles?q=…, one client, sequential"
	if clients > 1 {
		method = fmt.Sprintf("GET /api/v1/titles?q=…, %d concurrent clients, each sequential", clients)
	}
	type timed struct {
		q    string
		d    time.Duration
		hits int
	}
	var out []SearchLength
	for _, length := range searchLengths {
		plan := queryPlan(length, n, rng)
		var (
			mu      sync.Mutex
			all     []timed
			errs    int
			failure error // a search that cannot run at all (errNoSearch)
		)
		next := make(chan string)
		var wg sync.WaitGroup
		for range clients {
			wg.Go(func() {
				for q := range next {
					d, total, err := query(q)
					mu.Lock()
					switch {
					case errors.Is(err, errNoSearch):
						failure = err
					case err != nil:
						errs++
					default:
						all = append(all, timed{q, d, total})
					}
					mu.Unlock()
				}
			})
		}
	send:
		for _, q := range plan {
			select {
			case next <- q:
			case <-ctx.Done():
				break send
			}
		}
		close(next)
		wg.Wait()
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
		if failure != nil {
			return out, failure
		}
		lat := make([]time.Duration, len(all))
		hits := 0
		for i, t := range all {
			lat[i] = t.d
			hits += t.hits
		}
		l := SearchLength{Chars: length, Latency: Summarize(lat, errs, method), Hits: NaN}
		slices.SortFunc(all, func(a, b timed) int { return cmp.Compare(b.d, a.d) })
		for _, t := range all[:min(5, len(all))] {
			l.Slowest = append(l.Slowest, fmt.Sprintf("%s %.0f ms %d hits", t.q, float64(t.d)/float64(time.Millisecond), t.hits))
		}
		if len(lat) > 0 {
			l.Hits = Float(float64(hits) / float64(len(lat)))
		}
		out = append(out, l)
	}
	return out, nil
}
