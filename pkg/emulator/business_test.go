package emulator

import (
	"testing"
	"time"
)

func TestBusinessCalendar(t *testing.T) {
	day := func(s string) time.Time {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return d.Add(15 * time.Hour)
	}
	for _, tc := range []struct {
		date string
		want bool
	}{
		{"2026-03-04", true},  // Wednesday
		{"2026-03-07", false}, // Saturday
		{"2026-03-08", false}, // Sunday
		{"2026-01-01", false}, // New Year's Day
		{"2026-01-19", false}, // Martin Luther King Jr. Day (3rd Monday)
		{"2026-01-12", true},  // 2nd Monday of January
		{"2026-02-16", false}, // Washington's Birthday
		{"2026-05-25", false}, // Memorial Day (last Monday)
		{"2026-05-18", true},
		{"2026-06-19", false}, // Juneteenth
		{"2026-07-03", true},  // Friday before a Saturday July 4th: the Fed is open
		{"2026-09-07", false}, // Labor Day
		{"2026-10-12", false}, // Columbus Day
		{"2026-11-11", false}, // Veterans Day
		{"2026-11-26", false}, // Thanksgiving (4th Thursday)
		{"2026-12-25", false}, // Christmas
		{"2022-12-26", false}, // Christmas 2022 fell on a Sunday: observed Monday
		{"2021-06-18", true},  // before Juneteenth was a Fed holiday
	} {
		if got := businessDay(day(tc.date)); got != tc.want {
			t.Errorf("businessDay(%s) = %v, want %v", tc.date, got, tc.want)
		}
	}
	sat := time.Date(2026, 3, 7, 10, 0, 0, 0, time.UTC)
	if got, want := nextBusinessTime(sat), time.Date(2026, 3, 9, 14, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("next after Saturday = %v, want %v", got, want)
	}
	thu := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC) // Thanksgiving
	if got, want := nextBusinessTime(thu), time.Date(2026, 11, 27, 14, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("next after Thanksgiving = %v, want %v", got, want)
	}
	wed := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	if got := nextBusinessTime(wed); !got.Equal(wed) {
		t.Errorf("a business day moved: %v", got)
	}
}
