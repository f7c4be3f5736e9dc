package executor

import (
	"slices"
	"strings"
)

// Lifecycle is the status state machine of one resource kind, used by waits.
// Stages are ordered: a status in a later stage is "at or past" every status
// of an earlier stage, so a wait for APPROVED is met by ACTIVE. Failures end
// a wait at once. Statuses in neither list (the API adds new ones over time)
// neither meet nor fail a wait: the waiter keeps watching.
type Lifecycle struct {
	Kind     string
	Stages   [][]string
	Failures []string
}

var lifecycles = map[string]*Lifecycle{
	"accounts": {
		Kind: "accounts",
		Stages: [][]string{
			{"INACTIVE", "ONBOARDING", "SIGNED_UP"},
			{"SUBMITTED", "RESUBMITTED", "KYC_SUBMITTED"},
			{"APPROVAL_PENDING", "AML_REVIEW", "REAPPROVAL_PENDING"},
			{"APPROVED"},
			{"ACCOUNT_UPDATED"},
			{"ACTIVE"},
		},
		Failures: []string{"REJECTED", "ACTION_REQUIRED", "ACCOUNT_CLOSED", "SUBMISSION_FAILED", "DISABLED", "DISABLE_PENDING"},
	},
	"ach_relationships": {
		Kind:     "ach_relationships",
		Stages:   [][]string{{"QUEUED"}, {"PENDING", "SENT_TO_CLEARING"}, {"APPROVED"}},
		Failures: []string{"REJECTED", "CANCELED", "CANCEL_REQUESTED", "CANCEL_SENT"},
	},
	"bank_relationships": {
		Kind:     "bank_relationships",
		Stages:   [][]string{{"QUEUED"}, {"PENDING", "SENT_TO_CLEARING"}, {"APPROVED", "ACTIVE"}},
		Failures: []string{"REJECTED", "CANCELED", "INACTIVE"},
	},
	"transfers": {
		Kind: "transfers",
		Stages: [][]string{
			{"QUEUED"},
			{"PENDING", "APPROVAL_PENDING"},
			{"SENT_TO_CLEARING"},
			{"APPROVED"},
			{"COMPLETE", "SETTLED"},
		},
		Failures: []string{"REJECTED", "CANCELED", "RETURNED", "EXPIRED"},
	},
	"journals": {
		Kind: "journals",
		Stages: [][]string{
			{"queued"},
			{"pending"},
			{"sent_to_clearing"},
			{"executed", "activity_created"},
		},
		Failures: []string{"rejected", "refused", "canceled", "deleted"},
	},
	"orders": {
		Kind: "orders",
		Stages: [][]string{
			{"pending_new", "accepted", "accepted_for_bidding", "new", "held"},
			{"partially_filled"},
			{"filled"},
		},
		Failures: []string{"canceled", "expired", "rejected", "suspended", "stopped", "done_for_day"},
	},
}

func init() {
	lifecycles["batch_journals"] = &Lifecycle{Kind: "batch_journals", Stages: lifecycles["journals"].Stages, Failures: lifecycles["journals"].Failures}
}

// LifecycleOf returns the state machine of kind, or nil for kinds that have
// no status (data sources).
func LifecycleOf(kind string) *Lifecycle { return lifecycles[kind] }

// rank returns the stage index of status, or -1 when it is not a progress status.
func (l *Lifecycle) rank(status string) int {
	for i, stage := range l.Stages {
		if slices.ContainsFunc(stage, func(s string) bool { return strings.EqualFold(s, status) }) {
			return i
		}
	}
	return -1
}

// IsFailure reports whether status ends every wait with an error.
func (l *Lifecycle) IsFailure(status string) bool {
	return slices.ContainsFunc(l.Failures, func(s string) bool { return strings.EqualFold(s, status) })
}

// Outcome is the verdict of a status against a wait.
type Outcome int

const (
	// Pending: keep waiting.
	Pending Outcome = iota
	// Met: the status is one of the targets or at or past one of them.
	Met
	// Failed: the status is a failure the resource cannot leave.
	Failed
)

// Check judges status against the wanted targets. A target named exactly
// (even a failure status, for fixtures that expect a rejection) is met by
// that status; otherwise a progress status at or past any target meets the
// wait and a failure status fails it.
func (l *Lifecycle) Check(status string, targets []string) Outcome {
	if status == "" {
		return Pending
	}
	for _, t := range targets {
		if strings.EqualFold(t, status) {
			return Met
		}
	}
	if l.IsFailure(status) {
		return Failed
	}
	r := l.rank(status)
	if r < 0 {
		return Pending
	}
	for _, t := range targets {
		if tr := l.rank(t); tr >= 0 && r >= tr {
			return Met
		}
	}
	return Pending
}

// Terminal reports whether status can no longer change in a way a wait
// cares about: a failure, or the last stage.
func (l *Lifecycle) Terminal(status string) bool {
	return l.IsFailure(status) || l.rank(status) == len(l.Stages)-1
}
