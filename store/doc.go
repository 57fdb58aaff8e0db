// Package store is everything that touches banlie's database: Open (SQLite
// by default, PostgreSQL for several instances), the migrations, and Store,
// whose methods read and write one aggregate each (routes, runs, sea-rail
// counts, targets, tokens and the audit log, Idempotency-Key records, job
// runs, CSV import and export) and report from the roll-ups (totals,
// progress, milestones, summaries' figures).
//
// Every write runs in Store.Tx with an explicit Write (actor, instant,
// Idempotency-Key claim); it is audited, marks the days it changes for the
// roll-up and raises the data version that kept answers are checked
// against, all in the same transaction. Every list pages with one keyset
// pager. Errors a client may see are *models.Error; anything else stays
// internal. storetest opens real SQLite files and scratch PostgreSQL
// databases for tests.
package store
