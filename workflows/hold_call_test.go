package workflows_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	"yoyaku/activities"
	"yoyaku/contract"
	"yoyaku/domain"
	"yoyaku/workflows"
)

// mockCall mocks activities.Call the way the real one decides: reached and voicemail contact the patron
// now; no_answer is kept, and the contact day is the one domain.NoAnswerContactDay picks from the days of the
// unanswered calls (every day open). Every call is a ready-to-ready transition.
func (f *fakeHold) mockCall(acts *activities.Activities, need int) {
	var noAnswers []time.Time
	f.env.OnActivity(acts.Call, mock.Anything, mock.Anything).Return(func(_ context.Context, in contract.CallInput) (contract.Outcome, error) {
		return f.step("call:"+string(in.Outcome), in.Step, func(st *contract.HoldState, out *contract.Outcome) (domain.Status, error) {
			if st.Status != domain.StatusReady {
				return "", refusal(contract.ErrNotChangeable, "not ready")
			}
			now := f.env.Now()
			contactedAt := now
			if !in.Outcome.Contacts() {
				noAnswers = append(noAnswers, now)
				days := make([]domain.Date, len(noAnswers))
				for i, t := range noAnswers {
					days[i] = domain.DateOf(t, f.loc)
				}
				day, ok := domain.NoAnswerContactDay(days, need, domain.AlwaysOpen)
				if !ok {
					return domain.StatusReady, nil
				}
				for _, t := range noAnswers {
					if domain.DateOf(t, f.loc).String() == day.String() {
						contactedAt = t
					}
				}
			}
			out.Contact = &contract.NotifyResult{Contacted: true, ExpiresAt: domain.ExpiresAt(contactedAt, f.loc, 0)}
			return domain.StatusReady, nil
		})
	})
}

// TestHoldPhoneOutcomes: on the call list, unanswered calls (不在) start the pickup week only once they were
// made on three different days, the third day being the contact date; three calls on one day do not start
// it; a message left (留守電) starts it at once. The deadline timer follows: the hold expires at the end of
// the 7th day counting the contact date, and never before a contact.
func TestHoldPhoneOutcomes(t *testing.T) {
	loc := tokyo(t)
	start := time.Date(2026, 12, 1, 9, 0, 0, 0, loc) // Tuesday; the copy arrives a second later
	at := func(day, hour int) time.Time { return time.Date(2026, 12, day, hour, 0, 0, 0, loc) }

	cases := []struct {
		name       string
		calls      []time.Time
		outcomes   []domain.CallOutcome
		wantExpiry time.Time // zero: still waiting on the call list when the test ends
	}{
		{
			name:       "no answer on three different days",
			calls:      []time.Time{at(1, 10), at(1, 16), at(3, 11), at(7, 18)},
			outcomes:   []domain.CallOutcome{domain.CallNoAnswer, domain.CallNoAnswer, domain.CallNoAnswer, domain.CallNoAnswer},
			wantExpiry: time.Date(2026, 12, 14, 0, 0, 0, 0, loc), // 連絡日 7 Dec: deadline 13 Dec
		},
		{
			name:     "three unanswered calls on one day",
			calls:    []time.Time{at(1, 10), at(1, 13), at(1, 17)},
			outcomes: []domain.CallOutcome{domain.CallNoAnswer, domain.CallNoAnswer, domain.CallNoAnswer},
		},
		{
			name:       "a message left",
			calls:      []time.Time{at(1, 10), at(2, 10)},
			outcomes:   []domain.CallOutcome{domain.CallNoAnswer, domain.CallVoicemail},
			wantExpiry: time.Date(2026, 12, 9, 0, 0, 0, 0, loc), // 連絡日 2 Dec: deadline 8 Dec
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env, f := newHoldEnv(t, "web")
			f.phone = true
			acts := &activities.Activities{}
			f.mockCall(acts, domain.DefaultPhoneAttempts)
			env.SetStartTime(start)
			signalAfter(env, time.Second, secured(pickup))

			updates := make([]*updateOutcome, len(c.calls))
			for i, when := range c.calls {
				env.RegisterDelayedCallback(func() {
					updates[i] = sendUpdate(t, env, contract.UpdateCall, contract.CallRequest{Outcome: c.outcomes[i], StaffID: staffID})
				}, when.Sub(start))
			}
			// a bad outcome is refused by the validator: no activity, no transition
			var bad *updateOutcome
			env.RegisterDelayedCallback(func() {
				bad = sendUpdate(t, env, contract.UpdateCall, contract.CallRequest{Outcome: "busy", StaffID: staffID})
			}, at(1, 11).Sub(start))
			// 30 days on: the hold still waits unless a contact started its week
			var late contract.HoldState
			env.RegisterDelayedCallback(func() {
				late = queryState(t, env)
				if c.wantExpiry.IsZero() {
					env.CancelWorkflow()
				}
			}, 30*24*time.Hour)

			env.ExecuteWorkflow(workflows.HoldWorkflow, contract.HoldInput{HoldID: holdID})

			for i, u := range updates {
				got := u.get()
				require.True(t, got.completed, "call %d", i)
				require.NoError(t, got.err, "call %d", i)
				require.Equal(t, domain.StatusReady, got.result.Status, "call %d", i)
			}
			require.Equal(t, string(contract.ErrBadRequest), appErrType(bad.get().rejected))
			require.Empty(t, f.callsOf("call:busy"))

			expired := f.callsOf("cancel:expired")
			if c.wantExpiry.IsZero() {
				require.Empty(t, expired, "no pickup week may start before a contact")
				require.Equal(t, domain.StatusReady, late.Status)
				require.Equal(t, 2+len(c.calls), late.Transition, "every call is a transition")
				return
			}
			require.Equal(t, domain.StatusCancelled, holdResult(t, env).Status)
			require.Len(t, expired, 1)
			require.True(t, expired[0].At.Equal(c.wantExpiry), "expired at %s, want %s", expired[0].At.In(loc), c.wantExpiry)
		})
	}
}
