package main

import (
	"strconv"
	"strings"

	"go.temporal.io/sdk/client"
)

// specCrons is a schedule's times as cron lines. The server keeps a cron
// expression given at creation only as structured calendars (Describe
// returns no CronExpressions), so the lines are written back from them:
// "0 9 * * MON" reads back as "0 9 * * MON".
func specCrons(spec *client.ScheduleSpec) []string {
	out := append([]string(nil), spec.CronExpressions...)
	for _, c := range spec.Calendars {
		out = append(out, calendarCron(c))
	}
	return out
}

var (
	weekdays = []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}
	months   = []string{"", "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}
)

// calendarCron is c as "minute hour day-of-month month day-of-week", with
// the seconds in front when they are not 0 and the years after when set.
// Names stand for weekdays and months, as in the cron a person writes.
func calendarCron(c client.ScheduleCalendarSpec) string {
	fields := []string{
		cronField(c.Minute, 0, 59, nil),
		cronField(c.Hour, 0, 23, nil),
		cronField(c.DayOfMonth, 1, 31, nil),
		cronField(c.Month, 1, 12, months),
		cronField(c.DayOfWeek, 0, 6, weekdays),
	}
	// No seconds means 0, as the SDK fills them in.
	if sec := cronField(c.Second, 0, 59, nil); len(c.Second) > 0 && sec != "0" {
		fields = append([]string{sec}, fields...)
	}
	if len(c.Year) > 0 {
		fields = append(fields, cronField(c.Year, 0, 0, nil))
	}
	line := strings.Join(fields, " ")
	if c.Comment != "" {
		line += " # " + c.Comment
	}
	return line
}

// cronField writes ranges as a cron field: "*" for the whole range lo..hi
// (or none given), else "a", "a-b" or "a-b/step" joined by commas; names,
// when given, replace the numbers.
func cronField(ranges []client.ScheduleRange, lo, hi int, names []string) string {
	if len(ranges) == 0 {
		return "*"
	}
	name := func(n int) string {
		if n >= 0 && n < len(names) && names[n] != "" {
			return names[n]
		}
		return strconv.Itoa(n)
	}
	parts := make([]string, 0, len(ranges))
	for _, r := range ranges {
		end, step := max(r.End, r.Start), max(r.Step, 1)
		switch {
		case r.Start == lo && end == hi && hi > lo && step == 1:
			parts = append(parts, "*")
		case r.Start == lo && end == hi && hi > lo:
			parts = append(parts, "*/"+strconv.Itoa(step))
		case end == r.Start:
			parts = append(parts, name(r.Start))
		case step == 1:
			parts = append(parts, name(r.Start)+"-"+name(end))
		default:
			parts = append(parts, name(r.Start)+"-"+name(end)+"/"+strconv.Itoa(step))
		}
	}
	return strings.Join(parts, ",")
}
