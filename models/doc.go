// Package models is banlie's domain, free of storage and transport: routes
// with their stops, runs (train departures, voyages, truck trips), sea-rail
// container counts, targets, milestones, summaries' figures, tokens' roles
// and job runs as values; the rules that make inputs valid (Validate and
// Apply answer domain values, or every problem as a coded Error); the
// Day, Month and Year period types of the reporting calendar; ISO 6346,
// UN/LOCODE and ISO 3166 checks.
//
// It imports no database, HTTP or web framework package (a test holds it
// to that): store, summary, handlers and jobs build on it.
package models
