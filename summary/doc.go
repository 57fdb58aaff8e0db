// Package summary writes a month's summary from its figures: the Chinese
// and English texts in the register of the official releases, and the
// Markdown and printable HTML documents with their SVG chart. It reads no
// database: store gathers the figures (models.SummaryFigures and
// models.TargetFacts) and summary only writes them.
package summary
