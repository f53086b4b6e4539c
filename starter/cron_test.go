package main

import (
	"testing"

	"go.temporal.io/sdk/client"
)

func TestCalendarCron(t *testing.T) {
	all := func(lo, hi int) []client.ScheduleRange { return []client.ScheduleRange{{Start: lo, End: hi, Step: 1}} }
	one := func(n int) []client.ScheduleRange { return []client.ScheduleRange{{Start: n}} }
	cases := []struct {
		cal  client.ScheduleCalendarSpec
		want string
	}{
		{client.ScheduleCalendarSpec{Second: one(0), Minute: one(0), Hour: one(9), DayOfMonth: all(1, 31), Month: all(1, 12),
			DayOfWeek: one(1)}, "0 9 * * MON"},
		{client.ScheduleCalendarSpec{Minute: []client.ScheduleRange{{Start: 0, End: 59, Step: 15}}, Hour: []client.ScheduleRange{{Start: 8, End: 18}},
			DayOfWeek: []client.ScheduleRange{{Start: 1, End: 5}}, Month: []client.ScheduleRange{{Start: 3}, {Start: 12}}},
			"*/15 8-18 * MAR,DEC MON-FRI"},
		{client.ScheduleCalendarSpec{Second: one(30), Minute: one(5), Hour: one(0), Comment: "nightly"}, "30 5 0 * * * # nightly"},
	}
	for _, c := range cases {
		if got := calendarCron(c.cal); got != c.want {
			t.Errorf("calendarCron = %q, want %q", got, c.want)
		}
	}
}
