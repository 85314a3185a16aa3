package bench

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"

	"yoyaku/internal/apiclient"
	"yoyaku/internal/par"
)

// The fixtures are made through the staff API (patrons, titles, copies, loans), as a library's staff would.

// holdLimit is YOYAKU_HOLD_LIMIT_TOTAL's default: the bench spreads its holds so no patron goes past it.
const holdLimit = 10

const patronPassword = "bench-pass-1"

// patron is a bench patron, logged in; email is unique to this run, so Mailpit finds exactly its mail.
type patron struct {
	card, email, token string
	holds              int // holds given to this patron so far (under pool.mu)
}

// pool hands out patrons round robin, each at most holdLimit times.
type pool struct {
	mu      sync.Mutex
	patrons []*patron
	next    int
}

// take returns the next patron with a free hold slot.
func (p *pool) take() (*patron, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for range p.patrons {
		pt := p.patrons[p.next%len(p.patrons)]
		p.next++
		if pt.holds < holdLimit {
			pt.holds++
			return pt, nil
		}
	}
	return nil, fmt.Errorf("every bench patron has %d holds: run with more --patrons", holdLimit)
}

// reserve picks n distinct patrons for samples that need a patron of their own, and takes a hold slot of
// each. They stay in the round robin: the holds it gives them wait to be pulled and send no mail, so the
// sample's mail is the only one to their address.
func (p *pool) reserve(n int) ([]*patron, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []*patron
	for i := len(p.patrons) - 1; i >= 0 && len(out) < n; i-- {
		if pt := p.patrons[i]; pt.holds < holdLimit && pt.email != "" {
			pt.holds++
			out = append(out, pt)
		}
	}
	if len(out) < n {
		for _, pt := range out {
			pt.holds--
		}
		return nil, fmt.Errorf("%d samples need a patron each, there are %d: run with more --patrons", n, len(p.patrons))
	}
	return out, nil
}

// fixtures is what setup made.
type fixtures struct {
	staff     string   // staff token
	libraries []string // branch codes of the libraries (kind library)
	lender    *patron  // borrows the copies whose return is measured
	patrons   *pool
}

type fixtureMaker struct {
	api   *apiclient.Client
	run   string // unique to this run: card numbers, addresses, barcodes, titles
	rng   *rand.Rand
	seq   atomic.Int64
	cards atomic.Int64
	par   int // concurrent setup requests
}

func newFixtureMaker(api *apiclient.Client, run string, seed uint64, par int) *fixtureMaker {
	f := &fixtureMaker{api: api, run: run, rng: rand.New(rand.NewPCG(seed, 0x62656e6368)), par: par}
	// 7-digit card numbers from a random point of the 9xxxxxx range; taken ones are skipped.
	f.cards.Store(9_000_000 + int64(f.rng.IntN(900_000)))
	return f
}

// newPatron creates a patron through the staff API (with an e-mail address when withEmail) and logs in.
func (f *fixtureMaker) newPatron(ctx context.Context, staff string, n int, withEmail bool) (*patron, error) {
	p := &patron{}
	var emails []string
	if withEmail {
		// Mailpit's to: filter is a substring match: fixed-width numbers keep every address unique as a substring.
		p.email = fmt.Sprintf("b%s-p%05d@bench.example.jp", f.run, n)
		emails = []string{p.email}
	}
	for tries := 0; ; tries++ {
		p.card = fmt.Sprintf("%07d", f.cards.Add(1)%10_000_000)
		err := f.api.CreatePatron(ctx, staff, p.card, fmt.Sprintf("ベンチ 利用者%05d", n), patronPassword, emails)
		if err == nil {
			break
		}
		if !apiclient.HasCode(err, "card_number_taken") || tries > 100 {
			return nil, err
		}
	}
	var err error
	if p.token, err = f.api.PatronLogin(ctx, p.card, patronPassword); err != nil {
		return nil, err
	}
	return p, nil
}

// setup logs staff in, lists the libraries and creates the patrons and the lender.
func (f *fixtureMaker) setup(ctx context.Context, staffLogin, staffPassword string, patrons int) (*fixtures, error) {
	staff, err := f.api.StaffLogin(ctx, staffLogin, staffPassword)
	if err != nil {
		return nil, err
	}
	libs, err := f.api.Libraries(ctx)
	if err != nil {
		return nil, err
	}
	if len(libs) < 2 {
		return nil, fmt.Errorf("the bench needs at least 2 libraries, the API lists %d", len(libs))
	}
	fx := &fixtures{staff: staff, libraries: libs, patrons: &pool{patrons: make([]*patron, patrons)}}
	if fx.lender, err = f.newPatron(ctx, staff, 0, false); err != nil {
		return nil, err
	}
	err = par.Each(ctx, patrons, f.par, func(ctx context.Context, i int) error {
		p, err := f.newPatron(ctx, staff, i+1, true)
		fx.patrons.patrons[i] = p
		return err
	})
	return fx, err
}

// copyFixture is a title with one copy.
type copyFixture struct {
	titleID, barcode, branch string
}

// newCopy creates a title and one copy of it at branch through the staff API. A new copy is allocated like a
// return: with no holds on the title it is simply shelved.
func (f *fixtureMaker) newCopy(ctx context.Context, staff, branch string) (copyFixture, error) {
	n := f.seq.Add(1)
	id, err := f.api.CreateTitle(ctx, staff, fmt.Sprintf("ベンチ資料 %s-%06d", f.run, n), "ベンチ 著者", "book")
	if err != nil {
		return copyFixture{}, err
	}
	c := copyFixture{titleID: id, barcode: fmt.Sprintf("BN-%s-%06d", f.run, n), branch: branch}
	r, err := f.api.CreateCopy(ctx, staff, c.titleID, c.barcode, branch)
	if err != nil {
		return copyFixture{}, err
	}
	if r.Action != "reshelve" {
		return copyFixture{}, fmt.Errorf("new copy %s of an unheld title was routed %q, want reshelve", c.barcode, r.Action)
	}
	return c, nil
}

// newCopies makes n titles with a copy each at libraries picked at random.
func (f *fixtureMaker) newCopies(ctx context.Context, fx *fixtures, n int) ([]copyFixture, error) {
	out := make([]copyFixture, n)
	branches := make([]string, n)
	for i := range branches {
		branches[i] = fx.libraries[f.rng.IntN(len(fx.libraries))]
	}
	err := par.Each(ctx, n, f.par, func(ctx context.Context, i int) error {
		c, err := f.newCopy(ctx, fx.staff, branches[i])
		out[i] = c
		return err
	})
	return out, err
}

// lend checks a copy out to the lender at its branch, so that its hold has to wait for the return.
func (f *fixtureMaker) lend(ctx context.Context, fx *fixtures, c copyFixture) error {
	r, err := f.api.Checkout(ctx, fx.staff, c.barcode, fx.lender.card, c.branch)
	if err != nil {
		return fmt.Errorf("lend %s: %w", c.barcode, err)
	}
	if r.HoldID != nil {
		return errors.New("a bench copy was lent for a hold")
	}
	return nil
}

// pickOther returns a library other than branch.
func (f *fixtureMaker) pickOther(fx *fixtures, branch string) string {
	for {
		if b := fx.libraries[f.rng.IntN(len(fx.libraries))]; b != branch {
			return b
		}
	}
}
