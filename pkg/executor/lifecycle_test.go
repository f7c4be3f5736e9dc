package executor

import "testing"

func TestLifecycleCheck(t *testing.T) {
	tests := []struct {
		kind, status string
		targets      []string
		want         Outcome
	}{
		{"accounts", "ACTIVE", []string{"APPROVED"}, Met},
		{"accounts", "APPROVED", []string{"APPROVED"}, Met},
		{"accounts", "SUBMITTED", []string{"APPROVED"}, Pending},
		{"accounts", "APPROVAL_PENDING", []string{"ACTIVE"}, Pending},
		{"accounts", "REJECTED", []string{"ACTIVE"}, Failed},
		{"accounts", "ACTION_REQUIRED", []string{"APPROVED"}, Failed},
		{"accounts", "REJECTED", []string{"REJECTED"}, Met},
		{"accounts", "SOMETHING_NEW", []string{"ACTIVE"}, Pending},
		{"accounts", "", []string{"ACTIVE"}, Pending},
		{"ach_relationships", "APPROVED", []string{"APPROVED"}, Met},
		{"ach_relationships", "QUEUED", []string{"APPROVED"}, Pending},
		{"ach_relationships", "CANCELED", []string{"APPROVED"}, Failed},
		{"transfers", "COMPLETE", []string{"APPROVED"}, Met},
		{"transfers", "SENT_TO_CLEARING", []string{"COMPLETE"}, Pending},
		{"transfers", "RETURNED", []string{"COMPLETE"}, Failed},
		{"journals", "executed", []string{"EXECUTED"}, Met},
		{"journals", "pending", []string{"executed"}, Pending},
		{"journals", "refused", []string{"executed"}, Failed},
		{"batch_journals", "executed", []string{"sent_to_clearing"}, Met},
		{"orders", "filled", []string{"new"}, Met},
		{"orders", "partially_filled", []string{"filled"}, Pending},
		{"orders", "expired", []string{"filled"}, Failed},
		{"orders", "accepted", []string{"new"}, Met},
	}
	for _, tt := range tests {
		t.Run(tt.kind+"/"+tt.status, func(t *testing.T) {
			l := LifecycleOf(tt.kind)
			if got := l.Check(tt.status, tt.targets); got != tt.want {
				t.Fatalf("Check(%s, %v) = %v, want %v", tt.status, tt.targets, got, tt.want)
			}
		})
	}
}

func TestLifecycleTerminal(t *testing.T) {
	tests := []struct {
		kind, status string
		want         bool
	}{
		{"accounts", "ACTIVE", true},
		{"accounts", "APPROVED", false},
		{"transfers", "CANCELED", true},
		{"orders", "filled", true},
		{"orders", "new", false},
	}
	for _, tt := range tests {
		if got := LifecycleOf(tt.kind).Terminal(tt.status); got != tt.want {
			t.Errorf("%s %s terminal = %v", tt.kind, tt.status, got)
		}
	}
	if LifecycleOf("data") != nil {
		t.Error("unknown kind has a lifecycle")
	}
}
