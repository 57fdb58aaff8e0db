package handlers

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"
	"time"

	"banlie/models"
	"banlie/store"
	"banlie/summary"

	"github.com/gorilla/feeds"
	"github.com/labstack/echo/v4"
)

type summaryHandlers struct {
	st   *store.Store
	base func(echo.Context) string // see publicBase
}

func (h summaryHandlers) list(c echo.Context) error {
	limit, cursor, err := qPage(c)
	if err != nil {
		return err
	}
	page, err := h.st.ListSummaries(c.Request().Context(), limit, cursor)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, page)
}

// render answers a summary as JSON, or as the document asked for with format and lang.
func render(c echo.Context, s models.Summary) error {
	format, err := qEnum(c, "format", []string{"json", "markdown", "html"})
	if err != nil {
		return err
	}
	lang, err := qEnum(c, "lang", []string{"zh", "en"})
	if err != nil {
		return err
	}
	l := "zh"
	if lang != nil {
		l = *lang
	}
	switch {
	case format == nil || *format == "json":
		return c.JSON(http.StatusOK, s)
	case *format == "markdown":
		doc, err := summary.Markdown(s, l)
		if err != nil {
			return err
		}
		return c.Blob(http.StatusOK, "text/markdown; charset=utf-8", []byte(doc))
	}
	doc, err := summary.HTML(s, l)
	if err != nil {
		return err
	}
	return c.HTML(http.StatusOK, doc)
}

func (h summaryHandlers) get(c echo.Context) error {
	s, err := h.st.GetSummary(c.Request().Context(), c.Param("period"))
	if err != nil {
		return err
	}
	return render(c, s)
}

// revisions answers a summary's earlier versions, newest first.
func (h summaryHandlers) revisions(c echo.Context) error {
	r, err := h.st.SummaryRevisions(c.Request().Context(), c.Param("period"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

func (h summaryHandlers) generate(c echo.Context) error {
	period, err := models.ParsePeriod(c.Param("period"))
	if err != nil {
		return err
	}
	s, err := h.st.GenerateSummary(c.Request().Context(), writeOf(c, h.st), period)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s)
}

// atom answers an Atom feed of the newest summaries.
func (h summaryHandlers) atom(c echo.Context) error {
	sums, err := h.st.RecentSummaries(c.Request().Context(), 36)
	if err != nil {
		return err
	}
	// Links are absolute, from the public URL (or the request's validated
	// host); ids are URNs, so they stay the same wherever the feed is read.
	base := h.base(c)
	feed := &feeds.Feed{
		Title:       "banlie — China–Europe Railway Express monthly summaries",
		Description: "Monthly summaries of China–Europe trains and sea-rail volumes, in Chinese and English.",
		Id:          "urn:banlie:summaries",
		Author:      &feeds.Author{Name: "banlie"},
		Updated:     time.Unix(0, 0).UTC(),
	}
	for _, s := range sums {
		if s.GeneratedAt.After(feed.Updated) {
			feed.Updated = s.GeneratedAt
		}
		period, _ := models.ParseMonth(s.Period)
		link := base + "/api/v1/summaries/" + s.Period + "?format=html"
		feed.Items = append(feed.Items, &feeds.Item{
			Id:          "urn:banlie:summary:" + s.Period,
			Author:      &feeds.Author{Name: "banlie"},
			Title:       fmt.Sprintf("%d年%d月中欧班列运行简报 / %s %d", period.Year, int(period.Month), period.Month, period.Year),
			Link:        &feeds.Link{Href: link, Rel: "alternate", Type: "text/html"},
			Description: firstLine(s.TextZh),
			Content:     "<p>" + strings.ReplaceAll(escape(s.TextZh), "\n", "</p><p>") + "</p><hr/><p>" + strings.ReplaceAll(escape(s.TextEn), "\n", "</p><p>") + "</p>",
			Updated:     s.GeneratedAt,
			Created:     s.FirstGeneratedAt,
		})
	}
	// The library writes one feed-level link and takes the feed's id from
	// it: the feed gets both of its links here, and the URN as its id.
	af := (&feeds.Atom{Feed: feed}).AtomFeed()
	// A revised summary is the same entry, updated: published is when its
	// first revision was written (the library writes no published).
	for i, e := range af.Entries {
		e.Published = sums[i].FirstGeneratedAt.Format(time.RFC3339)
	}
	atom, err := feeds.ToXML(&atomFeed{
		Xmlns: af.Xmlns, Title: af.Title, Id: feed.Id, Updated: af.Updated, Subtitle: af.Subtitle,
		Links: []feeds.AtomLink{
			{Href: base + "/api/v1/summaries.atom", Rel: "self", Type: "application/atom+xml"},
			{Href: base + "/#/summaries", Rel: "alternate", Type: "text/html"},
		},
		Author: af.Author, Entries: af.Entries,
	})
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, "application/atom+xml; charset=utf-8", []byte(atom))
}

// atomFeed is feeds.AtomFeed with more than one link.
type atomFeed struct {
	XMLName  xml.Name `xml:"feed"`
	Xmlns    string   `xml:"xmlns,attr"`
	Title    string   `xml:"title"`
	Id       string   `xml:"id"`
	Updated  string   `xml:"updated"`
	Subtitle string   `xml:"subtitle,omitempty"`
	Links    []feeds.AtomLink
	Author   *feeds.AtomAuthor  `xml:"author,omitempty"`
	Entries  []*feeds.AtomEntry `xml:"entry"`
}

func (f *atomFeed) FeedXml() any { return f }

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
