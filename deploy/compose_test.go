package deploy

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
)

// load reads ../docker-compose.yml as Compose (the specification's schema is
// validated by the loader) with the given environment.
func load(t *testing.T, env map[string]string) *types.Project {
	t.Helper()
	dir, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "docker-compose.yml")
	p, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  dir,
		ConfigFiles: []types.ConfigFile{{Filename: file}},
		Environment: env,
	}, func(o *loader.Options) { o.SetProjectName("banlie", true) })
	if err != nil {
		t.Fatalf("docker-compose.yml does not load as Compose: %v", err)
	}
	return p
}

func TestComposeFile(t *testing.T) {
	p := load(t, map[string]string{})
	db, err := p.GetService("db")
	if err != nil {
		t.Fatal(err)
	}
	if db.Image != "postgres:17" {
		t.Errorf("db image %q, want postgres:17 by default", db.Image)
	}
	if db.HealthCheck == nil || len(db.HealthCheck.Test) < 2 || db.HealthCheck.Test[1] != "pg_isready" {
		t.Errorf("db health check %+v, want pg_isready", db.HealthCheck)
	}
	named := false
	for _, v := range db.Volumes {
		if v.Type == types.VolumeTypeVolume && v.Target == "/var/lib/postgresql/data" {
			if _, ok := p.Volumes[v.Source]; ok {
				named = true
			}
		}
	}
	if !named {
		t.Errorf("db data is not in a named volume: %+v", db.Volumes)
	}
	if db.Environment["POSTGRES_PASSWORD"] == nil || db.Environment["POSTGRES_DB"] == nil || *db.Environment["POSTGRES_DB"] != "banlie" {
		t.Errorf("db environment %v", db.Environment)
	}

	var replicas []types.ServiceConfig
	for _, s := range p.Services {
		if s.Build != nil {
			replicas = append(replicas, s)
		}
	}
	if len(replicas) != 2 {
		t.Fatalf("%d banlie services built from the Dockerfile, want 2", len(replicas))
	}
	hostPorts := map[string]bool{}
	for _, s := range replicas {
		if dep, ok := s.DependsOn["db"]; !ok || dep.Condition != types.ServiceConditionHealthy {
			t.Errorf("%s: depends_on db %+v, want condition service_healthy", s.Name, s.DependsOn)
		}
		if got := s.Build.Args["GO_IMAGE"]; got == nil || *got != "golang:1.26" {
			t.Errorf("%s: build arg GO_IMAGE %v, want golang:1.26 by default", s.Name, got)
		}
		if got := s.Build.Args["RUNTIME_IMAGE"]; got == nil || *got == "" {
			t.Errorf("%s: no RUNTIME_IMAGE build arg", s.Name)
		}
		dbURL := s.Environment["BANLIE_DB"]
		if dbURL == nil || !strings.HasPrefix(*dbURL, "postgres://") || !strings.Contains(*dbURL, "@db:5432/banlie") {
			t.Errorf("%s: BANLIE_DB %v, want the db service", s.Name, dbURL)
		}
		if w := s.Environment["BANLIE_DB_WAIT"]; w == nil || *w == "" {
			t.Errorf("%s: no BANLIE_DB_WAIT", s.Name)
		}
		if len(s.Ports) != 1 {
			t.Fatalf("%s: ports %+v, want one", s.Name, s.Ports)
		}
		port := s.Ports[0]
		if port.HostIP != "127.0.0.1" || port.Target != 8080 {
			t.Errorf("%s: port %+v, want 127.0.0.1:…:8080", s.Name, port)
		}
		if hostPorts[port.Published] {
			t.Errorf("%s: host port %s published twice", s.Name, port.Published)
		}
		hostPorts[port.Published] = true
		if s.Restart == "" || s.Restart == "no" {
			t.Errorf("%s: restart policy %q", s.Name, s.Restart)
		}
	}

	// The base images and the bind address come from the environment.
	p = load(t, map[string]string{"POSTGRES_IMAGE": "local/pg:1", "GO_IMAGE": "local/go:1", "RUNTIME_IMAGE": "local/rt:1", "BANLIE_BIND": "0.0.0.0"})
	db, _ = p.GetService("db")
	if db.Image != "local/pg:1" {
		t.Errorf("POSTGRES_IMAGE not used: %q", db.Image)
	}
	for _, s := range p.Services {
		if s.Build == nil {
			continue
		}
		if *s.Build.Args["GO_IMAGE"] != "local/go:1" || *s.Build.Args["RUNTIME_IMAGE"] != "local/rt:1" {
			t.Errorf("%s: build args %v ignore the environment", s.Name, s.Build.Args)
		}
		if s.Ports[0].HostIP != "0.0.0.0" {
			t.Errorf("%s: BANLIE_BIND not used: %+v", s.Name, s.Ports[0])
		}
	}
}

// TestDockerfile checks what the compose file and the engine test rely on:
// the build arguments it passes, a non-root user, the health check through
// banlie healthcheck, the static cgo build and the data volume.
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	df := string(b)
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^ARG GO_IMAGE=golang:1\.26$`),
		regexp.MustCompile(`(?m)^ARG RUNTIME_IMAGE=\S+`),
		regexp.MustCompile(`(?m)^FROM \$\{GO_IMAGE\} AS build$`),
		regexp.MustCompile(`(?m)^FROM \$\{RUNTIME_IMAGE\}$`),
		regexp.MustCompile(`(?m)^USER 65532:65532$`),
		regexp.MustCompile(`(?m)^VOLUME /data$`),
		regexp.MustCompile(`BANLIE_DB=/data/banlie\.db`),
		regexp.MustCompile(`(?m)^\s*CMD \["/usr/local/bin/banlie", "healthcheck"\]$`),
		regexp.MustCompile(`-linkmode external -extldflags -static`),
		regexp.MustCompile(`osusergo netgo timetzdata`),
		regexp.MustCompile(`-mod=vendor`),
	} {
		if !want.MatchString(df) {
			t.Errorf("Dockerfile lacks %s", want)
		}
	}
	if !strings.Contains(df, "HEALTHCHECK") {
		t.Error("Dockerfile has no HEALTHCHECK")
	}
}
