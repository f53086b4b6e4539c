package main

import (
	"fmt"
	"io"
	"os"
)

// screen is the output of a watch: plain lines, and on a terminal one last
// line redrawn in place (a countdown, a progress bar) that a plain line
// clears first. Off a terminal (a pipe, a file) nothing is redrawn, so the
// output stays one line per change.
type screen struct {
	out   io.Writer
	live  bool   // out is a terminal
	drawn bool   // a last line is on the screen
	last  string // the state line printed last, off a terminal
}

// newScreen is a screen on out; plain (no redrawing) unless out is a
// terminal and the output is not JSON.
func newScreen(out io.Writer, asJSON bool) screen {
	return screen{out: out, live: !asJSON && isTerminal(out)}
}

// isTerminal says whether w is a terminal (a character device), where a
// line can be redrawn in place.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// say prints a line, above the redrawn line on a terminal.
func (s *screen) say(line string) {
	s.redraw("")
	fmt.Fprintln(s.out, line)
}

// redraw replaces the last line on a terminal; "" clears it. Elsewhere it
// prints nothing: a countdown would be a line a second.
func (s *screen) redraw(line string) {
	if !s.live {
		return
	}
	if s.drawn {
		fmt.Fprint(s.out, "\r\033[K")
	}
	fmt.Fprint(s.out, line)
	s.drawn = line != ""
}

// update shows the latest state line: redrawn in place on a terminal,
// elsewhere printed when it differs from the one printed last.
func (s *screen) update(line string) {
	if s.live {
		s.redraw(line)
		return
	}
	if line != s.last {
		fmt.Fprintln(s.out, line)
		s.last = line
	}
}

// keep ends a redrawn line with a newline, so it stays on the screen.
func (s *screen) keep() {
	if s.drawn {
		fmt.Fprintln(s.out)
		s.drawn = false
	}
}
