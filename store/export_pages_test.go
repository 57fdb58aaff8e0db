package store

import (
	"context"
	"encoding/csv"
	"io"

	"banlie/models"
)

// ExportRunsByPages is the export as it was written before it became one
// query: ListRuns page after page, 500 runs at a time, each run's cells
// from runColumns. Tests compare ExportRuns with it.
func (s *Store) ExportRunsByPages(ctx context.Context, f models.RunFilter, w io.Writer) (int, error) {
	cw := csv.NewWriter(w)
	if err := cw.Write(RunCSVHeader); err != nil {
		return 0, err
	}
	n := 0
	f.Limit = MaxLimit
	for {
		page, err := s.ListRuns(ctx, f)
		if err != nil {
			return n, err
		}
		for _, r := range page.Items {
			rec := make([]string, len(runColumns))
			for i, c := range runColumns {
				rec[i] = neutralizeCell(c.cell(r))
			}
			if err := cw.Write(rec); err != nil {
				return n, err
			}
			n++
		}
		if page.NextCursor == nil {
			break
		}
		f.Cursor = *page.NextCursor
	}
	cw.Flush()
	return n, cw.Error()
}
