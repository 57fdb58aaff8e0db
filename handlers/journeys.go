package handlers

import (
	"net/http"
	"strconv"
	"time"

	"banlie/models"
	"banlie/store"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
)

type journeyHandlers struct{ st *store.Store }

func (h journeyHandlers) create(c echo.Context) error {
	id, err := pathID(c, "run")
	if err != nil {
		return err
	}
	var in models.EventInput
	if err := decodeStrict(c, &in); err != nil {
		return err
	}
	e, err := h.st.CreateEvent(c.Request().Context(), writeOf(c, h.st), id, in)
	if err != nil {
		return err
	}
	if e.ID != nil {
		c.Response().Header().Set(echo.HeaderLocation,
			"/api/v1/runs/"+strconv.FormatInt(id, 10)+"/events/"+strconv.FormatInt(*e.ID, 10))
	}
	return c.JSON(http.StatusCreated, e)
}

// eventsPage is a run's journey, in order.
type eventsPage struct {
	RunID int64          `json:"run_id"`
	Items []models.Event `json:"items"`
}

// dcsaPage is a run's journey as DCSA Track & Trace events.
type dcsaPage struct {
	Events []dcsaEvent `json:"events"`
}

func (h journeyHandlers) list(c echo.Context) error {
	id, err := pathID(c, "run")
	if err != nil {
		return err
	}
	format, err := qEnum(c, "format", []string{"banlie", "dcsa"})
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if format != nil && *format == "dcsa" {
		run, err := h.st.GetRun(ctx, id)
		if err != nil {
			return err
		}
		_, tl, err := h.st.ListEvents(ctx, id)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, dcsaPage{Events: dcsaEvents(run, tl)})
	}
	_, tl, err := h.st.ListEvents(ctx, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, eventsPage{RunID: id, Items: tl})
}

// eventPath reads the run's id and the event's from the path.
func eventPath(c echo.Context) (id, eid int64, err error) {
	if id, err = pathID(c, "run"); err != nil {
		return
	}
	eid, err = strconv.ParseInt(c.Param("event_id"), 10, 64)
	if err != nil || eid < 1 {
		return id, 0, models.Errorf(models.ENOTFOUND, "run %d has no such event", id)
	}
	return id, eid, nil
}

func (h journeyHandlers) get(c echo.Context) error {
	id, eid, err := eventPath(c)
	if err != nil {
		return err
	}
	_, tl, err := h.st.ListEvents(c.Request().Context(), id)
	if err != nil {
		return err
	}
	for _, e := range tl {
		if e.ID != nil && *e.ID == eid {
			return c.JSON(http.StatusOK, e)
		}
	}
	return models.Errorf(models.ENOTFOUND, "run %d has no event with id %d", id, eid)
}

func (h journeyHandlers) delete(c echo.Context) error {
	id, eid, err := eventPath(c)
	if err != nil {
		return err
	}
	if err := h.st.DeleteEvent(c.Request().Context(), writeOf(c, h.st), id, eid); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h journeyHandlers) inTransit(c echo.Context) error {
	limit, cursor, err := qPage(c)
	if err != nil {
		return err
	}
	page, err := h.st.InTransit(c.Request().Context(), qString(c, "route"), limit, cursor)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, page)
}

func (h journeyHandlers) transit(c echo.Context) error {
	dir, err := qEnum(c, "direction", models.Directions)
	if err != nil {
		return err
	}
	from, to, err := qRange(c)
	if err != nil {
		return err
	}
	t, err := h.st.RouteTransit(c.Request().Context(), pathCode(c), dir, from, to)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, t)
}

// dcsaEvent is a journey event in the DCSA Track & Trace event structure:
// a TRANSPORT event (the train's departures and arrivals, actual or
// estimated) or an EQUIPMENT event (a container crossing a border, or
// loaded onto the other gauge's wagons), one per container the run lists.
type dcsaEvent struct {
	EventID                string        `json:"eventID"`
	EventType              string        `json:"eventType"`
	EventClassifierCode    string        `json:"eventClassifierCode"`
	EventDateTime          time.Time     `json:"eventDateTime"`
	EventCreatedDateTime   time.Time     `json:"eventCreatedDateTime"`
	TransportEventTypeCode *string       `json:"transportEventTypeCode,omitempty"`
	EquipmentEventTypeCode *string       `json:"equipmentEventTypeCode,omitempty"`
	EquipmentReference     *string       `json:"equipmentReference,omitempty"`
	TransportCall          dcsaCall      `json:"transportCall"`
	EventLocation          *dcsaLocation `json:"eventLocation,omitempty"`
}

