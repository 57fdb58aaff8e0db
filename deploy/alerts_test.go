package deploy_test

import (
	"os"
	"os/exec"
	"testing"
)

// The alert rules in deploy/prometheus (shown in docs/OPERATIONS.md) pass
// `promtool check rules`, and their unit tests (alerts_test.yml: each alert
// fires on the series that should raise it, and not before) pass
// `promtool test rules`.
func TestAlertRules(t *testing.T) {
	tool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("promtool is needed (Debian: apt-get install prometheus)")
		}
		t.Skip("promtool not installed (Debian: apt-get install prometheus)")
	}
	for _, args := range [][]string{{"check", "rules", "alerts.yml"}, {"test", "rules", "alerts_test.yml"}} {
		cmd := exec.Command(tool, args...)
		cmd.Dir = "prometheus"
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %v: %v\n%s", args, err, out)
		}
	}
}
