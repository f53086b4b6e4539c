package campaign

import (
	"sync"
	"time"

	// Device time zones are IANA names; embedding the database keeps them
	// resolvable in images without /usr/share/zoneinfo.
	_ "time/tzdata"
)

// clock is a validated "HH:MM" as minutes after midnight.
func clock(hhmm string) int {
	return int(hhmm[0]-'0')*600 + int(hhmm[1]-'0')*60 + int(hhmm[3]-'0')*10 + int(hhmm[4]-'0')
}

// QuietUntil reports whether now falls in the quiet window in time zone loc
// and, if so, the instant the window ends there. The window may wrap
// midnight ("21:00"-"08:00"). q must have passed validation.
func (q *QuietHours) QuietUntil(now time.Time, loc *time.Location) (time.Time, bool) {
	local := now.In(loc)
	m := local.Hour()*60 + local.Minute()
	start, end := clock(q.Start), clock(q.End)
	inside := start <= m && m < end
	if start > end {
		inside = m >= start || m < end
	}
	if !inside {
		return time.Time{}, false
	}
	until := time.Date(local.Year(), local.Month(), local.Day(), end/60, end%60, 0, 0, loc)
	if !until.After(now) {
		until = until.AddDate(0, 0, 1)
	}
	return until, true
}

// zones caches time.LoadLocation, which reads and parses the zone database
// on every call; a page of a thousand devices would otherwise pay it each time.
var zones sync.Map // name -> *time.Location

// location resolves an IANA zone name; an unknown name counts as UTC, the
// registry's default.
func location(name string) *time.Location {
	if l, ok := zones.Load(name); ok {
		return l.(*time.Location)
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		l = time.UTC
	}
	zones.Store(name, l)
	return l
}
