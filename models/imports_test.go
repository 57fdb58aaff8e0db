package models_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestModelsImportsNoInfrastructure keeps the domain pure: neither models nor
// anything it imports may be a database, HTTP or web framework package.
func TestModelsImportsNoInfrastructure(t *testing.T) {
	for _, pkg := range []string{"banlie/models", "banlie/summary"} {
		out, err := exec.Command("go", "list", "-deps", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, banned := range []string{"gorm.io/", "database/sql", "net/http", "github.com/labstack/echo", "banlie/store", "banlie/handlers", "banlie/jobs", "banlie/app"} {
				if dep == banned || strings.HasPrefix(dep, banned) {
					t.Errorf("%s imports %s", pkg, dep)
				}
			}
		}
	}
}
