package store

import (
	"banlie/models"
	"context"
	"fmt"
	"strings"
)

// Network counts active routes per mode (every mode present, zero included),
// the distinct destinations of active routes (a destination is its UN/LOCODE,
// or its country and name when it has none) and the distinct countries of
// those destinations.
func (s *Store) Network(ctx context.Context) (models.Network, error) {
	out := models.Network{Routes: map[string]int{}}
	for _, m := range models.Modes {
		out.Routes[m] = 0
	}
	var perMode []struct {
		Mode string
		N    int
	}
	db := s.db.WithContext(ctx)
	if err := db.Model(&routeRow{}).Select("mode, COUNT(*) AS n").Where("active = ?", true).Group("mode").Scan(&perMode).Error; err != nil {
		return out, fmt.Errorf("network: %w", err)
	}
	for _, m := range perMode {
		out.Routes[m.Mode] = m.N
	}
	var dests []stopRow
	err := db.Model(&stopRow{}).Select("route_stops.name, route_stops.country, route_stops.locode").
		Joins("JOIN routes ON routes.id = route_stops.route_id").
		Where("routes.active = ? AND route_stops.role = ?", true, models.RoleDestination).Scan(&dests).Error
	if err != nil {
		return out, fmt.Errorf("network: %w", err)
	}
	places, countries := map[string]bool{}, map[string]bool{}
	for _, d := range dests {
		key := d.Country + "/" + strings.ToLower(strings.TrimSpace(d.Name))
		if d.Locode != nil {
			key = *d.Locode
		}
		places[key] = true
		countries[d.Country] = true
	}
	out.Destinations, out.Countries = len(places), len(countries)
	return out, nil
}
