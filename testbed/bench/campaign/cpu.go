package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/imshift/imshift/testbed/bench/procstat"
)

// cpuUse is the CPU time spent over one measured window (a raw ceiling or
// a campaign), by where it went, so the bench shows what a push costs
// beyond the SDK calls the raw ceiling makes.
type cpuUse struct {
	bench    time.Duration // this process: the raw ceiling's sends
	worker   time.Duration
	sim      time.Duration // the simulator process (FCM, APNs, OpenIM)
	temporal time.Duration // the dev server the bench started (0 with -temporal)
	machine  time.Duration // every CPU's busy time
}

// rest is the machine's busy time outside the processes named: PostgreSQL,
// Redis, the kernel, and whatever else runs on the machine.
func (u cpuUse) rest() time.Duration {
	return max(0, u.machine-u.bench-u.worker-u.sim-u.temporal)
}

// cpuMeter reads the processes' and the machine's CPU time at the start of
// a window; use reads them again.
type cpuMeter struct {
	s      *stack
	worker string // pid, "" for none
	start  cpuUse
}

// meterCPU starts a window on s's processes and, if workerPid is set, a
// worker's.
func (s *stack) meterCPU(workerPid string) (*cpuMeter, error) {
	m := &cpuMeter{s: s, worker: workerPid}
	var err error
	m.start, err = m.read()
	return m, err
}

// use is the CPU spent since the meter started.
func (m *cpuMeter) use() (cpuUse, error) {
	now, err := m.read()
	return now.minus(m.start), err
}

// minus is u less an earlier reading o.
func (u cpuUse) minus(o cpuUse) cpuUse {
	return cpuUse{bench: u.bench - o.bench, worker: u.worker - o.worker, sim: u.sim - o.sim,
		temporal: u.temporal - o.temporal, machine: u.machine - o.machine}
}

func (m *cpuMeter) read() (cpuUse, error) {
	var u cpuUse
	var err error
	read := func(pid string, into *time.Duration) {
		if err == nil && pid != "" {
			*into, err = procstat.CPU(pid)
		}
	}
	read(strconv.Itoa(os.Getpid()), &u.bench)
	read(m.worker, &u.worker)
	read(m.s.sim.pid(), &u.sim)
	if m.s.temporal != nil {
		read(m.s.temporal.pid(), &u.temporal)
	}
	if err == nil {
		u.machine, err = procstat.MachineBusy()
	}
	return u, err
}

// cpuHeader and cpuRow print CPU per push by process, in µs.
func cpuHeader(w io.Writer, first string) {
	fmt.Fprintf(w, "| %s | bench | worker | simulators | Temporal | rest: PostgreSQL, Redis, kernel, other load | machine |\n|---|---|---|---|---|---|---|\n", first)
}

func cpuRow(w io.Writer, name string, u cpuUse, pushes int) {
	us := func(d time.Duration) int64 { return perPush(d, pushes).Microseconds() }
	fmt.Fprintf(w, "| %s | %d | %d | %d | %d | %d | %d |\n", name, us(u.bench), us(u.worker), us(u.sim), us(u.temporal),
		us(u.rest()), us(u.machine))
}
