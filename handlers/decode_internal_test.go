package handlers

import (
	"fmt"
	"strings"
	"testing"
)

// manyKeys is an object of n keys k1…kn, plus k0 again at the end if dup.
func manyKeys(n int, dup bool) string {
	var b strings.Builder
	b.WriteString(`{"k0":0`)
	for i := 1; i < n; i++ {
		fmt.Fprintf(&b, `,"k%d":%d`, i, i)
	}
	if dup {
		b.WriteString(`,"K0":1`)
	}
	return b.String() + "}"
}

// A body of 100,000 distinct keys is scanned in linear time: a single
// request must not hold a core for seconds.
func BenchmarkDuplicateKeyLargeObject(b *testing.B) {
	body := []byte(manyKeys(100000, false))
	for b.Loop() {
		if duplicateKey(body) != "" {
			b.Fatal("no duplicate expected")
		}
	}
}

func TestDuplicateKey(t *testing.T) {
	for _, c := range []struct{ body, want string }{
		{`{"a":1,"b":2}`, ""},
		{`{"a":1,"a":2}`, "a"},
		{`{"a":"\"a\":1","b":"a"}`, ""},                                // keys inside strings are text
		{`{"a\u0062":1,"ab":2}`, "ab"},                                 // escapes are read
		{`{"s":[{"n":1},{"n":2}]}`, ""},                                // sibling objects may share keys
		{`{"s":[{"n":1},{"n":2,"n":3}]}`, "s[1].n"},                    // nested, with its path
		{`{"s":[[1],[2,{"x":{"y":1,"y":2}}]]}`, "s[1][1].x.y"},         // arrays in arrays
		{` { "a" : [ ] , "b" : { } , "c" : null , "a" : true } `, "a"}, // whitespace everywhere
		{`{"a":1,`, ""},                                                // invalid JSON: left to the decoder
		{`{"a" 1, "a": 2}`, ""},                                        // invalid JSON
		{`"a"`, ""},                                                    // not an object
		{strings.Repeat("[", 20000), ""},                               // deeper than any decoder goes
		{`{"a":1}{"a":2}`, ""},                                         // a second value is the decoder's to refuse
		{`{"teu":1,"TEU":2}`, "TEU"},                                   // encoding/json matches names without regard to case
		{`{"status":1,"ſtatus":2}`, "ſtatus"},                          // nor to Unicode folding
		{manyKeys(40, true), "K0"},                                     // a large object, searched in a map
		{manyKeys(40, false), ""},
	} {
		if got := duplicateKey([]byte(c.body)); got != c.want {
			t.Errorf("%.60s: %q, want %q", c.body, got, c.want)
		}
	}
}
