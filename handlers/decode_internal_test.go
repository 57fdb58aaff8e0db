package handlers

import (
	"strings"
	"testing"
)

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
	} {
		if got := duplicateKey([]byte(c.body)); got != c.want {
			t.Errorf("%.60s: %q, want %q", c.body, got, c.want)
		}
	}
}