// dcsaCall is the call at a stop. The train's number goes where DCSA
// carries a voyage number: export for outbound runs, import for inbound.
type dcsaCall struct {
	TransportCallID    string        `json:"transportCallID"`
	ExportVoyageNumber *string       `json:"exportVoyageNumber,omitempty"`
	ImportVoyageNumber *string       `json:"importVoyageNumber,omitempty"`
	ModeOfTransport    *string       `json:"modeOfTransport,omitempty"`
	Location           *dcsaLocation `json:"location,omitempty"`
}

type dcsaLocation struct {
	LocationName   string  `json:"locationName"`
	UNLocationCode *string `json:"UNLocationCode,omitempty"`
}

// dcsaNamespace is the namespace of the name-based (SHA-1) UUIDs that
// identify journey events in DCSA form: the same event has the same
// eventID in every answer.
var dcsaNamespace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("urn:banlie:run-events"))

// dcsaModes maps a route's mode to DCSA's modeOfTransport; air has none.
var dcsaModes = map[string]string{"rail": "RAIL", "sea_rail": "RAIL", "sea": "VESSEL", "road": "TRUCK"}

// dcsaEvents turns a journey into DCSA events. A hold has no DCSA event
// type and is left out; an estimate is the final stop's arrival (EST).
func dcsaEvents(run models.Run, tl []models.Event) []dcsaEvent {
	out := []dcsaEvent{}
	var mode *string
	if m, ok := dcsaModes[run.Mode]; ok {
		mode = &m
	}
	number := run.Number
	for _, e := range tl {
		key := "run:" + strconv.FormatInt(run.ID, 10) + ":"
		if e.ID != nil {
			key += "event:" + strconv.FormatInt(*e.ID, 10)
		} else {
			key += e.Type
		}
		created := run.UpdatedAt
		if e.CreatedAt != nil {
			created = *e.CreatedAt
		}
		var loc *dcsaLocation
		if e.Place != nil {
			loc = &dcsaLocation{LocationName: e.Place.Name, UNLocationCode: e.Place.Locode}
		}
		call := dcsaCall{TransportCallID: uuid.NewSHA1(dcsaNamespace, []byte("run:"+strconv.FormatInt(run.ID, 10)+":stop:"+stopKey(e.Stop))).String(),
			ModeOfTransport: mode, Location: loc}
		if run.Direction == models.DirInbound {
			call.ImportVoyageNumber = &number
		} else {
			call.ExportVoyageNumber = &number
		}
		base := dcsaEvent{EventClassifierCode: "ACT", EventDateTime: e.At, EventCreatedDateTime: created,
			TransportCall: call, EventLocation: loc}
		transport := func(code string) {
			d := base
			d.EventID = uuid.NewSHA1(dcsaNamespace, []byte(key)).String()
			d.EventType = "TRANSPORT"
			d.TransportEventTypeCode = &code
			out = append(out, d)
		}
		equipment := func(code string) {
			if len(run.ContainerNumbers) == 0 {
				d := base
				d.EventID = uuid.NewSHA1(dcsaNamespace, []byte(key)).String()
				d.EventType = "EQUIPMENT"
				d.EquipmentEventTypeCode = &code
				out = append(out, d)
				return
			}
			for _, n := range run.ContainerNumbers {
				d := base
				n := n
				d.EventID = uuid.NewSHA1(dcsaNamespace, []byte(key+":"+n)).String()
				d.EventType = "EQUIPMENT"
				d.EquipmentEventTypeCode = &code
				d.EquipmentReference = &n
				out = append(out, d)
			}
		}
		switch e.Type {
		case models.EventDeparted:
			transport("DEPA")
		case models.EventArrived:
			transport("ARRI")
		case models.EventEstimatedArrival:
			base.EventClassifierCode = "EST"
			base.EventDateTime = *e.ETA
			transport("ARRI")
		case models.EventBorderCrossed:
			equipment("CROS")
		case models.EventGaugeChanged:
			equipment("LOAD")
		}
	}
	return out
}

func stopKey(stop *int) string {
	if stop == nil {
		return "none"
	}
	return strconv.Itoa(*stop)
}
