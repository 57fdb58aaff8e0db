// Package models holds banlie's domain: routes with their stops, runs (train
// departures, voyages, truck trips) and sea-rail container counts, the rules
// that make them valid, the errors that carry a code, and their storage
// through GORM. It knows nothing of HTTP.
package models
