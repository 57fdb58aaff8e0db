package storetest

import (
	"flag"
	"os"
	"strconv"
	"testing"
)

// SetRapidChecks lowers rapid's number of checks for one property test (each
// check may open a database or start a server) unless the command line or
// RAPID_CHECKS chose one, and keeps rapid from writing fail files into
// testdata/ (a failure names the seed that reproduces it).
func SetRapidChecks(t *testing.T, n int) {
	given := map[string]bool{"rapid.checks": os.Getenv("RAPID_CHECKS") != "", "rapid.nofailfile": os.Getenv("RAPID_NOFAILFILE") != ""}
	flag.Visit(func(f *flag.Flag) { given[f.Name] = true })
	for name, v := range map[string]string{"rapid.checks": strconv.Itoa(n), "rapid.nofailfile": "true"} {
		f := flag.Lookup(name)
		if given[name] || f == nil {
			continue
		}
		old := f.Value.String()
		if err := f.Value.Set(v); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = f.Value.Set(old) })
	}
}
