// Package app is banlie's application: configuration read once from flags and
// environment, the database and its migrations, the command line, and the
// server's lifecycle.
package app
