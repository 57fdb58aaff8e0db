package models_test

import (
	"os"
	"strings"
	"testing"

	"banlie/models"
)

// TestREADMEListsFieldCodes keeps the README's table of field error codes
// the list the server answers from: every code, its params, its meaning.
func TestREADMEListsFieldCodes(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "| `") {
			code := strings.TrimPrefix(line, "| `")
			if i := strings.Index(code, "`"); i > 0 {
				rows[code[:i]] = line
			}
		}
	}
	for _, c := range models.FieldCodes {
		row, ok := rows[c.Code]
		if !ok {
			t.Errorf("README has no row for code %s", c.Code)
			continue
		}
		if !strings.Contains(row, c.Doc) {
			t.Errorf("README's row for %s does not say %q", c.Code, c.Doc)
		}
		for _, p := range c.Requires {
			for _, alt := range strings.Split(p, "|") {
				if !strings.Contains(row, "`"+alt+"`") {
					t.Errorf("README's row for %s does not name param %s", c.Code, alt)
				}
			}
		}
	}
}
