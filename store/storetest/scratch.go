package storetest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"

	"banlie/store"
)

// DefaultTestPostgres is the server the PostgreSQL test suites use unless
// BANLIE_TEST_POSTGRES names another (a URL of a database to connect to
// while creating and dropping scratch databases).
const DefaultTestPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// TestPostgresURL answers the PostgreSQL server URL for test suites.
func TestPostgresURL() string {
	if v := os.Getenv("BANLIE_TEST_POSTGRES"); v != "" {
		return v
	}
	return DefaultTestPostgres
}

// CreateScratchDatabase creates a new, uniquely named database on the
// server of adminURL and answers its URL and a function that drops it, so
// that test runs never share or collide on a database.
func CreateScratchDatabase(adminURL string) (string, func() error, error) {
	admin, err := store.Open(adminURL, store.Options{})
	if err != nil {
		return "", nil, err
	}
	buf := make([]byte, 6)
	if _, err := rand.Read(buf); err != nil {
		return "", nil, err
	}
	name := "banlie_t_" + hex.EncodeToString(buf)
	if err := admin.Exec("CREATE DATABASE " + name).Error; err != nil {
		store.Close(admin)
		return "", nil, fmt.Errorf("create scratch database: %w", err)
	}
	u, err := url.Parse(adminURL)
	if err != nil {
		store.Close(admin)
		return "", nil, err
	}
	u.Path = "/" + name
	drop := func() error {
		defer store.Close(admin)
		return admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)").Error
	}
	return u.String(), drop, nil
}
