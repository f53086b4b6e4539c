// Package layers checks the import graph the README draws: product rooms
// import only rooms below them, and nothing in the product imports testbed/.
package layers

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/imshift/imshift/testbed/testenv"
)

const module = "github.com/imshift/imshift/"

// rank orders the rooms: a package may import rooms of lower rank only
// (and its own room's packages, e.g. internal/api importing internal/registry).
var rank = []struct {
	prefix string
	rank   int
}{
	{"internal/", 0},
	{"activities/", 1},
	{"workflows", 2},
	{"worker", 3},
	{"starter", 3},
	{"testbed/", 4},
}

func roomOf(pkg string) (string, int) {
	rel := strings.TrimPrefix(pkg, module)
	for _, r := range rank {
		if strings.HasPrefix(rel, r.prefix) {
			return r.prefix, r.rank
		}
	}
	return "", -1
}

// goList runs go list from the module root and returns its lines.
func goList(t *testing.T, args ...string) []string {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list"}, args...)...)
	cmd.Dir = testenv.ModuleRoot()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %v: %v", args, err)
	}
	return strings.Fields(string(out))
}

func TestProductNeverImportsTestbed(t *testing.T) {
	for _, dep := range goList(t, "-deps", "./workflows/...", "./activities/...", "./internal/...", "./worker", "./starter") {
		if strings.HasPrefix(dep, module+"testbed") {
			t.Errorf("product code depends on %s", dep)
		}
	}
}

func TestNoImportRunsBackUp(t *testing.T) {
	lines := goList(t, "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}|`, "./...")
	for _, line := range strings.Split(strings.Join(lines, " "), "|") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		room, r := roomOf(f[0])
		if r < 0 {
			t.Errorf("%s is in no room of the layout", f[0])
			continue
		}
		for _, imp := range f[1:] {
			if !strings.HasPrefix(imp, module) {
				continue
			}
			impRoom, ir := roomOf(imp)
			if ir > r || (ir == r && impRoom != room) {
				t.Errorf("%s (%s) imports %s (%s): an arrow up or sideways", f[0], room, imp, impRoom)
			}
		}
	}
}
