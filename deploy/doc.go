// Package deploy holds the checks of the container files at the top of the
// repository (Dockerfile, docker-compose.yml); compose-test.sh beside it runs
// them with a real engine.
package deploy
