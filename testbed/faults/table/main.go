// Command table prints the rows fault tests wrote (testbed/faults/report)
// as one table: make faults runs it after the tests.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"text/tabwriter"

	"github.com/imshift/imshift/testbed/faults/report"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: table REPORT.jsonl")
		os.Exit(2)
	}
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "table:", err)
		os.Exit(1)
	}
	defer f.Close()
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "FAULT\tWHAT WAS RUNNING\tDELIVERED\tDUPLICATED\tLOST\tUSERS REGISTERED\tOUTCOME")
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r report.Row
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			fmt.Fprintln(os.Stderr, "table: bad row:", err)
			os.Exit(1)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Fault, r.Running,
			count(r.Delivered), count(r.Duplicated), count(r.Lost), count(r.Registered), r.Outcome)
	}
	w.Flush()
}

func count(n int) string {
	if n == report.NA {
		return "-"
	}
	return strconv.Itoa(n)
}
